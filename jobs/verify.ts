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
import { UuidList, UuidListBuilder, uuidWords } from './lib/uuid-list';

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

/** Ids that share a problem: how many, and the first few in id order. */
export interface IdSample {
  readonly count: number;
  readonly ids: readonly string[];
}

/** What verify read from the stores; problem ids come as samples, so that it never holds them all. */
export interface Observation {
  /** Sum of ingest_runs.fetched (a user sent again by the source counts again). */
  readonly fetched: number;
  /** ingest_runs without finished_at. */
  readonly unfinishedRuns: number;
  /** Finished runs that fetched valid users but recorded no ids (stored before runs recorded them). */
  readonly unidentifiedRuns: number;
  /** Rows in rejected_records. */
  readonly rejected: number;
  /** Rows in users, and of those, the published ones (the outbox's dead letters are stored, not published). */
  readonly stored: number;
  readonly published: number;
  /** Ids in Cassandra. */
  readonly cassandra: number;
  /** Messages in the DLQ topic (high minus low watermarks). */
  readonly deadLettered: number;
  /** Of those, the ones read within the time bound, by the stage that dead-lettered them. */
  readonly deadLetteredByStage: { readonly ingest: number; readonly outbox: number; readonly stream: number; readonly unknown: number };
  /** Ids a finished run fetched that are not in users. */
  readonly ingestLost: IdSample;
  /** Users neither published nor dead-lettered by the outbox, older than --stuck-after. */
  readonly stuck: IdSample;
  /** Published users neither in Cassandra nor dead-lettered by the stream. */
  readonly streamLost: IdSample;
  /** Ids in Cassandra that are not in users. */
  readonly unexpected: IdSample;
}

export interface Problem {
  readonly stage: 'ingest' | 'outbox' | 'stream' | 'cassandra';
  readonly kind: 'lost' | 'stuck' | 'unexpected' | 'expect';
  readonly count: number;
  /** The first ids concerned, sorted; empty when the check does not identify them. */
  readonly ids: readonly string[];
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

/** Keeps the count of the ids added and the first SHOWN_IDS of them: add them in id order to show the smallest. */
export class IdSampler {
  private count = 0;
  private readonly ids: string[] = [];

  public add(id: string): void {
    this.count++;
    if (this.ids.length < SHOWN_IDS) this.ids.push(id);
  }

  public sample(): IdSample {
    return { count: this.count, ids: [...this.ids] };
  }
}

function idProblem(stage: Problem['stage'], kind: Problem['kind'], { count, ids }: IdSample, what: string): Problem {
  const more = count > ids.length ? `, ... (${count - ids.length} more)` : '';
  return { stage, kind, count, ids: [...ids], message: `${stage}: ${count} ${what}: ${ids.join(', ')}${more}` };
}

export function assessPipeline(observation: Observation, options: Pick<VerifyOptions, 'expect' | 'stuckAfterSeconds'>): Assessment {
  const { ingest, outbox, stream, unknown } = observation.deadLetteredByStage;
  const unread = observation.deadLettered - ingest - outbox - stream - unknown;
  const problems: Problem[] = [];
  const notes: string[] = [];
  const check = (sample: IdSample, problem: () => Problem) => {
    if (sample.count > 0) problems.push(problem());
  };

  check(observation.ingestLost, () => idProblem('ingest', 'lost', observation.ingestLost, 'users lost: fetched by a run, not stored'));
  if (observation.unfinishedRuns > 0) notes.push(`${observation.unfinishedRuns} ingest run(s) not finished: their users are checked once they are`);
  if (observation.unidentifiedRuns > 0) {
    notes.push(`${observation.unidentifiedRuns} ingest run(s) recorded no user ids (stored before runs recorded them): their users are not checked`);
  }
  check(observation.stuck, () => idProblem('outbox', 'stuck', observation.stuck, `users unpublished for more than ${options.stuckAfterSeconds} s`));
  check(observation.streamLost, () => idProblem('stream', 'lost', observation.streamLost, 'published users neither in Cassandra nor dead-lettered'));
  if (unread > 0) {
    notes.push(`dead-letter topic: ${unread} of ${observation.deadLettered} messages not read in time; their ids count as not dead-lettered`);
  }
  check(observation.unexpected, () => idProblem('cassandra', 'unexpected', observation.unexpected, 'ids in Cassandra but not in PostgreSQL'));
  if (options.expect !== undefined && observation.cassandra !== options.expect) {
    problems.push({
      stage: 'cassandra',
      kind: 'expect',
      count: observation.cassandra,
      ids: [],
      message: `cassandra: expected exactly ${options.expect} users, found ${observation.cassandra}`,
    });
  }

  return {
    ok: problems.length === 0,
    summary: {
      fetched: observation.fetched,
      rejected: observation.rejected,
      stored: observation.stored,
      published: observation.published,
      cassandra: observation.cassandra,
      deadLettered: observation.deadLettered,
      deadLetteredIngest: ingest,
      deadLetteredOutbox: outbox,
      deadLetteredStream: stream,
    },
    problems,
    notes,
  };
}

/** A user row as verify pages through them, in id order. */
export interface UserRow {
  readonly id: string;
  readonly published: boolean;
}

/**
 * One pass over PostgreSQL's users, page by page in id order, against Cassandra's ids (sorted the same way):
 * published users in neither Cassandra nor the stream's dead letters are lost, Cassandra ids that PostgreSQL
 * does not have are unexpected. Memory: the two id lists and one page.
 */
export async function compareWithCassandra(
  users: AsyncIterable<readonly UserRow[]>,
  cassandra: UuidList,
  streamDeadLetters: UuidList,
): Promise<{ streamLost: IdSample; unexpected: IdSample }> {
  const lost = new IdSampler();
  const unexpected = new IdSampler();
  let next = 0; // the first Cassandra id not yet matched or reported
  for await (const page of users) {
    for (const { id, published } of page) {
      const words = uuidWords(id);
      if (!words) throw new Error(`users.id '${id}' is not a UUID`);
      while (next < cassandra.size && cassandra.compareAt(next, words) < 0) unexpected.add(cassandra.idAt(next++));
      if (next < cassandra.size && cassandra.compareAt(next, words) === 0) next++;
      else if (published && !streamDeadLetters.has(id)) lost.add(id);
    }
  }
  while (next < cassandra.size) unexpected.add(cassandra.idAt(next++));
  return { streamLost: lost.sample(), unexpected: unexpected.sample() };
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

/** Rows per page when verify streams ids: its memory holds one page at a time, whatever the tables' size. */
const PAGE_ROWS = 5000;

async function readCassandraIds(config: CassandraConfig): Promise<UuidList> {
  return withCassandra(config, async (client) => {
    const result = await client.execute(`SELECT id FROM ${config.keyspace}.${config.table}`, [], { prepare: true, fetchSize: PAGE_ROWS });
    const ids = new UuidListBuilder();
    // The async iterator fetches the following pages as it goes.
    for await (const row of result) ids.add(String(row.get('id')));
    return ids.build();
  });
}

/** What PostgreSQL answers in one snapshot: the counts, the samples it finds itself, and the comparison with Cassandra. */
type PostgresObservation = Omit<Observation, 'cassandra' | 'deadLettered' | 'deadLetteredByStage'>;

async function sampleOf(client: PgClient, sql: string, params: unknown[]): Promise<IdSample> {
  const { rows } = await client.query<{ id: string; total: string }>(sql, params);
  return { count: Number(rows[0]?.total ?? 0), ids: rows.map(({ id }) => id) };
}

/** users in id order, PAGE_ROWS at a time (keyset pagination, inside the caller's snapshot). */
async function* userPages(client: PgClient): AsyncGenerator<UserRow[]> {
  let after: string | undefined;
  for (;;) {
    const { rows } = await client.query<UserRow>(
      // users.id, not the text column of the same name: the primary key's index serves the order.
      `SELECT id::text AS id, published_at IS NOT NULL AS published FROM users ${after === undefined ? '' : 'WHERE id > $2'} ORDER BY users.id LIMIT $1`,
      after === undefined ? [PAGE_ROWS] : [PAGE_ROWS, after],
    );
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1].id;
  }
}

/**
 * The users each finished run fetched are compared by id with the users table, in the database: a user sent again
 * by the source in a later run is the same row, not a loss.
 */
const INGEST_LOST = `
  SELECT id::text AS id, count(*) OVER () AS total FROM (
    SELECT DISTINCT f.id FROM ingest_run_users f JOIN ingest_runs r ON r.run_id = f.run_id
    WHERE r.finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = f.id)
  ) lost ORDER BY lost.id LIMIT $1`;

// A user the outbox dead-lettered (the producer refused it) has left the outbox: not stuck.
const STUCK = `
  SELECT id::text AS id, count(*) OVER () AS total FROM users
  WHERE published_at IS NULL AND dead_lettered_at IS NULL AND now() - fetched_at > make_interval(secs => $2)
  ORDER BY users.id LIMIT $1`;

const COUNTS = `
  SELECT (SELECT coalesce(sum(fetched), 0) FROM ingest_runs) AS fetched,
         (SELECT count(*) FROM ingest_runs WHERE finished_at IS NULL) AS unfinished_runs,
         (SELECT count(*) FROM ingest_runs r WHERE finished_at IS NOT NULL AND fetched > rejected
            AND NOT EXISTS (SELECT 1 FROM ingest_run_users f WHERE f.run_id = r.run_id)) AS unidentified_runs,
         (SELECT count(*) FROM rejected_records) AS rejected,
         (SELECT count(*) FROM users) AS stored,
         (SELECT count(*) FROM users WHERE published_at IS NOT NULL) AS published`;

export async function readPostgres(
  client: PgClient,
  cassandra: UuidList,
  streamDeadLetters: UuidList,
  stuckAfterSeconds: number,
): Promise<PostgresObservation> {
  // One snapshot, so that a run finishing between two queries cannot make them disagree. On an error the
  // caller closes the connection, which ends the transaction.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const counts = (await client.query<Record<string, string>>(COUNTS)).rows[0];
  const ingestLost = await sampleOf(client, INGEST_LOST, [SHOWN_IDS]);
  const stuck = await sampleOf(client, STUCK, [SHOWN_IDS, stuckAfterSeconds]);
  const compared = await compareWithCassandra(userPages(client), cassandra, streamDeadLetters);
  await client.query('COMMIT');
  return {
    fetched: Number(counts.fetched),
    unfinishedRuns: Number(counts.unfinished_runs),
    unidentifiedRuns: Number(counts.unidentified_runs),
    rejected: Number(counts.rejected),
    stored: Number(counts.stored),
    published: Number(counts.published),
    ingestLost,
    stuck,
    ...compared,
  };
}

/** The dead-letter topic's size, and what it holds by stage: the stream's dead letters as a list of ids. */
async function readDeadLetters(config: PipelineConfig): Promise<Pick<Observation, 'deadLettered' | 'deadLetteredByStage'> & { streamIds: UuidList }> {
  const kafka = createKafka(config.kafkaBrokers, 'pipeline-verify', config.kafkaLogin);
  const byStage = { ingest: 0, outbox: 0, stream: 0, unknown: 0 };
  const streamIds = new UuidListBuilder();
  const { total } = await readTopicToEnd(kafka, config.dlqTopic, DLQ_READ_TIMEOUT_MS, ({ key, value }) => {
    const { stage, id } = parseDeadLetter(key, value);
    byStage[stage]++;
    if (stage === 'stream' && id !== null) streamIds.add(id);
  });
  return { deadLettered: total, deadLetteredByStage: byStage, streamIds: streamIds.build() };
}

async function observe(config: PipelineConfig, options: VerifyOptions): Promise<Observation> {
  // Cassandra before PostgreSQL: a user reaches Cassandra only after its row exists, so an id read from
  // Cassandra is always in the later PostgreSQL read; the other order would report users stored meanwhile
  // as unexpected. The DLQ before PostgreSQL too, so a user the stream dead-lettered is not counted lost.
  const { keyspace, table } = config.cassandra;
  const cassandra = await step(`reading Cassandra ${keyspace}.${table}`, SERVICE_TIMEOUT_MS, () => readCassandraIds(config.cassandra));
  const { streamIds, ...deadLetters } = await step(`reading dead-letter topic '${config.dlqTopic}'`, SERVICE_TIMEOUT_MS, () => readDeadLetters(config));
  const postgres = await step(`reading PostgreSQL (${redactDsn(config.pgDsn)})`, SERVICE_TIMEOUT_MS, () =>
    withPostgres(config.pgDsn, (client) => readPostgres(client, cassandra, streamIds, options.stuckAfterSeconds)),
  );
  return { ...postgres, ...deadLetters, cassandra: cassandra.size };
}

/** Checks, and while inconsistent re-checks until `waitSeconds` has passed: the stream is asynchronous. */
async function assessUntilSettled(config: PipelineConfig, options: VerifyOptions): Promise<Assessment> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  for (;;) {
    const assessment = assessPipeline(await observe(config, options), options);
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
