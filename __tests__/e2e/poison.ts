/**
 * Poison records on the deployed platform (issue: poison records). Records the stream cannot take, produced
 * straight to the users topic with a round of valid users behind them in the same micro-batch, and an outbox
 * row the producer refuses. Each bad record must end in the dead-letter topic exactly as the capped envelope of
 * docs/pipeline.md says, the valid users must arrive, verify must agree, and the Spark driver must never restart.
 * Expected envelopes are written from the contract (docs/pipeline.md), not from the jobs' code.
 */
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { type Kafka, type Producer } from 'kafkajs';
import { hostKafka } from '../../ops/host-kafka';
import { Client as PgClient } from 'pg';
import { confluentHeader, latestSchemaId, registryUrl } from '../../ops/avro';
import { docker, PREFIX, ROOT, waitFor } from '../../ops/deployment';
import { DAG_ID, healthyAgain, PipelineDriver, type Round, type TopicMessage } from './pipeline-driver';

const TOPIC = 'users_created';
const DLQ_TOPIC = 'users_created.dlq';
const SPARK_JOB = `${PREFIX}-spark-job`;
/** Valid users behind each poison record: with it and a probe, one micro-batch of the e2e deployment (at most 200). */
const ROUND_USERS = 150;
/** The envelope carries at most this many bytes of a record (docs/pipeline.md, "Dead-letter topic"). */
const RECORD_PREFIX_BYTES = 4096;
/** Refusals of an outbox row before it is dead-lettered (docs/pipeline.md, "Guarantees and limits"). */
const MAX_PUBLISH_ATTEMPTS = 3;
/** A bound on the seconds from the stream's resumption to every valid user in Cassandra. */
const DELIVERY_BOUND_SECONDS = 120;

const USER_FIELDS = (JSON.parse(fs.readFileSync(path.join(ROOT, 'jobs', 'schemas', 'user.avsc'), 'utf8')) as { fields: { name: string }[] }).fields.map(
  (field) => field.name,
);

/** The dead-letter envelope of docs/pipeline.md. */
interface DeadLetter {
  stage: string;
  reason: string;
  field: string | null;
  source: { topic: string; partition: number; offset: number } | null;
  size: number | null;
  sha256: string | null;
  truncated: boolean;
  record: unknown;
}

/** A record produced straight to the users topic, and what its dead letter must say about it. */
interface Poison {
  readonly name: string;
  readonly key: string;
  readonly value: Buffer;
  /** Undefined: the broker refuses the record, so it never enters the topic. */
  readonly reason?: string;
  readonly field?: string | null;
  /** The decoded record, when its dead letter carries it as JSON rather than as base64 of its bytes. */
  readonly decoded?: Record<string, string>;
}

/** What a round with (or without) a poison record ahead of its users measured. */
interface RoundFigures {
  /** From the stream's resumption to the micro-batch's dead letters (the batch's last write). */
  batchSeconds: number;
  /** From the stream's resumption to every valid user of the round in Cassandra. */
  deliverySeconds: number;
  /** batchSeconds over the round without a poison record. */
  stallSeconds?: number;
}

/** The poison tests, run on the shared deployment whose outputs `outputs()` gives once it is up. */
export function poisonTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  const poisonFigures: Record<string, unknown> = {};
  figures.poison = poisonFigures;

  describe('poison records: dead-lettered as capped, nothing else held up, no restart', () => {
    let driver: PipelineDriver;
    let kafka: Kafka;
    beforeAll(async () => {
      driver = new PipelineDriver(outputs());
      kafka = hostKafka(outputs(), 'producer');
      await driver.sourceControl({ badEvery: 0, fail5xx: 0, malformed: 0 });
    });

    test('records the stream cannot take, produced to the users topic, are dead-lettered as capped while the valid users behind them arrive; the driver never restarts', async () => {
      const schemaId = await latestSchemaId(registryUrl(outputs()));
      const poisons = poisonRecords(schemaId);
      const restartsBefore = restarts();
      const producer = kafka.producer();
      await producer.connect();
      const offsets = new Map<string, { partition: number; offset: number }>();
      const rounds: Record<string, RoundFigures> = {};
      try {
        rounds.none = (await roundBehind(driver, kafka, producer, 'no poison', undefined)).figures;
        for (const poison of poisons) {
          const round = await roundBehind(driver, kafka, producer, poison.name, poison);
          if (round.sent) offsets.set(poison.name, round.sent);
          rounds[poison.name] = { ...round.figures, stallSeconds: round.figures.batchSeconds - rounds.none.batchSeconds };
        }
      } finally {
        await producer.disconnect();
      }

      // Each record the broker took is in the dead-letter topic once (no batch replayed), exactly as capped.
      const letters = (await driver.readTopic(DLQ_TOPIC)).filter((m) => m.value !== null).map((m) => ({ message: m, letter: JSON.parse(m.value!.toString('utf8')) as DeadLetter }));
      let largest = 0;
      for (const poison of poisons.filter((p) => p.reason !== undefined)) {
        const at = offsets.get(poison.name)!;
        const found = letters.filter(({ letter }) => letter.source?.topic === TOPIC && letter.source.partition === at.partition && letter.source.offset === at.offset);
        expect({ poison: poison.name, letters: found.length }).toEqual({ poison: poison.name, letters: 1 });
        const [{ message, letter }] = found;
        expect({ poison: poison.name, key: message.key, letter }).toEqual({ poison: poison.name, key: poison.key, letter: expectedLetter(poison, at) });
        largest = Math.max(largest, message.value!.length);
      }
      expect(restarts()).toEqual(restartsBefore);
      await healthyAgain(SPARK_JOB);
      for (const [name, round] of Object.entries(rounds)) {
        expect({ name, withinBound: round.deliverySeconds <= DELIVERY_BOUND_SECONDS }).toEqual({ name, withinBound: true });
      }
      Object.assign(poisonFigures, { rounds, largestDeadLetterBytes: largest, driverRestarts: Number(restarts().count) - Number(restartsBefore.count) });
    }, 30 * 60 * 1000);

    test('an outbox row over the producer\'s size limit ends in the dead-letter topic with its reason after 3 refusals, while the rest of its run publishes', async () => {
      const id = randomUUID();
      const user: Record<string, string> = { ...sampleUser(id), first_name: 'x'.repeat(1_200_000) };
      const pg = new PgClient({ connectionString: outputs().postgres_dsn });
      await pg.connect();
      try {
        // As the DAG stores a user (an ingest run that fetched and stored it), older than the round's users, so it
        // sorts first in the outbox; stored before pipeline.maxFieldLength existed, say.
        await pg.query('BEGIN');
        await pg.query(
          `INSERT INTO users (${USER_FIELDS.join(', ')}, fetched_at) VALUES (${USER_FIELDS.map((_, i) => `$${i + 1}`).join(', ')}, now() - interval '1 minute')`,
          USER_FIELDS.map((name) => user[name]),
        );
        await pg.query("INSERT INTO ingest_runs (run_id, fetched, stored, rejected, finished_at) VALUES ($1, 1, 1, 0, now())", [`e2e-oversized-${id}`]);
        await pg.query('INSERT INTO ingest_run_users (run_id, id) VALUES ($1, $2)', [`e2e-oversized-${id}`, id]);
        await pg.query('COMMIT');

        const started = Date.now();
        const round = await driver.startRound(ROUND_USERS);
        // The first try refuses the row and publishes every other one, then fails for its retry.
        await waitFor('the end of publish_outbox\'s first try', 5 * 60 * 1000, async () => {
          const ti = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
          return ti.try_number >= 2 || ti.state === 'up_for_retry' || ti.state === 'failed' ? ti : undefined;
        }, 250);
        const afterFirstTry = await rowStates(pg, [id, ...round.newValidIds]);
        expect({ published: round.newValidIds.filter((u) => afterFirstTry.get(u)?.published).length, refused: afterFirstTry.get(id) }).toEqual({
          published: round.newValidIds.length,
          refused: { published: false, attempts: expect.any(Number) as number, deadLettered: false, error: expect.stringMatching(/MSG_SIZE_TOO_LARGE/) as string },
        });
        expect(await driver.airflow.taskLog(DAG_ID, round.runId, 'publish_outbox', 1)).toContain('refused by the producer, to be tried again');

        const delivered = await driver.expectDelivered(round, 'oversized outbox row');
        const publish = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
        expect(publish.try_number).toBe(MAX_PUBLISH_ATTEMPTS);
        const final = (await rowStates(pg, [id])).get(id);
        expect(final).toEqual({ published: false, attempts: MAX_PUBLISH_ATTEMPTS, deadLettered: true, error: expect.stringMatching(/MSG_SIZE_TOO_LARGE/) as string });

        const found = (await driver.readTopic(DLQ_TOPIC)).filter((m) => m.key === id);
        expect(found.length).toBe(1);
        const raw = canonicalJson(user);
        const letter = JSON.parse(found[0].value!.toString('utf8')) as DeadLetter;
        expect(letter).toEqual({
          stage: 'outbox',
          reason: expect.stringMatching(/^refused by the producer 3 times, the last time with: not queued: MSG_SIZE_TOO_LARGE: /) as string,
          field: null,
          source: null,
          size: raw.length,
          sha256: sha256(raw),
          truncated: true,
          record: raw.subarray(0, RECORD_PREFIX_BYTES).toString('base64'),
        });
        poisonFigures.oversizedOutboxRow = {
          rowBytes: raw.length,
          deadLetterBytes: found[0].value!.length,
          publishTries: publish.try_number,
          secondsToDeadLetter: (Date.now() - started) / 1000,
          roundDeliverySeconds: delivered.seconds,
        };
      } finally {
        await pg.end();
      }
    }, 20 * 60 * 1000);
  });
}

/** The poison records of the issue; the probe that follows each is added by roundBehind. */
function poisonRecords(schemaId: number): Poison[] {
  const nulId = randomUUID();
  const nul = { ...sampleUser(nulId), first_name: 'Nu\u0000ll' };
  const surrogateId = randomUUID();
  // A lone surrogate (U+D800) as CESU-8/WTF-8 write it: ED A0 80, which is not UTF-8. No Avro encoder writes it.
  const surrogate = { ...utf8Fields(sampleUser(surrogateId)), first_name: Buffer.from([0x41, 0xed, 0xa0, 0x80, 0x64, 0x61]) };
  return [
    {
      name: '800 KB garbage',
      key: 'poison-garbage',
      // 0x01 opens the first string with a negative length, so the body can only be undecodable.
      value: Buffer.concat([confluentHeader(schemaId), Buffer.from([0x01]), pseudoRandomBytes(800 * 1024 - 6)]),
      reason: 'undecodable Avro',
      field: null,
    },
    { name: '5 MB refused by the broker', key: 'poison-5mb', value: pseudoRandomBytes(5 * 1024 * 1024) },
    {
      name: 'NUL character',
      key: nulId,
      value: Buffer.concat([confluentHeader(schemaId), avroBody(utf8Fields(nul))]),
      reason: 'NUL character in field: first_name',
      field: 'first_name',
      decoded: nul,
    },
    {
      name: 'lone surrogate',
      key: surrogateId,
      value: Buffer.concat([confluentHeader(schemaId), avroBody(surrogate)]),
      reason: 'invalid UTF-8 (such as a lone surrogate) in field: first_name',
      field: 'first_name',
    },
  ];
}

/**
 * One round of valid users behind a poison record (or none): with the stream held (the Spark driver paused),
 * the record and a small probe are produced, then a DAG run stores and publishes the users, so that the
 * record, the probe and the users share the micro-batch that follows. The probe's dead letter, the batch's last
 * write, times the batch. The round must then deliver exactly its valid users, verify agreeing.
 */
async function roundBehind(
  driver: PipelineDriver,
  kafka: Kafka,
  producer: Producer,
  label: string,
  poison: Poison | undefined,
): Promise<{ figures: RoundFigures; sent?: { partition: number; offset: number } }> {
  const probeKey = `poison-probe-${randomUUID()}`;
  let round: Round;
  let sent: { partition: number; offset: number } | undefined;
  docker('pause', SPARK_JOB);
  try {
    if (poison?.reason !== undefined) sent = await produce(producer, poison.key, poison.value);
    if (poison && poison.reason === undefined) await expectRefusedByBroker(kafka, producer, poison);
    await produce(producer, probeKey, Buffer.from([0, 1]));
    round = await driver.startRound(ROUND_USERS);
    expect({ label, run: await driver.airflow.runEnd(DAG_ID, round.runId) }).toEqual({ label, run: 'success' });
  } finally {
    docker('unpause', SPARK_JOB);
  }
  const resumed = Date.now();
  const deliverySeconds = await untilInCassandra(driver, round.target, resumed);
  const probe = await waitFor(`the probe's dead letter after ${label}`, 5 * 60 * 1000, async () =>
    (await driver.readTopic(DLQ_TOPIC)).find((m: TopicMessage) => m.key === probeKey), 2000);
  await driver.expectDelivered(round, `poison ${label}`);
  return { figures: { batchSeconds: (probe.timestamp - resumed) / 1000, deliverySeconds }, sent };
}

/** Sends one record and returns where the broker put it. */
async function produce(producer: Producer, key: string, value: Buffer): Promise<{ partition: number; offset: number }> {
  const [meta] = await producer.send({ topic: TOPIC, messages: [{ key, value }] });
  return { partition: meta.partition, offset: Number(meta.baseOffset) };
}

/** The broker refuses a record over its message.max.bytes (1 MB by default) and stores nothing of it. */
async function expectRefusedByBroker(kafka: Kafka, producer: Producer, poison: Poison): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const end = async () => (await admin.fetchTopicOffsets(TOPIC)).reduce((sum, { high }) => sum + Number(high), 0);
    const before = await end();
    await expect(producer.send({ topic: TOPIC, messages: [{ key: poison.key, value: poison.value }] })).rejects.toThrow(
      'The request included a message larger than the max message size the server will accept',
    );
    expect(await end()).toBe(before);
  } finally {
    await admin.disconnect();
  }
}

/** Seconds from `since` until Cassandra holds `count` users, polled every 250 ms. */
async function untilInCassandra(driver: PipelineDriver, count: number, since: number): Promise<number> {
  await driver.withCassandra(async (client) => {
    await waitFor(`${count} users in Cassandra`, 10 * 60 * 1000, async () => {
      const result = await client.execute('SELECT count(*) AS n FROM spark_streams.created_users');
      return Number(result.rows[0].n) >= count ? true : undefined;
    }, 250);
  });
  return (Date.now() - since) / 1000;
}

/** The dead letter the contract prescribes for a poison record that the broker stored at `at`. */
function expectedLetter(poison: Poison, at: { partition: number; offset: number }): DeadLetter {
  const truncated = poison.decoded === undefined && poison.value.length > RECORD_PREFIX_BYTES;
  return {
    stage: 'stream',
    reason: poison.reason!,
    field: poison.field ?? null,
    source: { topic: TOPIC, partition: at.partition, offset: at.offset },
    size: poison.value.length,
    sha256: sha256(poison.value),
    truncated,
    record: poison.decoded ?? poison.value.subarray(0, RECORD_PREFIX_BYTES).toString('base64'),
  };
}

/** The Spark driver container's restart count and start time: both unchanged means it never restarted. */
function restarts(): { count: string; startedAt: string } {
  const [count, startedAt] = docker('inspect', '-f', '{{.RestartCount}} {{.State.StartedAt}}', SPARK_JOB).split(' ');
  return { count, startedAt };
}

/** Each row's outbox state, by id. */
async function rowStates(pg: PgClient, ids: string[]): Promise<Map<string, { published: boolean; attempts: number; deadLettered: boolean; error: string | null }>> {
  const result = await pg.query<{ id: string; published: boolean; attempts: number; dead_lettered: boolean; error: string | null }>(
    'SELECT id::text, published_at IS NOT NULL AS published, publish_attempts AS attempts, dead_lettered_at IS NOT NULL AS dead_lettered, publish_error AS error FROM users WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return new Map(result.rows.map((r) => [r.id, { published: r.published, attempts: r.attempts, deadLettered: r.dead_lettered, error: r.error }]));
}

/** A valid user, as the stream and the outbox carry it: the fields of jobs/schemas/user.avsc. */
function sampleUser(id: string): Record<string, string> {
  const user: Record<string, string> = {
    id,
    first_name: 'Pat',
    last_name: 'Poison',
    gender: 'female',
    address: '1 Main Street, Leeds, West Yorkshire, United Kingdom',
    post_code: 'LS1 1AA',
    email: 'pat.poison@example.com',
    username: 'pat1',
    dob: '1990-01-01T00:00:00.000Z',
    registered_date: '2020-01-01T00:00:00.000Z',
    phone: '0123456789',
    picture: 'https://example.com/m/pat1.jpg',
  };
  expect(Object.keys(user)).toEqual(USER_FIELDS);
  return user;
}

function utf8Fields(user: Record<string, string>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(user).map(([name, value]) => [name, Buffer.from(value, 'utf8')]));
}

/**
 * A users record's Avro body written by hand, so that a string may hold bytes no encoder writes: each field,
 * in the schema's order, is its length as a zig-zag varint, then its bytes.
 */
function avroBody(fields: Record<string, Buffer>): Buffer {
  return Buffer.concat(USER_FIELDS.flatMap((name) => [zigZagLength(fields[name].length), fields[name]]));
}

function zigZagLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length * 2;
  while (rest > 0x7f) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Deterministic noise (a linear congruential generator), so a failing run can be repeated byte for byte. */
function pseudoRandomBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** The record's JSON as the outbox digests it: keys sorted, no spaces, UTF-8 (docs/pipeline.md). */
function canonicalJson(record: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)))), 'utf8');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
