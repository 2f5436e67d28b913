/**
 * Verify job: a post-deploy check that every user the pipeline fetched is accounted for, stage by stage:
 * fetched → rejected at ingest or stored in PostgreSQL → published (outbox) or dead-lettered by the outbox →
 * in Cassandra or dead-lettered by the stream.
 *
 *   verify [--json] [--expect N] [--wait SECONDS] [--stuck-after SECONDS]
 *
 * Exits 0 when every stage adds up, 1 naming the stage, the count and the first ids otherwise (lost or
 * unexpected users, a stuck outbox, or a --expect mismatch).
 */
import { parseArgs } from 'node:util';
import type { Client as PgClient } from 'pg';
import { createKafka, withCassandra, withPostgres } from './lib/clients';
import { loadPipelineConfig, type CassandraConfig, type Env, type PipelineConfig } from './lib/config';
import { redactDsn } from './lib/dsn';
import { describeError, sleep } from './lib/retry';
import { log, runMain, step } from './lib/run';
import { readTopicToEnd } from './lib/topic';

/** Bounds for one check: services were healthy at deploy time, so only brief hiccups are waited for. */
const SERVICE_TIMEOUT_MS = 60_000;
const DLQ_READ_TIMEOUT_MS = 30_000;
const RECHECK_INTERVAL_MS = 5_000;
const SHOWN_IDS = 10;

// ---- Command line (pure) ----

export interface VerifyOptions {
  readonly json: boolean;
  /** Exact number of users expected in Cassandra. */
  readonly expect?: number;
  readonly waitSeconds: number;
  /** Unpublished rows older than this mean the outbox relay is stuck. */
  readonly stuckAfterSeconds: number;
}

const USAGE = 'usage: verify [--json] [--expect N] [--wait SECONDS] [--stuck-after SECONDS]';

function wholeNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`--${flag} must be a whole number, got '${raw}'\n${USAGE}`);
  return Number(raw);
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        expect: { type: 'string' },
        wait: { type: 'string' },
        'stuck-after': { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new Error(`${describeError(error)}\n${USAGE}`);
  }
}

export function parseVerifyArgs(args: string[]): VerifyOptions {
  const flags = parseFlags(args);
  return {
    json: flags.json,
    expect: wholeNumber('expect', flags.expect),
    waitSeconds: wholeNumber('wait', flags.wait) ?? 0,
    stuckAfterSeconds: wholeNumber('stuck-after', flags['stuck-after']) ?? 600,
  };
}

// ---- Assessment (pure) ----

export interface PipelineCounts {
  /** Sum of ingest_runs.fetched. */
  readonly fetched: number;
  /** ingest_runs without finished_at: their users may not all be stored yet. */
  readonly unfinishedRuns: number;
  /** Rows in rejected_records. */
  readonly rejected: number;
  /** Messages in the DLQ topic (high minus low watermarks). */
  readonly deadLettered: number;
  /** Of those, the ones read within the time bound, by the stage that dead-lettered them. */
  readonly deadLetteredByStage: { readonly ingest: number; readonly outbox: number; readonly stream: number; readonly unknown: number };
}

export interface PipelineIds {
  /** users with published_at set. */
  readonly published: readonly string[];
  /** users with published_at and dead_lettered_at null, and how long ago they were fetched. */
  readonly unpublished: ReadonlyArray<{ readonly id: string; readonly ageSeconds: number }>;
  /** users the outbox moved to the DLQ instead, after the producer refused them (dead_lettered_at set). */
  readonly outboxDeadLetters: readonly string[];
  readonly cassandra: readonly string[];
  /** Keys of DLQ messages with stage "stream". */
  readonly streamDeadLetters: readonly string[];
}

export interface Problem {
  readonly stage: 'ingest' | 'outbox' | 'stream' | 'cassandra';
  readonly kind: 'lost' | 'unexpected' | 'stuck' | 'expect';
  readonly count: number;
  /** The first ids concerned, sorted; empty when the stage's data does not identify them. */
  readonly ids: string[];
  readonly message: string;
}

export interface Assessment {
  readonly ok: boolean;
  readonly summary: {
    fetched: number;
    rejected: number;
    stored: number;
    published: number;
    cassandra: number;
    deadLettered: number;
    deadLetteredIngest: number;
    deadLetteredOutbox: number;
    deadLetteredStream: number;
  };
  readonly problems: Problem[];
  /** Checks that could not be made, and why. */
  readonly notes: string[];
}

function idProblem(stage: Problem['stage'], kind: Problem['kind'], ids: string[], what: string): Problem {
  const shown = [...ids].sort().slice(0, SHOWN_IDS);
  const more = ids.length > shown.length ? `, ... (${ids.length - shown.length} more)` : '';
  return { stage, kind, count: ids.length, ids: shown, message: `${stage}: ${ids.length} ${what}: ${shown.join(', ')}${more}` };
}

function ingestProblem(counts: PipelineCounts, stored: number): Problem | undefined {
  const expected = counts.fetched - counts.rejected;
  if (stored === expected) return undefined;
  const accounting = `stored ${stored}, fetched ${counts.fetched} - rejected ${counts.rejected} = ${expected}`;
  const count = Math.abs(expected - stored);
  return stored < expected
    ? { stage: 'ingest', kind: 'lost', count, ids: [], message: `ingest: ${count} users lost (${accounting})` }
    : { stage: 'ingest', kind: 'unexpected', count, ids: [], message: `ingest: ${count} more users stored than fetched (${accounting})` };
}

export function assessPipeline(
  counts: PipelineCounts,
  ids: PipelineIds,
  options: Pick<VerifyOptions, 'expect' | 'stuckAfterSeconds'>,
): Assessment {
  const stored = new Set([...ids.published, ...ids.unpublished.map(({ id }) => id), ...ids.outboxDeadLetters]);
  const inCassandra = new Set(ids.cassandra);
  const streamDeadLetters = new Set(ids.streamDeadLetters);
  const { ingest, outbox, stream, unknown } = counts.deadLetteredByStage;
  const unread = counts.deadLettered - ingest - outbox - stream - unknown;
  const problems: Problem[] = [];
  const notes: string[] = [];

  if (counts.unfinishedRuns > 0) {
    notes.push(`ingest accounting skipped: ${counts.unfinishedRuns} ingest run(s) not finished`);
  } else {
    const problem = ingestProblem(counts, stored.size);
    if (problem) problems.push(problem);
  }

  const stuck = ids.unpublished.filter(({ ageSeconds }) => ageSeconds > options.stuckAfterSeconds).map(({ id }) => id);
  if (stuck.length > 0) {
    problems.push(idProblem('outbox', 'stuck', stuck, `users unpublished for more than ${options.stuckAfterSeconds} s`));
  }

  const lost = ids.published.filter((id) => !inCassandra.has(id) && !streamDeadLetters.has(id));
  if (lost.length > 0) problems.push(idProblem('stream', 'lost', lost, 'published users neither in Cassandra nor dead-lettered'));
  if (unread > 0) {
    notes.push(`dead-letter topic: ${unread} of ${counts.deadLettered} messages not read in time; their ids count as not dead-lettered`);
  }

  const unexpected = ids.cassandra.filter((id) => !stored.has(id));
  if (unexpected.length > 0) problems.push(idProblem('cassandra', 'unexpected', unexpected, 'ids in Cassandra but not in PostgreSQL'));

  if (options.expect !== undefined && inCassandra.size !== options.expect) {
    problems.push({
      stage: 'cassandra',
      kind: 'expect',
      count: inCassandra.size,
      ids: [],
      message: `cassandra: expected exactly ${options.expect} users, found ${inCassandra.size}`,
    });
  }

  return {
    ok: problems.length === 0,
    summary: {
      fetched: counts.fetched,
      rejected: counts.rejected,
      stored: stored.size,
      published: ids.published.length,
      cassandra: inCassandra.size,
      deadLettered: counts.deadLettered,
      deadLetteredIngest: ingest,
      deadLetteredOutbox: outbox,
      deadLetteredStream: stream,
    },
    problems,
    notes,
  };
}

export function formatTable({ summary }: Assessment): string {
  const rows: Array<[string, number, string?]> = [
    ['fetched', summary.fetched],
    ['rejected at ingest', summary.rejected],
    ['stored', summary.stored],
    ['published', summary.published],
    ['in Cassandra', summary.cassandra],
    [
      'dead-lettered',
      summary.deadLettered,
      `(ingest ${summary.deadLetteredIngest}, outbox ${summary.deadLetteredOutbox}, stream ${summary.deadLetteredStream})`,
    ],
  ];
  const width = Math.max('count'.length, ...rows.map(([, count]) => String(count).length));
  return [
    `${'stage'.padEnd(20)}  ${'count'.padStart(width)}`,
    ...rows.map(([stage, count, detail]) => `${stage.padEnd(20)}  ${String(count).padStart(width)}${detail ? `  ${detail}` : ''}`),
  ].join('\n');
}

export interface DeadLetter {
  readonly stage: 'ingest' | 'outbox' | 'stream' | 'unknown';
  readonly id: string | null;
}

/** Reads a DLQ message of the contract's shape; the id is the key, or the record's id when there is no key. */
export function parseDeadLetter(key: Buffer | null, value: Buffer | null): DeadLetter {
  let body: unknown;
  try {
    body = value ? JSON.parse(value.toString('utf8')) : undefined;
  } catch {
    body = undefined;
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const stage = fields.stage === 'ingest' || fields.stage === 'outbox' || fields.stage === 'stream' ? fields.stage : 'unknown';
  const record = fields.record;
  const recordId = typeof record === 'object' && record !== null ? (record as Record<string, unknown>).id : undefined;
  const id = key && key.length > 0 ? key.toString('utf8') : typeof recordId === 'string' ? recordId : null;
  return { stage, id: id === null ? null : id.toLowerCase() };
}

// ---- Reading the stores (I/O) ----

async function readCassandraIds(config: CassandraConfig): Promise<string[]> {
  return withCassandra(config, async (client) => {
    const result = await client.execute(`SELECT id FROM ${config.keyspace}.${config.table}`, [], {
      prepare: true,
      fetchSize: 1000,
    });
    const ids: string[] = [];
    // The async iterator fetches the following pages as it goes.
    for await (const row of result) ids.push(String(row.get('id')));
    return ids;
  });
}

interface PostgresState {
  fetched: number;
  unfinishedRuns: number;
  rejected: number;
  published: string[];
  unpublished: Array<{ id: string; ageSeconds: number }>;
  outboxDeadLetters: string[];
}

async function readPostgres(client: PgClient): Promise<PostgresState> {
  // One snapshot, so that a run finishing between two queries cannot make the counts disagree.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const runs = await client.query<{ fetched: string; unfinished: string }>(
    'SELECT coalesce(sum(fetched), 0) AS fetched, count(*) FILTER (WHERE finished_at IS NULL) AS unfinished FROM ingest_runs',
  );
  const rejected = await client.query<{ count: string }>('SELECT count(*) FROM rejected_records');
  const users = await client.query<{ id: string; published: boolean; dead_lettered: boolean; age: number }>(
    'SELECT id, published_at IS NOT NULL AS published, dead_lettered_at IS NOT NULL AS dead_lettered, ' +
      'extract(epoch FROM now() - fetched_at)::float8 AS age FROM users',
  );
  await client.query('COMMIT');
  return {
    fetched: Number(runs.rows[0].fetched),
    unfinishedRuns: Number(runs.rows[0].unfinished),
    rejected: Number(rejected.rows[0].count),
    published: users.rows.filter((row) => row.published).map((row) => row.id),
    unpublished: users.rows.filter((row) => !row.published && !row.dead_lettered).map((row) => ({ id: row.id, ageSeconds: row.age })),
    outboxDeadLetters: users.rows.filter((row) => row.dead_lettered).map((row) => row.id),
  };
}

async function observe(config: PipelineConfig): Promise<{ counts: PipelineCounts; ids: PipelineIds }> {
  // Cassandra before PostgreSQL: a user reaches Cassandra only after its row exists, so an id read from
  // Cassandra is always in the later PostgreSQL read; the other order would report users stored meanwhile
  // as unexpected. The DLQ is read last, to include what the stream dead-lettered meanwhile.
  const { keyspace, table } = config.cassandra;
  const cassandra = await step(`reading Cassandra ${keyspace}.${table}`, SERVICE_TIMEOUT_MS, () =>
    readCassandraIds(config.cassandra),
  );
  const postgres = await step(`reading PostgreSQL (${redactDsn(config.pgDsn)})`, SERVICE_TIMEOUT_MS, () =>
    withPostgres(config.pgDsn, readPostgres),
  );
  const kafka = createKafka(config.kafkaBrokers, 'pipeline-verify');
  const { total, letters } = await step(`reading dead-letter topic '${config.dlqTopic}'`, SERVICE_TIMEOUT_MS, async () => {
    const read: DeadLetter[] = [];
    const { total } = await readTopicToEnd(kafka, config.dlqTopic, DLQ_READ_TIMEOUT_MS, ({ key, value }) => read.push(parseDeadLetter(key, value)));
    return { total, letters: read };
  });
  const byStage = (stage: DeadLetter['stage']) => letters.filter((letter) => letter.stage === stage);
  return {
    counts: {
      fetched: postgres.fetched,
      unfinishedRuns: postgres.unfinishedRuns,
      rejected: postgres.rejected,
      deadLettered: total,
      deadLetteredByStage: {
        ingest: byStage('ingest').length,
        outbox: byStage('outbox').length,
        stream: byStage('stream').length,
        unknown: byStage('unknown').length,
      },
    },
    ids: {
      published: postgres.published,
      unpublished: postgres.unpublished,
      outboxDeadLetters: postgres.outboxDeadLetters,
      cassandra,
      streamDeadLetters: byStage('stream').flatMap(({ id }) => (id === null ? [] : [id])),
    },
  };
}

/** Checks, and while inconsistent re-checks until `waitSeconds` has passed: the stream is asynchronous. */
async function assessUntilSettled(config: PipelineConfig, options: VerifyOptions): Promise<Assessment> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    const { counts, ids } = await observe(config);
    const assessment = assessPipeline(counts, ids, options);
    if (assessment.ok || Date.now() + RECHECK_INTERVAL_MS > deadline) return assessment;
    const pending = assessment.problems.map(({ stage, kind, count }) => `${stage} ${kind} ${count}`).join(', ');
    log(`not consistent yet (${pending}), checking again in ${RECHECK_INTERVAL_MS / 1000} s`);
    await sleep(RECHECK_INTERVAL_MS);
  }
}

export async function main(args: string[] = process.argv.slice(2), env: Env = process.env): Promise<number> {
  const options = parseVerifyArgs(args);
  const config = loadPipelineConfig(env);
  const assessment = await assessUntilSettled(config, options);
  const { ok, summary, problems, notes } = assessment;
  // With --json, stdout carries only the JSON line; the table still reaches the logs on stderr.
  (options.json ? console.error : console.log)(formatTable(assessment));
  for (const note of notes) console.error(`note: ${note}`);
  if (options.json) {
    console.log(JSON.stringify({ ok, summary, problems, notes }));
  }
  if (!ok) console.error(`verify: FAILED\n${problems.map(({ message }) => `  ${message}`).join('\n')}`);
  return ok ? 0 : 1;
}

if (require.main === module) runMain('verify', main);
