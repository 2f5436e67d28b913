/**
 * Schema evolution on the deployed platform (issue: schema evolution without a restart and without the dead-letter
 * topic). A field added with a default and deployed with `cdktf deploy` reaches both stores while the Spark job
 * keeps running; an incompatible change stops `cdktf deploy`, naming the field, before any running container is
 * replaced, and the stack keeps delivering; the replay tool brings back users that an earlier producer framed with
 * a schema the stream could not read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Type, type Schema } from 'avsc';
import { hostKafka, replayKafkaEnv } from '../../ops/host-kafka';
import { Client as PgClient } from 'pg';
import type { GeneratedUser } from '../../jobs/fake-randomuser';
import { confluentHeader, encodeConfluent, readConfluentHeader } from '../../jobs/lib/confluent';
import { latestSchema, register } from '../../jobs/lib/registry';
import { registryUrl as writerRegistryUrl } from '../../ops/avro';
import { containerLog, deployErrorText, docker, LOG_DIRECTORY, PREFIX, ROOT, runLogged, waitFor } from '../../ops/deployment';
import { expectedRow } from '../../ops/users';
import { PipelineDriver } from './pipeline-driver';

const SUBJECT = 'users_created-value';
const TABLE = 'spark_streams.created_users';
const SCHEMA_FILE = path.join(ROOT, 'jobs', 'schemas', 'user.avsc');
/** The compatible change: a field with a default, which the DAG reads from the API's `nat`. */
const NATIONALITY = { name: 'nationality', type: 'string', default: '', sourcePath: 'nat' };
/** The incompatible one: a new field without a default, which records of the earlier versions lack. */
const CELL = { name: 'cell', type: 'string', sourcePath: 'cell' };
const ROUND = 500;
const AFTER_RESTART_ROUND = 20;
const REPLAYED_USERS = 40;
/** A schema id no registry here hands out (Apicurio's ids count up from 1). */
const UNKNOWN_ID = 0x7ffffff0;
/** What the Spark job gives a record whose writer schema the latest one cannot read (users_transform.py). */
const UNREADABLE = 'writer schema not readable with the latest schema';
/** The containers a schema change must leave alone: every long-running service. */
const SERVICES = [
  'zookeeper', 'kafka', 'schema-registry', 'postgres', 'cassandra', 'spark-master', 'spark-worker-1',
  'fake-randomuser', 'airflow-api-server', 'airflow-dag-processor', 'airflow-scheduler', 'spark-job',
].map((s) => `${PREFIX}-${s}`);

type AvroRecordSchema = { name: string; namespace?: string; fields: Record<string, unknown>[] };
type ServedUser = GeneratedUser;

/** Each container's id, start time and restart count: any replacement or restart changes one of them. */
function containerStates(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, docker('inspect', '-f', '{{.Id}} {{.State.StartedAt}} restarts={{.RestartCount}}', name)]));
}

/** The Spark job's batch writes in its log, in order: each batch's id and the schema ids it was decoded with. */
function batchWrites(log: string): { batch: number; schemaIds: number[] }[] {
  return [...log.matchAll(/batch (\d+) written \(schema ids \[([\d, ]*)\]/g)].map((match) => ({
    batch: Number(match[1]),
    schemaIds: match[2].split(',').map(Number),
  }));
}

/** `cdktf deploy` with the schema file given; resolves to its seconds. */
async function deployWithSchema(logName: string, schemaFile: string): Promise<number> {
  return (await runLogged(logName, 'npx', ['cdktf', 'deploy', '--auto-approve'], { KP_PIPELINE_SCHEMA_FILE: schemaFile })) / 1000;
}

export function schemaEvolutionTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  const evolution: Record<string, unknown> = {};
  figures.schemaEvolution = evolution;

  describe('schema evolution: without a restart and without the dead-letter topic', () => {
    let driver: PipelineDriver;
    // Beside the logs, not in a temporary folder: the evolved file stays the stack's schema for the later deploys.
    const directory = path.join(LOG_DIRECTORY, 'schema-evolution');
    let evolvedFile: string;
    const v1 = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as AvroRecordSchema;
    const writeSchema = (name: string, schema: AvroRecordSchema) => {
      const file = path.join(directory, name);
      fs.writeFileSync(file, JSON.stringify(schema, null, 2));
      return file;
    };
    // The writer: this test registers schemas.
    const registryUrl = () => writerRegistryUrl(outputs(), 'writer');
    const pg = async <T>(use: (client: PgClient) => Promise<T>): Promise<T> => {
      const client = new PgClient({ connectionString: outputs().postgres_dsn });
      await client.connect();
      try {
        return await use(client);
      } finally {
        await client.end();
      }
    };
    const columns = async () => ({
      cassandra: await driver.withCassandra(async (c) =>
        (await c.execute("SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'spark_streams' AND table_name = 'created_users'")).rows.map((r) => String(r.column_name)).sort(),
      ),
      postgres: await pg(async (c) => (await c.query<{ name: string }>("SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'users'")).rows.map((r) => r.name).sort()),
    });
    const dlqTotal = async () => (await driver.readTopic('users_created.dlq')).length;

    beforeAll(async () => {
      driver = new PipelineDriver(outputs());
      // Only good users from here on: whatever reaches the dead-letter topic is the schema change's doing.
      await driver.sourceControl({ badEvery: 0, fail5xx: 0, malformed: 0 });
      fs.mkdirSync(directory, { recursive: true });
      evolvedFile = writeSchema('user-evolved.avsc', { ...v1, fields: [...v1.fields, NATIONALITY] });
    });

    test('a field added with a default: cdktf deploy adds its columns, the running Spark job reads both versions, every user lands with the right fields', async () => {
      const before = containerStates(SERVICES);
      const v1Id = (await latestSchema(registryUrl(), SUBJECT)).id;
      const dlqBefore = await dlqTotal();
      const usersBefore = (await driver.validUsers()).length;

      evolution.deploySeconds = await deployWithSchema('deploy-evolved-schema', evolvedFile);
      const deployedAt = Date.now();
      // The stack now runs the evolved schema: later deploys of the suite (a setting change, the destroy) keep
      // it, as a team would keep its edited file, instead of deploying the first version back.
      process.env.KP_PIPELINE_SCHEMA_FILE = evolvedFile;

      // Only the bootstrap job was replaced: no service restarted, the Spark job included.
      expect(containerStates(SERVICES)).toEqual(before);
      expect(docker('inspect', '-f', '{{.State.ExitCode}}', `${PREFIX}-bootstrap`)).toBe('0');
      const v2 = await latestSchema(registryUrl(), SUBJECT);
      expect(v2.id).not.toBe(v1Id);
      expect((JSON.parse(v2.schema) as AvroRecordSchema).fields.map((f) => f.name)).toContain('nationality');
      const added = await columns();
      expect({ cassandra: added.cassandra.includes('nationality'), postgres: added.postgres.includes('nationality') }).toEqual({ cassandra: true, postgres: true });

      // More users, now published with the new version.
      const triggeredAt = Date.now();
      const round = await driver.startRound(ROUND);
      expect(round.newValidIds.length).toBe(ROUND);
      const delivered = await driver.expectDelivered(round, 'schema evolved');

      // Every user of both rounds, field for field: the new ones with their nationality, the earlier ones without.
      const served = (await driver.validUsers()) as ServedUser[];
      const fresh = new Set(round.newValidIds);
      const [rows, writeTimes] = await driver.withCassandra(async (c) => [
        (await c.execute(`SELECT * FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows,
        // Microseconds since the epoch, by Cassandra's clock (the host's, as Kafka's timestamps are).
        (await c.execute(`SELECT id, WRITETIME(nationality) AS written FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows,
      ]);
      const byId = new Map(rows.map((r) => [String(r.id), r]));
      const writtenMs = new Map(writeTimes.map((r) => [String(r.id), Number(String(r.written)) / 1000]));
      const mismatches = served.filter((user) => {
        const id = user.login.uuid.toLowerCase();
        const want = { ...expectedRow(user), nationality: fresh.has(id) ? user.nat : null };
        const row = byId.get(id);
        return row === undefined || Object.entries(want).some(([field, value]) => (row[field] === null ? null : String(row[field])) !== value);
      });
      expect({ users: served.length, mismatched: mismatches.slice(0, 5).map((u) => u.login.uuid) }).toEqual({ users: usersBefore + ROUND, mismatched: [] });
      // And in PostgreSQL, which the DAG filled from the registered schema.
      const stored = await pg(async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND nationality = 'GB'", [round.newValidIds])).rows[0].n);
      expect(stored).toBe(ROUND);

      // Nothing went to the dead-letter topic, and the Spark job is the same process it was.
      expect(await dlqTotal()).toBe(dlqBefore);
      expect(containerStates([`${PREFIX}-spark-job`])).toEqual({ [`${PREFIX}-spark-job`]: before[`${PREFIX}-spark-job`] });
      // The first batch that met the new version flagged the query, which was started again with it only once Spark
      // had committed that batch: the batch was written once, not again by the new query (which would redo it first
      // thing, before a later round's batches).
      await waitFor('the Spark job to restart its query', 60000, () => containerLog(`${PREFIX}-spark-job`).includes('restarting the query to decode schema ids') || undefined, 1000);
      await driver.expectDelivered(await driver.startRound(AFTER_RESTART_ROUND), 'read by the restarted query');
      const jobLog = containerLog(`${PREFIX}-spark-job`);
      expect(jobLog).toContain(`reading with the latest schema, id ${v2.id}`);
      const writes = batchWrites(jobLog);
      const flagging = writes.find((write) => write.schemaIds.includes(v2.id));
      expect(flagging).toBeDefined();
      expect(writes.filter((write) => write.batch === flagging?.batch)).toHaveLength(1);
      expect(writes.at(-1)?.batch).toBeGreaterThan(flagging?.batch ?? Infinity);

      // The first user of the new version: from its produce (Kafka's timestamp) to its row (Cassandra's write time).
      const produced = new Map(
        (await driver.readTopic('users_created'))
          .filter((m) => m.value !== null && m.value.length >= 5 && m.value[0] === 0 && readConfluentHeader(m.value).schemaId === v2.id)
          .map((m) => [m.key ?? '', m.timestamp]),
      );
      const latencies = round.newValidIds
        .filter((id) => produced.has(id))
        .map((id) => ({ id, producedMs: produced.get(id) ?? 0, writtenMs: writtenMs.get(id) ?? NaN }))
        .sort((a, b) => a.producedMs - b.producedMs);
      expect({ produced: latencies.length, written: latencies.filter((l) => Number.isFinite(l.writtenMs)).length }).toEqual({ produced: ROUND, written: ROUND });
      const first = latencies[0];
      const median = [...latencies].map((l) => l.writtenMs - l.producedMs).sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
      evolution.firstEvolvedUser = {
        produceToRowSeconds: (first.writtenMs - first.producedMs) / 1000,
        roundMedianProduceToRowSeconds: median / 1000,
        triggerToRowSeconds: (Math.min(...latencies.map((l) => l.writtenMs)) - triggeredAt) / 1000,
        deployEndToRowSeconds: (Math.min(...latencies.map((l) => l.writtenMs)) - deployedAt) / 1000,
      };
      evolution.evolvedRound = { users: ROUND, deliverySeconds: delivered.seconds, schemaIds: { before: v1Id, after: v2.id } };
    }, 30 * 60 * 1000);

    test('an incompatible change: cdktf deploy fails naming the field and the rule, before any running container changes; the stack keeps delivering', async () => {
      const incompatible = writeSchema('user-incompatible.avsc', { ...v1, fields: [...v1.fields, NATIONALITY, CELL] });
      const before = containerStates(SERVICES);
      const latestBefore = await latestSchema(registryUrl(), SUBJECT);
      const columnsBefore = await columns();

      const started = Date.now();
      const failure = await deployWithSchema('deploy-incompatible-schema', incompatible).then(() => undefined, (error: unknown) => error as Error);
      evolution.incompatibleDeployFailedAfterSeconds = (Date.now() - started) / 1000;
      expect(failure).toBeDefined();
      // The bootstrap job names the field and the rule, and cdktf's error ends with its last lines. Terraform
      // wraps a diagnostic in a box at the terminal's width: read it without the box, colours and line breaks.
      const bootstrapLog = containerLog(`${PREFIX}-bootstrap`);
      expect(bootstrapLog).toContain("not BACKWARD_TRANSITIVE compatible with what subject 'users_created-value' holds");
      expect(bootstrapLog).toContain("field 'cell' is new and has no default");
      const deployError = deployErrorText(failure);
      expect(deployError).toContain(`${PREFIX}-bootstrap exited non-zero`);
      expect(deployError).toContain("field 'cell' is new and has no default");
      expect(deployError).toContain('BACKWARD_TRANSITIVE');

      // Nothing else changed: no container replaced or restarted, the registry and both tables as they were.
      expect(containerStates(SERVICES)).toEqual(before);
      expect((await latestSchema(registryUrl(), SUBJECT)).id).toBe(latestBefore.id);
      expect(await columns()).toEqual(columnsBefore);

      // And it keeps delivering.
      const round = await driver.startRound(ROUND);
      await driver.expectDelivered(round, 'incompatible schema refused');

      // Deploying the compatible file again puts the stack back as it was (the failed bootstrap replaced, exit 0).
      evolution.redeploySeconds = await deployWithSchema('deploy-evolved-schema-again', evolvedFile);
      expect(docker('inspect', '-f', '{{.State.ExitCode}}', `${PREFIX}-bootstrap`)).toBe('0');
      expect(containerStates(SERVICES)).toEqual(before);
    }, 30 * 60 * 1000);

    test('the replay tool brings back users an earlier producer dead-lettered, and verify --expect agrees', async () => {
      // The earlier fault: a producer that fetched users from the API, stored them in PostgreSQL as the DAG does,
      // and published them with its own record schema (registered under its record name), which the stream cannot
      // resolve onto the users schema: each one lands in the dead-letter topic with the raw message.
      const legacySchema = { ...v1, name: 'LegacyUser', namespace: 'io.kafkapipelining.legacy' };
      const legacyId = await register(registryUrl(), 'io.kafkapipelining.legacy.LegacyUser', JSON.stringify(legacySchema));
      const legacy = Type.forSchema(legacySchema as Schema);
      const users = ((await (await fetch(`${outputs().source_api_url}/api/?results=${REPLAYED_USERS}`)).json()) as { results: ServedUser[] }).results;
      const rows = users.map((user) => expectedRow(user));
      const ids = rows.map((row) => row.id);
      const fields = v1.fields.map((f) => String(f.name));
      await pg(async (c) => {
        await c.query('BEGIN');
        for (const row of rows) {
          await c.query(`INSERT INTO users (${fields.join(', ')}, published_at) VALUES (${fields.map((_, i) => `$${i + 1}`).join(', ')}, now())`, fields.map((f) => row[f]));
        }
        await c.query("INSERT INTO ingest_runs (run_id, fetched, stored, rejected, finished_at) VALUES ('e2e-legacy-producer', $1, $1, 0, now())", [rows.length]);
        await c.query("INSERT INTO ingest_run_users (run_id, id) SELECT 'e2e-legacy-producer', unnest($1::uuid[])", [ids]);
        await c.query('COMMIT');
      });
      const inCassandraBefore = (await driver.cassandraIds()).length;
      const kafka = hostKafka(outputs(), 'producer');
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      try {
        await producer.send({ topic: 'users_created', acks: -1, messages: rows.map((row) => ({ key: row.id, value: encodeConfluent(legacy, legacyId, row) })) });
      } finally {
        await producer.disconnect();
      }
      const deadLettered = await waitFor(`${REPLAYED_USERS} users in the dead-letter topic`, 5 * 60 * 1000, async () => {
        const letters = (await driver.readTopic('users_created.dlq'))
          .map((m) => ({ key: m.key, letter: JSON.parse(m.value?.toString() ?? 'null') as { stage: string; reason: string; record: unknown } }))
          .filter(({ key, letter }) => letter.stage === 'stream' && key !== null && ids.includes(key));
        return letters.length >= ids.length ? letters : undefined;
      }, 3000);
      expect(new Set(deadLettered.map(({ letter }) => letter.reason))).toEqual(new Set([UNREADABLE]));
      expect((await driver.cassandraIds()).filter((id) => ids.includes(id))).toEqual([]);

      const replay = async (logName: string, reason: string, ...flags: string[]) => {
        await runLogged(logName, 'npx', ['ts-node', '--transpile-only', 'jobs/replay.ts', '--stage', 'stream', '--reason', reason, '--json', ...flags], {
          ...replayKafkaEnv(outputs()),
          PIPELINE_SCHEMA_REGISTRY_URL: outputs().schema_registry_url,
          PIPELINE_SCHEMA_REGISTRY_USERNAME: outputs().schema_registry_user,
          PIPELINE_SCHEMA_REGISTRY_PASSWORD: outputs().schema_registry_password,
        });
        const line = fs.readFileSync(path.join(LOG_DIRECTORY, `${logName}.log`), 'utf8').split('\n').reverse().find((l) => l.startsWith('{"dryRun"'));
        return JSON.parse(line ?? '{}') as { dryRun: boolean; selected: number; replayable: number; replayed: number; skipped: unknown[] };
      };
      const topicSize = async () => (await driver.readTopic('users_created')).length;

      // A dry run says what it would send and sends nothing.
      const sizeBefore = await topicSize();
      // A record may be dead-lettered twice (the topic is at least once); the tool sends each user once.
      const dryRun = await replay('replay-dry-run', UNREADABLE, '--dry-run');
      expect(dryRun).toEqual({ dryRun: true, selected: dryRun.selected, replayable: REPLAYED_USERS, replayed: 0, skipped: [] });
      expect(dryRun.selected).toBeGreaterThanOrEqual(REPLAYED_USERS);
      expect(await topicSize()).toBe(sizeBefore);

      const started = Date.now();
      expect(await replay('replay', UNREADABLE)).toEqual({ dryRun: false, selected: dryRun.selected, replayable: REPLAYED_USERS, replayed: REPLAYED_USERS, skipped: [] });
      const expected = inCassandraBefore + REPLAYED_USERS;
      await waitFor(`${expected} users in Cassandra after the replay`, 5 * 60 * 1000, async () => ((await driver.cassandraIds()).length >= expected ? true : undefined), 2000);
      evolution.replay = { users: REPLAYED_USERS, replayToCassandraSeconds: (Date.now() - started) / 1000 };
      // Field for field, with the latest schema's default for the field the producer's schema lacked.
      const replayed = (await driver.withCassandra(async (c) => (await c.execute(`SELECT * FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows)).filter((r) =>
        ids.includes(String(r.id)),
      );
      const want = new Map(rows.map((row) => [row.id, { ...row, nationality: '' }]));
      expect(replayed.map((r) => Object.fromEntries(Object.keys(want.get(String(r.id)) ?? {}).map((k) => [k, String(r[k])])))).toEqual(
        expect.arrayContaining([...want.values()]),
      );
      expect(replayed.length).toBe(REPLAYED_USERS);
      await driver.verify('replayed', expected);

      // Replaying again only upserts the same rows.
      await replay('replay-again', UNREADABLE);
      await new Promise((r) => setTimeout(r, 15000));
      expect((await driver.cassandraIds()).length).toBe(expected);
      await driver.verify('replayed-twice', expected);

      // A message framed with an id the registry does not know is dead-lettered as such, and cannot be replayed:
      // the tool says which letter and why, and exits non-zero.
      const producer2 = kafka.producer({ idempotent: true });
      await producer2.connect();
      try {
        await producer2.send({ topic: 'users_created', acks: -1, messages: [{ key: 'e2e-unknown-schema-id', value: Buffer.concat([confluentHeader(UNKNOWN_ID), Buffer.from('not avro')]) }] });
      } finally {
        await producer2.disconnect();
      }
      await waitFor('the unknown schema id in the dead-letter topic', 3 * 60 * 1000, async () =>
        (await driver.readTopic('users_created.dlq')).some((m) => m.key === 'e2e-unknown-schema-id') ? true : undefined, 3000);
      const unknown = await runLogged('replay-unknown-id', 'npx', ['ts-node', '--transpile-only', 'jobs/replay.ts', '--stage', 'stream', '--reason', 'unknown schema id', '--dry-run'], {
        ...replayKafkaEnv(outputs()),
        PIPELINE_SCHEMA_REGISTRY_URL: outputs().schema_registry_url,
        PIPELINE_SCHEMA_REGISTRY_USERNAME: outputs().schema_registry_user,
        PIPELINE_SCHEMA_REGISTRY_PASSWORD: outputs().schema_registry_password,
      }).then(() => undefined, (error: unknown) => error as Error);
      expect(unknown?.message).toContain(`schema id ${UNKNOWN_ID} is unknown to the registry`);
    }, 30 * 60 * 1000);
  });
}
