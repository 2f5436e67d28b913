/**
 * The pipeline's own figures, as the pipeline-metrics job (jobs/pipeline-metrics.ts) computes them from what it
 * reads: the Spark job's checkpoint, the topics' offsets and the dead-letter envelopes. Pure functions, so the tests
 * give them what the services would.
 */
import type { MetricFamily, Sample } from './prometheus-text';

/** Offsets by partition, for one topic. */
export type PartitionOffsets = ReadonlyMap<number, number>;

/** What a committed micro-batch of the Spark job had read up to, from its checkpoint. */
export interface CommittedBatch {
  readonly batchId: number;
  /** When the batch was planned, in milliseconds since the epoch (the offsets file's `batchTimestampMs`). */
  readonly timestampMs: number;
  /** The next offset to read per partition, per topic the batch read. */
  readonly offsets: ReadonlyMap<string, PartitionOffsets>;
}

/**
 * The batch the stream last committed: the highest id in `commits/` that also has its `offsets/` file. Spark writes
 * `offsets/N` when it plans batch N and `commits/N` once the batch is written, so N's offsets are what the stream
 * has delivered. Other names (Spark's `.N.crc` checksums, temporary files) are not batches.
 */
export function lastCommittedBatchId(commitFiles: readonly string[], offsetFiles: readonly string[]): number | undefined {
  const ids = (names: readonly string[]) => new Set(names.filter((n) => /^\d+$/.test(n)).map(Number));
  const planned = ids(offsetFiles);
  const committed = [...ids(commitFiles)].filter((id) => planned.has(id));
  return committed.length === 0 ? undefined : Math.max(...committed);
}

/**
 * Reads a Spark offsets file (`offsets/N` of a checkpoint): a version line (`v1`), the batch's metadata (JSON with
 * `batchTimestampMs`), then one line per source; the Kafka source's is `{"topic": {"partition": offset}}`. Throws,
 * naming the file, on anything else.
 */
export function parseOffsetsFile(batchId: number, text: string, file: string): CommittedBatch {
  const [version, metadata, ...sources] = text.split('\n').filter((line) => line.trim() !== '');
  if (!/^v\d+$/.test(version ?? '')) throw new Error(`${file}: not a Spark offsets file (first line '${version ?? ''}')`);
  const timestampMs = Number((JSON.parse(metadata ?? '{}') as { batchTimestampMs?: unknown }).batchTimestampMs);
  if (!Number.isFinite(timestampMs)) throw new Error(`${file}: no batchTimestampMs in its metadata line`);
  const offsets = new Map<string, Map<number, number>>();
  for (const line of sources) {
    // A source that did not take part in the batch is written as '-'.
    if (line.trim() === '-') continue;
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`${file}: a source line is not a JSON object: ${line}`);
    for (const [topic, partitions] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof partitions !== 'object' || partitions === null) throw new Error(`${file}: topic '${topic}' has no partition offsets`);
      offsets.set(topic, new Map(Object.entries(partitions as Record<string, unknown>).map(([p, o]) => [Number(p), Number(o)])));
    }
  }
  return { batchId, timestampMs, offsets };
}

/** One partition's lag: records in the topic that the stream has not delivered yet. */
export interface PartitionLag {
  readonly partition: number;
  /** The topic's next offset (high watermark). */
  readonly end: number;
  /** The stream's next offset to read. */
  readonly committed: number;
  readonly lag: number;
}

/**
 * The stream's lag on each partition of the topic. A partition the checkpoint does not name yet (a new partition,
 * or no batch committed) counts from its earliest retained offset, where the stream starts reading it; an offset
 * below that (records removed by retention) counts from there too, as the stream skips them (failOnDataLoss=false).
 */
export function streamLag(
  ends: ReadonlyMap<number, { readonly low: number; readonly high: number }>,
  committed: PartitionOffsets | undefined,
): PartitionLag[] {
  return [...ends.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, { low, high }]) => {
      const next = Math.max(committed?.get(partition) ?? low, low);
      return { partition, end: high, committed: next, lag: Math.max(0, high - next) };
    });
}

/** How a dead letter is counted: by stage, kind of reason and field. */
export interface DeadLetterKey {
  readonly stage: string;
  readonly reason: string;
  readonly field: string;
}

const MAX_REASON_CHARACTERS = 120;

/**
 * A reason without what is particular to one record, so that the counts have few kinds: the detail after ': ' (a
 * field name, which `field` carries, or the producer's error) and numbers (a length, a position, a count of
 * attempts) go; a code point becomes U+XXXX.
 */
export function reasonKind(reason: string): string {
  const kind = reason
    .split(': ')[0]
    .replace(/U\+[0-9A-Fa-f]{4,6}/g, 'U+XXXX')
    .replace(/\d+/g, 'N')
    .trim();
  return kind.length > MAX_REASON_CHARACTERS ? `${kind.slice(0, MAX_REASON_CHARACTERS - 1)}…` : kind;
}

/** The key of one dead-letter message's value (docs/pipeline.md, "Dead-letter topic"); one that is no envelope still counts. */
export function deadLetterKey(value: Buffer | null): DeadLetterKey {
  let envelope: unknown;
  try {
    envelope = value === null ? undefined : JSON.parse(value.toString('utf8'));
  } catch {
    envelope = undefined;
  }
  if (typeof envelope !== 'object' || envelope === null) return { stage: 'unknown', reason: 'not a dead-letter envelope', field: 'none' };
  const { stage, reason, field } = envelope as Record<string, unknown>;
  return {
    stage: typeof stage === 'string' ? stage : 'unknown',
    reason: typeof reason === 'string' ? reasonKind(reason) : 'none',
    field: typeof field === 'string' && field !== '' ? field : 'none',
  };
}

/**
 * Dead letters counted by key while the topic is read from its start, and whether the count has caught up with
 * the topic as it was when reading began: until then it is partial, and not shown (a restarted reader would
 * otherwise show its counters falling, which Prometheus takes for a reset).
 */
export class DeadLetterTally {
  private readonly counts = new Map<string, { key: DeadLetterKey; count: number }>();
  private readonly pending: Map<number, number>;

  /** @param ends the next offset of each partition when reading began */
  constructor(ends: ReadonlyMap<number, { readonly low: number; readonly high: number }>) {
    this.pending = new Map([...ends].filter(([, { low, high }]) => high > low).map(([partition, { high }]) => [partition, high]));
  }

  public add(partition: number, offset: number, value: Buffer | null): void {
    const key = deadLetterKey(value);
    const id = JSON.stringify([key.stage, key.reason, key.field]);
    const entry = this.counts.get(id) ?? { key, count: 0 };
    entry.count++;
    this.counts.set(id, entry);
    const end = this.pending.get(partition);
    // ">=": offsets can skip the end (transaction markers).
    if (end !== undefined && offset + 1 >= end) this.pending.delete(partition);
  }

  public get caughtUp(): boolean {
    return this.pending.size === 0;
  }

  /** The counts, by key, in a stable order. */
  public entries(): { readonly key: DeadLetterKey; readonly count: number }[] {
    return [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
  }
}

/** The port the pipeline-metrics job serves `/metrics` on, in its container. */
export const PIPELINE_METRICS_PORT = 9405;

/** Rows of an outbox table that wait to be published, and how long the oldest has waited. */
export interface OutboxWaiting {
  readonly rows: number;
  readonly oldestAgeSeconds: number;
}

/** What PostgreSQL says: the two outboxes, and what the finished ingest runs did. */
export interface StoreFigures {
  /** Users not yet acknowledged by the broker (and not given up on: dead_lettered_at). */
  readonly users: OutboxWaiting;
  /** Rejected records not yet sent to the dead-letter topic. */
  readonly rejectedRecords: OutboxWaiting;
  readonly ingestRuns: number;
  readonly fetched: number;
  readonly stored: number;
  readonly rejected: number;
}

/** Earliest retained and next offset of each partition. */
export type TopicEnds = ReadonlyMap<number, { readonly low: number; readonly high: number }>;

/** Where the figures come from: PostgreSQL, Kafka, the Spark job's checkpoint. Each may fail alone. */
export interface FigureSources {
  store(): Promise<StoreFigures>;
  topicEnds(topic: string): Promise<TopicEnds>;
  /** The last committed batch; undefined while the stream has committed none (or has no checkpoint yet). */
  committedBatch(): Promise<CommittedBatch | undefined>;
}

type Family = MetricFamily;
const gauge = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: 'gauge', samples });
const counter = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: 'counter', samples });

/** Runs `read` with a time limit; its error (or the time running out) becomes undefined and a log line. */
async function attempt<T>(source: string, timeoutMs: number, read: () => Promise<T>, log: (m: string) => void): Promise<{ value?: T; seconds: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      read(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return { value, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    log(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    return { seconds: (Date.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every figure, read now from `sources` (each within `timeoutMs`; one that fails is reported by
 * pipeline_source_up and leaves out only its own figures), plus the dead letters counted so far.
 */
export async function collectFigures(
  sources: FigureSources,
  topics: { readonly topic: string; readonly dlqTopic: string },
  deadLetters: DeadLetterTally | undefined,
  options: { readonly timeoutMs: number; readonly log: (message: string) => void },
): Promise<MetricFamily[]> {
  const { timeoutMs, log } = options;
  const [store, users, dlq, batch] = await Promise.all([
    attempt('postgres', timeoutMs, () => sources.store(), log),
    attempt('kafka', timeoutMs, () => sources.topicEnds(topics.topic), log),
    attempt('kafka', timeoutMs, () => sources.topicEnds(topics.dlqTopic), log),
    // undefined is a valid answer here (no batch yet): wrapped, so that only a failure counts as down.
    attempt('checkpoint', timeoutMs, async () => ({ batch: await sources.committedBatch() }), log),
  ]);
  const families: Family[] = [];
  const up = (source: string, ok: boolean, seconds: number) => ({ source, ok, seconds });
  const status = [
    up('postgres', store.value !== undefined, store.seconds),
    up('kafka', users.value !== undefined && dlq.value !== undefined, Math.max(users.seconds, dlq.seconds)),
    up('checkpoint', batch.value !== undefined, batch.seconds),
  ];
  families.push(
    gauge('pipeline_source_up', 'Whether the last read of a source of these figures succeeded (1) or failed (0).', status.map((s) => ({ labels: { source: s.source }, value: s.ok ? 1 : 0 }))),
    gauge('pipeline_source_read_seconds', 'How long the last read of a source took.', status.map((s) => ({ labels: { source: s.source }, value: s.seconds }))),
  );

  if (store.value) {
    const s = store.value;
    const outbox = [['users', s.users], ['rejected_records', s.rejectedRecords]] as const;
    families.push(
      gauge('pipeline_outbox_rows', 'Rows of an outbox table waiting to be published to Kafka.', outbox.map(([table, w]) => ({ labels: { table }, value: w.rows }))),
      gauge('pipeline_outbox_oldest_age_seconds', 'Age of the oldest row waiting in an outbox table (0 when none waits).', outbox.map(([table, w]) => ({ labels: { table }, value: w.oldestAgeSeconds }))),
      counter('pipeline_ingest_runs_total', 'Ingest runs (DAG fetch_and_store tasks) that finished.', [{ value: s.ingestRuns }]),
      counter('pipeline_ingest_records_total', 'Records the finished ingest runs fetched from the API, stored as users, or rejected.', [
        { labels: { outcome: 'fetched' }, value: s.fetched },
        { labels: { outcome: 'stored' }, value: s.stored },
        { labels: { outcome: 'rejected' }, value: s.rejected },
      ]),
    );
  }

  const ends: Sample[] = [];
  for (const [role, topic, value] of [['users', topics.topic, users.value], ['dead-letters', topics.dlqTopic, dlq.value]] as const) {
    const partitions: TopicEnds = value ?? new Map();
    for (const [partition, { high }] of [...partitions].sort(([a], [b]) => a - b)) {
      ends.push({ labels: { topic, role, partition: `${partition}` }, value: high });
    }
  }
  if (ends.length > 0) families.push(gauge('pipeline_topic_end_offset', 'Next offset of a partition: the records ever appended to it.', ends));

  if (batch.value !== undefined && users.value !== undefined) {
    const committed = batch.value.batch;
    const lag = streamLag(users.value, committed?.offsets.get(topics.topic));
    const labels = (partition: number) => ({ topic: topics.topic, partition: `${partition}` });
    families.push(
      gauge('pipeline_stream_committed_offset', "Next offset the Spark job reads on a partition of the users topic, as of its last committed batch.", lag.map((p) => ({ labels: labels(p.partition), value: p.committed }))),
      gauge('pipeline_stream_lag_records', 'Records of a partition of the users topic that the Spark job has not delivered yet.', lag.map((p) => ({ labels: labels(p.partition), value: p.lag }))),
    );
    if (committed) {
      families.push(
        gauge('pipeline_stream_last_batch_id', 'Id of the last micro-batch the Spark job committed.', [{ value: committed.batchId }]),
        gauge('pipeline_stream_last_batch_timestamp_seconds', 'When the last committed micro-batch was planned, in seconds since the epoch.', [{ value: committed.timestampMs / 1000 }]),
      );
    }
  }

  families.push(gauge('pipeline_dead_letters_counted', 'Whether the dead-letter topic has been read up to where it ended when reading began (1), so that the counts are whole.', [{ value: deadLetters?.caughtUp ? 1 : 0 }]));
  if (deadLetters?.caughtUp) {
    families.push(
      counter(
        'pipeline_dead_letters_total',
        'Dead letters in the dead-letter topic (from its earliest retained offset), by stage, kind of reason and field.',
        deadLetters.entries().map(({ key, count }) => ({ labels: { stage: key.stage, reason: key.reason, field: key.field }, value: count })),
      ),
    );
  }
  return families;
}
