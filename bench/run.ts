/**
 * `npm run bench` (scripts/bench.sh starts the engine, builds the images, then runs this): synth and deploy
 * the stack, then measure on that one deployment, with the same generated users:
 *   - the pipeline (Kafka → Spark job → Cassandra): burst rate, and produce→row-visible latency at a fixed load;
 *   - a plain kafkajs consumer writing to Cassandra (what a user could write instead), the same two ways;
 *   - the raw write rate of the same rows into Cassandra with cassandra-driver at several concurrencies.
 * Row visibility is Cassandra's own write time of each row (WRITETIME), so no polling skews a latency.
 * Prints a table with ratios, writes artifacts/bench/results.json and a latency-over-time PNG, then
 * destroys the stack unless BENCH_KEEP=true. Figures are reported, never asserted.
 *
 * Environment: BENCH_USERS (burst size, default 20000), BENCH_RATE (users/s of the fixed load, default 200),
 * BENCH_SECONDS (its duration, default 60), BENCH_CONCURRENCIES (raw writes, default 16,64,256,1024),
 * BENCH_KEEP (true: leave the stack up), CHROMIUM_PATH.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Type, type Schema } from 'avsc';
import { Client as CassandraClient, concurrent, type types } from 'cassandra-driver';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { cassandraDdl, userFields } from '../jobs/bootstrap';
import { generateUser, seededRandom } from '../jobs/fake-randomuser';
import { decodeConfluent, encodeConfluent, latestSchemaId } from '../ops/avro';
import { deployWatched, destroy, docker, PREFIX, ROOT, runLogged, stackOutputs, waitFor } from '../ops/deployment';
import { expectedRow } from '../ops/users';
import { latencySvg, writeChart } from './chart';
import { comparisonTable, percentile, ratePerSecond, type Row } from './stats';

const ARTIFACTS = path.join(ROOT, 'artifacts', 'bench');
const PIPELINE_TABLE = 'spark_streams.created_users';
const BENCH_KEYSPACE = 'bench';
const PLAIN_TOPIC = 'bench.users';
const PLAIN_CONSUMER_CONCURRENCY = 64;
const WARM_UP_USERS = 2000;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive whole number, got '${raw}'`);
  return Number(raw);
}

type UserRow = Record<string, string>;
/** When each user was handed to Kafka, by id. */
type SendTimes = Map<string, number>;

interface Delivery {
  usersPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** [seconds since the first send, latency ms] */
  points: [number, number][];
}

/** Sends rows in chunks, stamping each message (and the returned map) with its send time. */
async function produce(producer: Producer, topic: string, rows: UserRow[], encode: (row: UserRow) => Buffer, sendTimes: SendTimes, chunk = 1000): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const now = Date.now();
    const slice = rows.slice(i, i + chunk);
    for (const row of slice) sendTimes.set(row.id, now);
    await producer.send({ topic, acks: -1, messages: slice.map((row) => ({ key: row.id, value: encode(row), timestamp: `${now}` })) });
  }
}

/** Offers rows at a fixed rate: every 100 ms the share of that tick, for as long as the rows last. */
async function produceAtRate(producer: Producer, topic: string, rows: UserRow[], perSecond: number, encode: (row: UserRow) => Buffer, sendTimes: SendTimes): Promise<void> {
  const perTick = Math.max(1, Math.round(perSecond / 10));
  const start = Date.now();
  for (let tick = 0; tick * perTick < rows.length; tick++) {
    const due = start + tick * 100;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    await produce(producer, topic, rows.slice(tick * perTick, (tick + 1) * perTick), encode, sendTimes);
  }
}

/** Waits until every sent id is a row of table, then measures from Cassandra's write times. */
async function delivered(cassandra: CassandraClient, table: string, sendTimes: SendTimes, timeoutMs = 15 * 60 * 1000): Promise<Delivery> {
  const ids = [...sendTimes.keys()];
  const writeTimes = new Map<string, number>();
  await waitFor(`${ids.length} rows in ${table}`, timeoutMs, async () => {
    const missing = ids.filter((id) => !writeTimes.has(id));
    for (let i = 0; i < missing.length; i += 200) {
      const result = await cassandra.execute(`SELECT id, WRITETIME(first_name) AS w FROM ${table} WHERE id IN ?`, [missing.slice(i, i + 200)], { prepare: true });
      // WRITETIME is in microseconds since the epoch, on the host clock every container shares.
      for (const row of result.rows) writeTimes.set((row.id as types.Uuid).toString(), Number(row.w) / 1000);
    }
    return writeTimes.size === ids.length ? true : undefined;
  }, 2000);
  const firstSend = Math.min(...sendTimes.values());
  const lastWrite = Math.max(...writeTimes.values());
  const latencies = ids.map((id) => writeTimes.get(id)! - sendTimes.get(id)!);
  return {
    usersPerSecond: ratePerSecond(ids.length, firstSend, lastWrite),
    p50Ms: percentile(latencies, 50)!,
    p99Ms: percentile(latencies, 99)!,
    points: ids.map((id, i) => [(sendTimes.get(id)! - firstSend) / 1000, latencies[i]]),
  };
}

async function main(): Promise<void> {
  const burstUsers = positiveInt('BENCH_USERS', 20000);
  const loadRate = positiveInt('BENCH_RATE', 200);
  const loadSeconds = positiveInt('BENCH_SECONDS', 60);
  const concurrencies = (process.env.BENCH_CONCURRENCIES ?? '16,64,256,1024').split(',').map((c) => Number(c));
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`BENCH_CONCURRENCIES must be positive whole numbers separated by commas, got '${process.env.BENCH_CONCURRENCIES}'`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const figures: Record<string, unknown> = { startedAt: new Date().toISOString(), burstUsers, loadRate, loadSeconds, settings: pipelineSettings() };
  const say = (text: string) => console.log(`bench: ${text}`);

  const synthSeconds = (await runLogged('bench-synth', 'npx', ['cdktf', 'synth'])) / 1000;
  figures.synthSeconds = synthSeconds;
  say(`synth ${synthSeconds} s`);
  const deployment = await deployWatched('bench-deploy');
  const secondsToHealthy = deployment.watcher.secondsToReady();
  Object.assign(figures, { deploySeconds: deployment.seconds, secondsToHealthy });
  say(`deploy to all healthy ${deployment.seconds} s`);

  const outputs = stackOutputs();
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'jobs', 'schemas', 'user.avsc'), 'utf8')) as Schema;
  const columns = userFields(schema);
  const fields = columns.map(({ name }) => name);
  const users = Type.forSchema(schema);
  const schemaId = await latestSchemaId(outputs.schema_registry_url);
  const encode = (row: UserRow) => encodeConfluent(users, schemaId, row);

  // Fresh ids every run, so rows of an earlier run on a kept deployment never count.
  const random = seededRandom(`bench-${Date.now()}`);
  const nextRow = () => expectedRow(generateUser(random));
  const burstRows = Array.from({ length: burstUsers }, nextRow);
  const warmUpRows = Array.from({ length: WARM_UP_USERS }, nextRow);
  const loadRows = Array.from({ length: loadRate * loadSeconds }, nextRow);

  const cassandra = new CassandraClient({ contactPoints: [outputs.cassandra_contact_point], localDataCenter: outputs.cassandra_datacenter, socketOptions: { readTimeout: 60000 } });
  const kafka = new Kafka({ brokers: [outputs.kafka_bootstrap_servers], clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const table of ['raw_users', 'plain_consumer_users']) {
      for (const statement of cassandraDdl(BENCH_KEYSPACE, table, 1, columns)) await cassandra.execute(statement);
    }
    const insert = (table: string) => `INSERT INTO ${BENCH_KEYSPACE}.${table} (${fields.join(', ')}) VALUES (${fields.map(() => '?').join(', ')})`;

    // A freshly (re)deployed Spark job compiles and connects on its first batches: measure it warm.
    say(`pipeline: warm-up with ${WARM_UP_USERS} users (not measured)`);
    let sends: SendTimes = new Map();
    await produce(producer, 'users_created', warmUpRows, encode, sends);
    await delivered(cassandra, PIPELINE_TABLE, sends);

    say(`pipeline: a burst of ${burstUsers} users`);
    sends = new Map();
    await produce(producer, 'users_created', burstRows, encode, sends);
    const pipelineBurst = await delivered(cassandra, PIPELINE_TABLE, sends);
    say(`pipeline: ${loadRate} users/s for ${loadSeconds} s`);
    sends = new Map();
    await produceAtRate(producer, 'users_created', loadRows, loadRate, encode, sends);
    const pipelineLoad = await delivered(cassandra, PIPELINE_TABLE, sends);

    say('plain kafkajs consumer: the same burst and load');
    const plain = await startPlainConsumer(kafka, cassandra, users, fields, schemaId, insert('plain_consumer_users'));
    let plainBurst: Delivery;
    let plainLoad: Delivery;
    try {
      sends = new Map();
      await produce(producer, PLAIN_TOPIC, burstRows, encode, sends);
      plainBurst = await delivered(cassandra, `${BENCH_KEYSPACE}.plain_consumer_users`, sends);
      sends = new Map();
      await produceAtRate(producer, PLAIN_TOPIC, loadRows, loadRate, encode, sends);
      plainLoad = await delivered(cassandra, `${BENCH_KEYSPACE}.plain_consumer_users`, sends);
    } finally {
      await plain.disconnect();
    }

    say(`raw cassandra-driver writes of the same ${burstUsers} rows at concurrency ${concurrencies.join(', ')}`);
    const raw: Record<number, number> = {};
    // Untimed first pass: the driver's first prepared writes pay for warming up, whatever the level.
    const values = (row: UserRow) => fields.map((f) => row[f]);
    await concurrent.executeConcurrent(cassandra, insert('raw_users'), warmUpRows.map(values), { concurrencyLevel: 64 });
    const burstValues = burstRows.map(values);
    for (const level of concurrencies) {
      await cassandra.execute(`TRUNCATE ${BENCH_KEYSPACE}.raw_users`);
      const started = Date.now();
      await concurrent.executeConcurrent(cassandra, insert('raw_users'), burstValues, { concurrencyLevel: level });
      raw[level] = ratePerSecond(burstUsers, started, Date.now());
      say(`  concurrency ${level}: ${raw[level].toFixed(0)} users/s`);
    }
    const [bestLevel, ceiling] = Object.entries(raw).sort(([, a], [, b]) => b - a)[0];

    const memoryAfterLoad = containerMemory();
    figures.memoryAfterLoad = memoryAfterLoad;

    const rows: Row[] = [
      { name: 'raw cassandra-driver', usersPerSecond: ceiling },
      { name: 'plain kafkajs consumer', usersPerSecond: plainBurst.usersPerSecond, p50Ms: plainLoad.p50Ms, p99Ms: plainLoad.p99Ms },
      { name: 'pipeline (Spark job)', usersPerSecond: pipelineBurst.usersPerSecond, p50Ms: pipelineLoad.p50Ms, p99Ms: pipelineLoad.p99Ms },
    ];
    const table = comparisonTable(rows, ['raw cassandra-driver', 'plain kafkajs consumer']);
    Object.assign(figures, {
      pipeline: { burstUsersPerSecond: pipelineBurst.usersPerSecond, burstP50Ms: pipelineBurst.p50Ms, burstP99Ms: pipelineBurst.p99Ms, loadP50Ms: pipelineLoad.p50Ms, loadP99Ms: pipelineLoad.p99Ms },
      plainConsumer: { burstUsersPerSecond: plainBurst.usersPerSecond, burstP50Ms: plainBurst.p50Ms, burstP99Ms: plainBurst.p99Ms, loadP50Ms: plainLoad.p50Ms, loadP99Ms: plainLoad.p99Ms, concurrency: PLAIN_CONSUMER_CONCURRENCY },
      rawCassandraDriver: { usersPerSecondByConcurrency: raw, bestConcurrency: Number(bestLevel), usersPerSecond: ceiling },
      ratios: { pipelineOverCeiling: pipelineBurst.usersPerSecond / ceiling, pipelineOverPlainConsumer: pipelineBurst.usersPerSecond / plainBurst.usersPerSecond },
      table,
    });
    fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify(figures, null, 2));
    const chart = path.join(ARTIFACTS, 'latency.png');
    await writeChart(
      latencySvg(`produce → row visible at ${loadRate} users/s`, [
        { name: `pipeline (Spark job): p50 ${pipelineLoad.p50Ms.toFixed(0)} ms, p99 ${pipelineLoad.p99Ms.toFixed(0)} ms`, color: '#d62728', points: pipelineLoad.points },
        { name: `plain kafkajs consumer: p50 ${plainLoad.p50Ms.toFixed(0)} ms, p99 ${plainLoad.p99Ms.toFixed(0)} ms`, color: '#1f77b4', points: plainLoad.points },
      ]),
      chart,
      process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    );
    console.log(`\n${table}\n`);
    say(`memory after the load: ${JSON.stringify(memoryAfterLoad)}`);
    say(`synth ${synthSeconds} s, deploy to all healthy ${deployment.seconds} s; time to healthy (s): ${JSON.stringify(secondsToHealthy)}`);
    say(`figures in ${path.relative(process.cwd(), path.join(ARTIFACTS, 'results.json'))}, chart in ${path.relative(process.cwd(), chart)}`);
  } finally {
    await producer.disconnect();
    await cassandra.shutdown();
  }
  if (process.env.BENCH_KEEP !== 'true') {
    figures.destroySeconds = await destroy('bench-destroy');
    fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify(figures, null, 2));
  }
}

/** Each platform container's memory use and limit after the measurements, from `docker stats`. */
function containerMemory(): Record<string, string> {
  const lines = docker('stats', '--no-stream', '--format', '{{.Name}}\t{{.MemUsage}}').split('\n');
  return Object.fromEntries(lines.filter((l) => l.startsWith(`${PREFIX}-`)).map((l) => l.split('\t') as [string, string]));
}

/** The deploy-time settings that shape the Spark job, as this run had them. */
function pipelineSettings(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KP_')));
}

/**
 * What a user could write instead of the Spark job: a kafkajs consumer group that decodes each batch
 * and upserts it into Cassandra with bounded concurrency, committing offsets after the writes.
 */
async function startPlainConsumer(kafka: Kafka, cassandra: CassandraClient, users: Type, fields: string[], schemaId: number, insertCql: string) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: PLAIN_TOPIC, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `bench-plain-${Date.now()}` });
  await consumer.connect();
  // Only what is produced from now on: a kept deployment's topic still holds earlier runs.
  await consumer.subscribe({ topic: PLAIN_TOPIC, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async (payload) => {
      const params = payload.batch.messages.map((m) => {
        const row = decodeConfluent(users, schemaId, m.value!);
        return fields.map((f) => row[f]);
      });
      await concurrent.executeConcurrent(cassandra, insertCql, params, { concurrencyLevel: PLAIN_CONSUMER_CONCURRENCY });
      await payload.heartbeat();
    },
  });
  await joined;
  // The group has its partitions; wait until it has fetched its starting offsets before producing.
  await new Promise((r) => setTimeout(r, 3000));
  return consumer;
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
