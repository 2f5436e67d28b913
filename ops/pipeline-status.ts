/**
 * The pipeline's figures from the running platform, through the published ports and the stack's outputs:
 * users stored in PostgreSQL and waiting in its outbox, the Spark job's lag on the users topic, rows in
 * Cassandra, dead letters by reason.
 *
 * The Spark job's lag: Structured Streaming commits no consumer group offsets to Kafka; it keeps its
 * progress in its checkpoint. `offsets/N` holds the end offsets of micro-batch N (the next offset to read,
 * per partition) and `commits/N` appears once batch N is written, so the offsets of the newest committed
 * batch are what the job has finished. Lag = the topic's end offset minus that, per partition, summed: the
 * records in the topic that the job has not yet written to Cassandra or the dead-letter topic (a batch in
 * flight counts as lag until it commits). A partition with no committed batch counts from its first
 * offset (the job starts from the earliest). Counting rows in Cassandra instead would not be honest: its
 * upserts merge a user sent twice, and dead-lettered records never become rows.
 */
import { execFileSync } from 'child_process';
import { createKafka, withCassandra, withPostgres } from '../jobs/lib/clients';
import { loadPipelineConfig, type PipelineConfig } from '../jobs/lib/config';
import { describeError } from '../jobs/lib/retry';
import { readTopicToEnd } from '../jobs/lib/topic';
import { parseLetter } from '../jobs/replay';

// ---- The checkpoint and the lag (pure) ----

/** The newest batch id in a listing of the checkpoint's `commits` directory (one name a line). */
export function latestBatch(listing: string): number | undefined {
  const ids = listing.split('\n').map((name) => name.trim()).filter((name) => /^\d+$/.test(name)).map(Number);
  return ids.length > 0 ? Math.max(...ids) : undefined;
}

/**
 * The offsets of `topic` in a checkpoint's `offsets/N` file: a version line (`v1`), the batch's metadata, then
 * one line per source, the Kafka source's being `{"<topic>":{"<partition>":<offset>,...}}`.
 */
export function parseOffsetLog(text: string, topic: string): Map<number, number> {
  const [version, ...lines] = text.split('\n');
  if (!/^v\d+$/.test(version.trim())) throw new Error(`not a Spark offset log: it begins '${version.slice(0, 20)}'`);
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const offsets = (parsed as Record<string, unknown> | null)?.[topic];
    if (typeof offsets === 'object' && offsets !== null) {
      return new Map(Object.entries(offsets as Record<string, number>).map(([partition, offset]) => [Number(partition), Number(offset)]));
    }
  }
  throw new Error(`the offset log has no offsets of topic '${topic}'`);
}

/** A partition of the users topic as Kafka reports it. */
export interface PartitionOffsets {
  readonly partition: number;
  /** The first offset still in the partition. */
  readonly low: number;
  /** The end offset: one past the last record. */
  readonly high: number;
}

export interface Lag {
  readonly topic: string;
  /** Records the Spark job has not finished, over all partitions. */
  readonly records: number;
  /** The newest committed micro-batch; null before the first. */
  readonly batch: number | null;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly end: number; readonly done: number; readonly lag: number }>;
}

/** The lag of each partition: its end offset minus the committed offset (its first offset when none is). */
export function consumerLag(topic: string, ends: readonly PartitionOffsets[], batch: number | undefined, committed: ReadonlyMap<number, number>): Lag {
  const partitions = [...ends]
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, low, high }) => {
      // Offsets lost to retention are skipped by the job (failOnDataLoss=false): never count below the first offset.
      const done = Math.max(committed.get(partition) ?? low, low);
      return { partition, end: high, done, lag: Math.max(0, high - done) };
    });
  return { topic, records: partitions.reduce((sum, p) => sum + p.lag, 0), batch: batch ?? null, partitions };
}

// ---- Dead letters (pure) ----

export interface ReasonCount {
  readonly stage: string;
  readonly reason: string;
  readonly count: number;
}

/**
 * A dead letter's reason without its particulars, so that letters of one cause count together: the text
 * before its first ': ' (as `replay --reason` selects it: `missing or empty required field: email` is
 * `missing or empty required field`), with each number written N.
 */
export function reasonKey(reason: unknown): string {
  if (typeof reason !== 'string' || reason === '') return '(no reason)';
  return reason.split(': ')[0].replace(/\d+/g, 'N');
}

/** Counts per stage and reason key, the most frequent first. */
export function deadLettersByReason(letters: ReadonlyArray<{ readonly stage: unknown; readonly reason: unknown } | undefined>): ReasonCount[] {
  const counts = new Map<string, ReasonCount>();
  for (const letter of letters) {
    const stage = typeof letter?.stage === 'string' ? letter.stage : 'unknown';
    const reason = letter === undefined ? '(not a dead-letter envelope)' : reasonKey(letter.reason);
    const key = `${stage}\u0000${reason}`;
    counts.set(key, { stage, reason, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.reason.localeCompare(b.reason));
}

// ---- Reading the platform (I/O) ----

/** What the pipeline's figures are; null where a figure could not be read (its error is in `errors`). */
export interface PipelineStatus {
  readonly usersInPostgres: number | null;
  readonly outbox: { readonly waiting: number; readonly oldestSeconds: number | null } | null;
  readonly lag: Lag | null;
  readonly cassandraRows: number | null;
  readonly deadLetters: { readonly total: number; readonly byReason: ReasonCount[] } | null;
  /** Per figure that could not be read, why. */
  readonly errors: Readonly<Record<string, string>>;
}

/** The Spark job's settings that say where its data is, from its container's environment. */
export interface SparkJobSettings {
  /** The container running the driver. */
  readonly container: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The stack's outputs as the host-side jobs' variables (verify, replay and the status read the platform so). */
export function hostPipelineEnv(outputs: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) env[name] = value;
  };
  set('PIPELINE_PG_DSN', outputs.postgres_dsn);
  set('PIPELINE_KAFKA_BOOTSTRAP_SERVERS', outputs.kafka_bootstrap_servers);
  set('PIPELINE_CASSANDRA_CONTACT_POINTS', outputs.cassandra_contact_point);
  set('PIPELINE_CASSANDRA_DATACENTER', outputs.cassandra_datacenter);
  set('PIPELINE_CASSANDRA_CONSISTENCY', outputs.cassandra_consistency);
  // Read only: the status and verify count and compare, they never write.
  set('PIPELINE_CASSANDRA_USERNAME', outputs.cassandra_monitoring_user);
  set('PIPELINE_CASSANDRA_PASSWORD', outputs.cassandra_monitoring_password);
  set('PIPELINE_KAFKA_USERNAME', outputs.kafka_monitoring_user);
  set('PIPELINE_KAFKA_PASSWORD', outputs.kafka_monitoring_password);
  return env;
}

const TOPIC_SETTINGS = ['PIPELINE_TOPIC', 'PIPELINE_DLQ_TOPIC', 'PIPELINE_CASSANDRA_KEYSPACE', 'PIPELINE_CASSANDRA_TABLE'];
const DEFAULT_CHECKPOINT_ROOT = '/checkpoints';
const READ_TIMEOUT_MS = 30_000;

/** Runs a shell command in the container and returns its output. */
function execIn(container: string, script: string, ...args: string[]): string {
  return execFileSync('docker', ['exec', container, 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** The newest committed batch and its offsets of `topic`, read in the Spark job's container. */
function readCheckpoint(job: SparkJobSettings, topic: string): { batch: number | undefined; committed: Map<number, number> } {
  const directory = job.env.PIPELINE_CHECKPOINT_DIR || `${DEFAULT_CHECKPOINT_ROOT}/${topic}`;
  // No commits directory yet means no batch has finished.
  const batch = latestBatch(execIn(job.container, 'ls -1 "$1/commits" 2>/dev/null || true', directory));
  if (batch === undefined) return { batch, committed: new Map() };
  return { batch, committed: parseOffsetLog(execIn(job.container, 'cat "$1/offsets/$2"', directory, String(batch)), topic) };
}

async function readPostgres(config: PipelineConfig): Promise<{ users: number; waiting: number; oldestSeconds: number | null }> {
  return withPostgres(config.pgDsn, async (client) => {
    const waiting = 'published_at IS NULL AND dead_lettered_at IS NULL';
    const { rows } = await client.query<{ users: string; waiting: string; oldest: number | null }>(
      `SELECT count(*) AS users, count(*) FILTER (WHERE ${waiting}) AS waiting, ` +
        `extract(epoch FROM now() - min(fetched_at) FILTER (WHERE ${waiting}))::float8 AS oldest FROM users`,
    );
    const oldest = rows[0].oldest;
    return { users: Number(rows[0].users), waiting: Number(rows[0].waiting), oldestSeconds: oldest === null ? null : Math.round(oldest) };
  });
}

async function readCassandraRows(config: PipelineConfig): Promise<number> {
  return withCassandra(config.cassandra, async (client) => {
    const result = await client.execute(`SELECT count(*) AS n FROM ${config.cassandra.keyspace}.${config.cassandra.table}`, [], { readTimeout: READ_TIMEOUT_MS });
    return Number(result.rows[0].get('n'));
  });
}

/** Reads every figure; a figure that fails leaves the others standing. */
export async function readPipelineStatus(outputs: Readonly<Record<string, string>>, job: SparkJobSettings | undefined): Promise<PipelineStatus> {
  const errors: Record<string, string> = {};
  const attempt = async <T>(figure: string, read: () => T | Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (error) {
      errors[figure] = describeError(error);
      return null;
    }
  };
  const jobEnv = Object.fromEntries(TOPIC_SETTINGS.flatMap((name) => (job?.env[name] ? [[name, job.env[name]]] : [])));
  const config = await attempt('configuration', () => loadPipelineConfig({ ...jobEnv, ...hostPipelineEnv(outputs) }));
  if (config === null) return { usersInPostgres: null, outbox: null, lag: null, cassandraRows: null, deadLetters: null, errors };
  const kafka = createKafka(config.kafkaBrokers, 'platform-status', config.kafkaLogin);

  const [postgres, cassandraRows, lag, deadLetters] = await Promise.all([
    attempt('postgres', () => readPostgres(config)),
    attempt('cassandra', () => readCassandraRows(config)),
    attempt('lag', async () => {
      if (job === undefined) throw new Error('the stack has no Spark job container');
      // The checkpoint before the end offsets: records arriving meanwhile can only make the lag look larger, never hide it.
      const { batch, committed } = readCheckpoint(job, config.topic);
      const admin = kafka.admin();
      await admin.connect();
      let ends: PartitionOffsets[];
      try {
        ends = (await admin.fetchTopicOffsets(config.topic)).map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }));
      } finally {
        await admin.disconnect();
      }
      return consumerLag(config.topic, ends, batch, committed);
    }),
    attempt('deadLetters', async () => {
      const letters: Array<ReturnType<typeof parseLetter>> = [];
      const { total, read } = await readTopicToEnd(kafka, config.dlqTopic, READ_TIMEOUT_MS, (message) => letters.push(parseLetter(message)));
      if (read < total) throw new Error(`read ${read} of the ${total} messages of '${config.dlqTopic}' within ${READ_TIMEOUT_MS / 1000} s`);
      return { total, byReason: deadLettersByReason(letters) };
    }),
  ]);
  return {
    usersInPostgres: postgres?.users ?? null,
    outbox: postgres === null ? null : { waiting: postgres.waiting, oldestSeconds: postgres.oldestSeconds },
    lag,
    cassandraRows,
    deadLetters,
    errors,
  };
}
