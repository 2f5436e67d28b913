/**
 * `npm run bench` (scripts/bench.sh starts the engine, builds the images, then runs this): for each deployment of
 * KP_BENCH_DEPLOYMENTS in turn (the single and the replicated profile by default), synth and deploy the stack, then
 * measure on that one deployment, every figure over repeated runs (README "Benchmarks"), and destroy it:
 *   - bursts (20,000 and 100,000 users by default) through the pipeline (Kafka → Spark job → Cassandra), through a
 *     plain kafkajs consumer writing to Cassandra (what a user could write instead), and written raw with
 *     cassandra-driver at several concurrencies (the ceiling);
 *   - produce→row latency of the pipeline and the plain consumer at a paced load;
 *   - a DAG run of 5,000 users, trigger to the last row in Cassandra, split into its phases;
 *   - what the observer costs: two idle windows, one with only the observer's probe running.
 * Each window's figures come from Cassandra's write times, read once after the window (bench/observer.ts); each
 * window records CPU-seconds per container (ops/cpu.ts). Prints the tables, writes artifacts/bench/results.json
 * and a latency-over-time PNG per deployment, then the deployments side by side; KP_BENCH_KEEP=true keeps the last
 * stack. Figures are reported, never asserted.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Type, type Schema } from 'avsc';
import { type Client as CassandraClient, concurrent } from 'cassandra-driver';
import { type Kafka, type Producer } from 'kafkajs';
import { hostKafka } from '../ops/host-kafka';
import { cassandraDdl, userFields } from '../jobs/bootstrap';
import { replicationCopies, type KeyspaceReplication } from '../jobs/lib/keyspace';
import { retry, sleep } from '../jobs/lib/retry';
import { generateUser, seededRandom } from '../jobs/fake-randomuser';
import { decodeConfluent, encodeConfluent, latestSchemaId, registryUrl } from '../ops/avro';
import { cassandraClient, cassandraSuperuser } from '../ops/cassandra-login';
import { containerLog, deployWatched, destroy, docker, PREFIX, ROOT, runLogged, stackOutputs } from '../ops/deployment';
import { parseMemoryUsage } from '../ops/service-status';
import { expectedRow } from '../ops/users';
import { latencySvg, writeChart } from './chart';
import { benchConfig, type BenchConfig, type BenchDeployment } from './config';
import { BENCH_PROCESS, cpuOverWindow, DeployCpu, roundedCpuSeconds, sampleCpu, type CpuSample, type CpuWindow } from '../ops/cpu';
import { measureDagRun, type DagPhases } from './dag';
import { Observer, PROBE_IDS, PROBE_INTERVAL_MS, type ObserverRecord } from './observer';
import { comparisonTable, coresTable, dagTable, type DeploymentFigures, summaryTable, type CpuColumn, type FigureRow } from './report';
import { BATCH_PHASES, batchProfile, parseSparkBatches, type BatchProfile } from './spark-batches';
import { delivery, summarize, type Delivery, type Summary } from './stats';

const ARTIFACTS = path.join(ROOT, 'artifacts', 'bench');
const PIPELINE_TABLE = 'spark_streams.created_users';
const PIPELINE_TOPIC = 'users_created';
const SPARK_DRIVER = `${PREFIX}-spark-job`;
const BENCH_KEYSPACE = 'bench';
const RAW_TABLE = `${BENCH_KEYSPACE}.raw_users`;
const PLAIN_TABLE = `${BENCH_KEYSPACE}.plain_consumer_users`;
const PLAIN_TOPIC = 'bench.users';
const PLAIN_CONSUMER_CONCURRENCY = 64;
const WARM_UP_USERS = 2000;

const RAW = 'raw cassandra-driver';
const PLAIN = 'plain kafkajs consumer';
const PIPELINE = 'pipeline (Spark job)';
type Column = typeof RAW | typeof PLAIN | typeof PIPELINE;

type UserRow = Record<string, string>;
/** When each user was handed over (to Kafka, or to the driver), by id, in the order they were. */
type SendTimes = Map<string, number>;
interface Message {
  readonly key: string;
  readonly value: Buffer;
}

/** One measured window as results.json keeps it (without the per-user points). */
interface WindowRecord {
  readonly column: Column;
  readonly kind: 'burst' | 'paced';
  readonly users: number;
  readonly run: number;
  readonly concurrency?: number;
  /** Seconds the hand-over (produce, or the raw writes) took. */
  readonly handOverSeconds: number;
  readonly usersPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpu: CpuWindow;
  readonly observer: ObserverRecord;
  /** The Spark job's micro-batches of the window (the pipeline's windows), from the driver's log. */
  readonly spark?: BatchProfile;
}

const say = (text: string) => console.log(`bench: ${text}`);

/** Sends the messages in chunks, stamping each (and the returned map) with its send time. */
async function produce(producer: Producer, topic: string, messages: readonly Message[], sendTimes: SendTimes = new Map(), chunk = 1000): Promise<SendTimes> {
  for (let i = 0; i < messages.length; i += chunk) {
    const now = Date.now();
    const slice = messages.slice(i, i + chunk);
    for (const m of slice) sendTimes.set(m.key, now);
    await producer.send({ topic, acks: -1, messages: slice.map((m) => ({ key: m.key, value: m.value, timestamp: `${now}` })) });
  }
  return sendTimes;
}

/** Offers the messages at a fixed rate: every 100 ms the share of that tick, for as long as they last. */
async function produceAtRate(producer: Producer, topic: string, messages: readonly Message[], perSecond: number): Promise<SendTimes> {
  const sendTimes: SendTimes = new Map();
  const perTick = Math.max(1, Math.round(perSecond / 10));
  const start = Date.now();
  for (let tick = 0; tick * perTick < messages.length; tick++) {
    const due = start + tick * 100;
    if (due > Date.now()) await sleep(due - Date.now());
    await produce(producer, topic, messages.slice(tick * perTick, (tick + 1) * perTick), sendTimes);
  }
  return sendTimes;
}

async function main(): Promise<void> {
  const config = benchConfig(process.env);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const deployments: Record<string, unknown>[] = [];
  const results = { startedAt: new Date().toISOString(), config, deployments };
  const save = () => fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify(results, null, 2));
  const headlines: DeploymentFigures[] = [];
  for (const [index, deployment] of config.deployments.entries()) {
    // The deploy (a child process) reads the profile and the commit log's mode from the environment, as main.ts does.
    process.env.KP_PROFILE = deployment.profile;
    if (deployment.commitlogSync) process.env.KP_CASSANDRA_COMMITLOG_SYNC = deployment.commitlogSync;
    else delete process.env.KP_CASSANDRA_COMMITLOG_SYNC;
    const figures: Record<string, unknown> = { deployment: deployment.name, settings: pipelineSettings() };
    deployments.push(figures);
    say(`deployment ${index + 1} of ${config.deployments.length}: ${deployment.name}`);
    const keep = config.keep && index === config.deployments.length - 1;
    headlines.push({ name: deployment.name, figures: await measureDeployment(config, deployment, figures, save, keep) });
  }
  if (headlines.length > 1) {
    const comparison = comparisonTable(headlines);
    Object.assign(results, { comparison });
    save();
    console.log(`\n${comparison}\n`);
  }
  say(`figures in ${path.relative(process.cwd(), path.join(ARTIFACTS, 'results.json'))}`);
}

/**
 * Deploys `deployment`, measures every figure on it into `figures` (saved as they come), prints its report, and
 * destroys it unless `keep`. Returns its headline figures for the comparison.
 */
async function measureDeployment(config: BenchConfig, deployment: BenchDeployment, figures: Record<string, unknown>, save: () => void, keep: boolean): Promise<DeploymentFigures['figures']> {
  const synthSeconds = (await runLogged('bench-synth', 'npx', ['cdktf', 'synth'])) / 1000;
  // The same plan without the cdktf CLI (README "Synth time").
  const npmRunSynthSeconds = (await runLogged('bench-npm-run-synth', 'npm', ['run', '--silent', 'synth'])) / 1000;
  say(`synth ${synthSeconds} s (\`npm run synth\` ${npmRunSynthSeconds} s)`);
  Object.assign(figures, { synthSeconds, npmRunSynthSeconds });
  // Destroyed whatever happens, a failed measurement included: a stack left running would skew every later run.
  try {
    return await deployAndMeasure(config, deployment, figures, save);
  } finally {
    if (!keep) {
      figures.destroySeconds = await destroy('bench-destroy');
      save();
    }
  }
}

/** Deploys `deployment` and measures every figure on it; see measureDeployment. */
async function deployAndMeasure(config: BenchConfig, deployment: BenchDeployment, figures: Record<string, unknown>, save: () => void): Promise<DeploymentFigures['figures']> {
  const deployCpu = new DeployCpu();
  const deployed = await deployWatched('bench-deploy', { onPoll: deployCpu.onPoll });
  const secondsToHealthy = deployed.watcher.secondsToReady();
  const deployCpuSeconds = roundedCpuSeconds(deployCpu.result());
  Object.assign(figures, { deploySeconds: deployed.seconds, secondsToHealthy, deployCpuSeconds });
  say(`deploy to all healthy ${deployed.seconds} s; CPU-seconds it took: ${JSON.stringify(deployCpuSeconds)}`);

  const outputs = stackOutputs();
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'jobs', 'schemas', 'user.avsc'), 'utf8')) as Schema;
  const columns = userFields(schema);
  const fields = columns.map(({ name }) => name);
  const users = Type.forSchema(schema);
  const schemaId = await latestSchemaId(registryUrl(outputs));
  // Fresh ids for every window, so no row of an earlier window (or run, on a kept deployment) counts.
  const random = seededRandom(`bench-${Date.now()}`);
  const freshRows = (n: number) => Array.from({ length: n }, () => expectedRow(generateUser(random)));
  // Encoded before a window starts, so the window's producer only sends.
  const encoded = (rows: UserRow[]): Message[] => rows.map((row) => ({ key: row.id, value: encodeConfluent(users, schemaId, row) }));
  const values = (row: UserRow) => fields.map((f) => row[f]);

  // The bench's own keyspace and tables, made by the superuser, the pipeline role given what it has on the pipeline's:
  // every write of the benchmark goes through the same authentication and permission checks as the Spark job's.
  // Its copies as many as the pipeline keyspace's, so every column writes to as many replicas.
  const superuser = cassandraClient(outputs, cassandraSuperuser());
  try {
    const datacenter = outputs.cassandra_datacenter;
    const pipelineKeyspace = await superuser.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [PIPELINE_TABLE.split('.')[0]], { prepare: true });
    const copies = replicationCopies(pipelineKeyspace.rows[0].get('replication') as KeyspaceReplication, datacenter) ?? 1;
    for (const table of ['raw_users', 'plain_consumer_users']) {
      for (const statement of cassandraDdl(BENCH_KEYSPACE, table, datacenter, copies, columns)) await superuser.execute(statement);
    }
    for (const permission of ['SELECT', 'MODIFY']) await superuser.execute(`GRANT ${permission} ON KEYSPACE ${BENCH_KEYSPACE} TO ${outputs.cassandra_user}`);
  } finally {
    await superuser.shutdown();
  }
  // Timeouts retried up to 10 times (each waits out the server's 2 s write timeout): at LOCAL_QUORUM with group commit,
  // 1,024 writes in flight on two cores time out now and then, and one lost write would stall the window's observer.
  const cassandra = cassandraClient(outputs, { username: outputs.cassandra_user, password: outputs.cassandra_password }, { readTimeoutMs: 60_000, timeoutRetries: 10 });
  // The admin's login: the benchmark makes a topic and a consumer group of its own beside the pipeline's.
  const kafka = hostKafka(outputs, 'admin', 'bench');
  const producer = kafka.producer();
  const observer = new Observer(cassandra);
  await producer.connect();
  let headline: DeploymentFigures['figures'] = [];
  try {
    const insert = (table: string) => `INSERT INTO ${table} (${fields.join(', ')}) VALUES (${fields.map(() => '?').join(', ')})`;
    const plain = await startPlainConsumer(kafka, cassandra, users, fields, schemaId, insert(PLAIN_TABLE));
    try {
      figures.observer = await observerCost(observer, config.idleSeconds);
      save();

      // A freshly deployed Spark job compiles and connects on its first batches, the consumer and the driver
      // prepare their statements: measure them warm.
      say(`warm-up: ${WARM_UP_USERS} users through each column (not measured)`);
      for (const [topic, table] of [[PIPELINE_TOPIC, PIPELINE_TABLE], [PLAIN_TOPIC, PLAIN_TABLE]]) {
        const sent = await produce(producer, topic, encoded(freshRows(WARM_UP_USERS)));
        await observer.awaitRows(table, [...sent.keys()], () => undefined);
      }
      await concurrent.executeConcurrent(cassandra, insert(RAW_TABLE), freshRows(WARM_UP_USERS).map(values), { concurrencyLevel: 64 });

      const windows: WindowRecord[] = [];
      figures.windows = windows;
      /** One measured window: CPU counters around it, the observer's rule, the figures from the write times. */
      const measure = async (spec: Omit<WindowRecord, 'handOverSeconds' | 'usersPerSecond' | 'p50Ms' | 'p99Ms' | 'cpu' | 'observer'>, table: string, handOver: () => Promise<SendTimes>): Promise<Delivery> => {
        const before = sampleCpu();
        const started = Date.now();
        const sent = await handOver();
        const handOverSeconds = (Date.now() - started) / 1000;
        let after: CpuSample | undefined;
        const { writeTimes, record } = await observer.awaitRows(table, [...sent.keys()], () => (after = sampleCpu()));
        const result = delivery(sent, writeTimes);
        // Batches whose trigger began in the window: read from the log once the window is over.
        const spark = spec.column === PIPELINE ? batchProfile(parseSparkBatches(containerLog(SPARK_DRIVER, new Date(started).toISOString())).filter((b) => b.startedMs >= started)) : undefined;
        windows.push({ ...spec, handOverSeconds, usersPerSecond: result.usersPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpu: cpuOverWindow(before, after!), observer: record, ...(spark ? { spark } : {}) });
        save();
        const latency = spec.column === RAW ? '' : `, p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms`;
        say(`  ${spec.column}${spec.concurrency ? ` (concurrency ${spec.concurrency})` : ''}, ${spec.kind} of ${spec.users} users, run ${spec.run}: ${result.usersPerSecond.toFixed(0)} users/s${latency}`);
        return result;
      };

      const pacedPoints: Partial<Record<Column, Delivery['points']>> = {};
      const dagRuns: Array<{ runId: string; phases: DagPhases; cpu: CpuWindow; observer: ObserverRecord }> = [];
      figures.dag = { users: config.dagUsers, runs: dagRuns };
      const runs = Math.max(config.repeats, ...config.bursts.map((b) => b.repeats));
      for (let run = 1; run <= runs; run++) {
        for (const burst of config.bursts.filter((b) => run <= b.repeats)) {
          say(`bursts of ${burst.users} users, run ${run} of ${burst.repeats}`);
          for (const concurrency of config.concurrencies) {
            const rows = freshRows(burst.users);
            const params = rows.map(values);
            await measure({ column: RAW, kind: 'burst', users: burst.users, run, concurrency }, RAW_TABLE, async () => {
              const now = Date.now();
              const sent: SendTimes = new Map(rows.map((row) => [row.id, now]));
              await concurrent.executeConcurrent(cassandra, insert(RAW_TABLE), params, { concurrencyLevel: concurrency });
              return sent;
            });
          }
          const plainMessages = encoded(freshRows(burst.users));
          await measure({ column: PLAIN, kind: 'burst', users: burst.users, run }, PLAIN_TABLE, () => produce(producer, PLAIN_TOPIC, plainMessages));
          const pipelineMessages = encoded(freshRows(burst.users));
          await measure({ column: PIPELINE, kind: 'burst', users: burst.users, run }, PIPELINE_TABLE, () => produce(producer, PIPELINE_TOPIC, pipelineMessages));
        }
        if (run > config.repeats) continue;
        say(`${config.rate} users/s for ${config.seconds} s, run ${run} of ${config.repeats}`);
        for (const [column, topic, table] of [[PLAIN, PLAIN_TOPIC, PLAIN_TABLE], [PIPELINE, PIPELINE_TOPIC, PIPELINE_TABLE]] as const) {
          const messages = encoded(freshRows(config.rate * config.seconds));
          const result = await measure({ column, kind: 'paced', users: messages.length, run }, table, () => produceAtRate(producer, topic, messages, config.rate));
          if (run === 1) pacedPoints[column] = result.points;
        }
        say(`a DAG run of ${config.dagUsers} users, run ${run} of ${config.repeats}`);
        const before = sampleCpu();
        let after: CpuSample | undefined;
        const dagRun = await measureDagRun(outputs, observer, PIPELINE_TABLE, config.dagUsers, () => (after = sampleCpu()));
        dagRuns.push({ runId: dagRun.runId, phases: dagRun.phases, cpu: cpuOverWindow(before, after!), observer: dagRun.observer });
        save();
        say(`  trigger → last row ${dagRun.phases.total.toFixed(1)} s: ${JSON.stringify(dagRun.phases)}`);
      }

      const memoryAfterLoad = containerMemory();
      figures.memoryAfterLoad = memoryAfterLoad;
      const report = printedReport(config, windows, dagRuns, figures.observer as ObserverCost);
      figures.report = report;
      headline = headlineFigures(config, windows, dagRuns, deployed.seconds, memoryAfterLoad);
      save();
      const chart = path.join(ARTIFACTS, `latency-${deployment.name.replace('/', '-')}.png`);
      await writeChart(
        latencySvg(`${deployment.name}: produce → row written at ${config.rate} users/s (run 1)`, [
          { name: `${PIPELINE}`, color: '#d62728', points: pacedPoints[PIPELINE] ?? [] },
          { name: `${PLAIN}`, color: '#1f77b4', points: pacedPoints[PLAIN] ?? [] },
        ]),
        chart,
        process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      );
      console.log(`\n${report}\n`);
      say(`deploy to all healthy ${deployed.seconds} s; time to healthy (s): ${JSON.stringify(secondsToHealthy)}`);
      say(`chart in ${path.relative(process.cwd(), chart)}`);
    } finally {
      await plain.disconnect();
    }
  } finally {
    await producer.disconnect();
    await cassandra.shutdown();
  }
  return headline;
}

/** A deployment's figures that matter side by side: deploy, burst rates, paced latency, the DAG run, memory. */
function headlineFigures(
  config: BenchConfig, windows: readonly WindowRecord[], dagRuns: ReadonlyArray<{ phases: DagPhases }>, deploySeconds: number, memory: Record<string, string>,
): DeploymentFigures['figures'] {
  const of = (column: Column, kind: WindowRecord['kind'], users?: number) => windows.filter((w) => w.column === column && w.kind === kind && (users === undefined || w.users === users));
  const over = (ws: readonly WindowRecord[], key: 'usersPerSecond' | 'p50Ms' | 'p99Ms') => (ws.length === 0 ? undefined : summarize(ws.map((w) => w[key])));
  const rows: Array<readonly [string, Summary | undefined]> = [['deploy to all healthy, s', summarize([deploySeconds])]];
  for (const burst of config.bursts) {
    const raw = config.concurrencies.map((c) => over(of(RAW, 'burst', burst.users).filter((w) => w.concurrency === c), 'usersPerSecond'));
    const best = raw.reduce<Summary | undefined>((top, s) => (s && (!top || s.median > top.median) ? s : top), undefined);
    rows.push(
      [`burst of ${burst.users}: pipeline users/s`, over(of(PIPELINE, 'burst', burst.users), 'usersPerSecond')],
      [`burst of ${burst.users}: plain consumer users/s`, over(of(PLAIN, 'burst', burst.users), 'usersPerSecond')],
      [`burst of ${burst.users}: raw writes users/s (best concurrency)`, best],
    );
  }
  for (const [column, name] of [[PIPELINE, 'pipeline'], [PLAIN, 'plain consumer']] as const) {
    rows.push([`${config.rate}/s: ${name} p50 ms`, over(of(column, 'paced'), 'p50Ms')], [`${config.rate}/s: ${name} p99 ms`, over(of(column, 'paced'), 'p99Ms')]);
  }
  rows.push([`DAG run of ${config.dagUsers}: trigger → last row, s`, dagRuns.length === 0 ? undefined : summarize(dagRuns.map((r) => r.phases.total))]);
  const usedMiB = [...parseMemoryUsage(Object.entries(memory).map(([name, usage]) => `${name}\t${usage}`).join('\n')).values()].reduce((sum, bytes) => sum + bytes / 2 ** 20, 0);
  rows.push(['memory in use after the load, MiB', summarize([Math.round(usedMiB)])]);
  return rows;
}

/** What the observer costs: an idle window without it, then one with only its probe running. */
interface ObserverCost {
  readonly probeIds: number;
  readonly probeIntervalMs: number;
  readonly quiet: CpuWindow;
  readonly observed: CpuWindow;
  readonly probe: ObserverRecord;
  /** Cores the probe added, observed − quiet, per name that either window has. */
  readonly addedCores: Record<string, number>;
}

async function observerCost(observer: Observer, idleSeconds: number): Promise<ObserverCost> {
  say(`the observer's cost: ${idleSeconds} s idle, then ${idleSeconds} s with only its probe running`);
  const quietStart = sampleCpu();
  await sleep(idleSeconds * 1000);
  const quiet = cpuOverWindow(quietStart, sampleCpu());
  // Ids no row has: the probe waits on them exactly as it waits on a window's last users.
  const absent = Array.from({ length: PROBE_IDS }, () => randomUUID());
  const probeMs: number[] = [];
  const observedStart = sampleCpu();
  const until = Date.now() + idleSeconds * 1000;
  while (Date.now() < until) {
    probeMs.push((await observer.probe(PIPELINE_TABLE, absent)).ms);
    await sleep(PROBE_INTERVAL_MS);
  }
  const observed = cpuOverWindow(observedStart, sampleCpu());
  const names = new Set([...Object.keys(quiet.cores), ...Object.keys(observed.cores)]);
  const addedCores = Object.fromEntries([...names].map((n) => [n, (observed.cores[n] ?? 0) - (quiet.cores[n] ?? 0)]));
  const probe = { probes: probeMs.length, probeP50Ms: summarize(probeMs).median, probeMaxMs: Math.max(...probeMs), sweeps: 0 };
  return { probeIds: PROBE_IDS, probeIntervalMs: PROBE_INTERVAL_MS, quiet, observed, probe, addedCores };
}

/** The report's tables: bursts, paced latency, where the cores went, the DAG run, the observer's cost. */
function printedReport(config: BenchConfig, windows: readonly WindowRecord[], dagRuns: ReadonlyArray<{ phases: DagPhases; cpu: CpuWindow }>, cost: ObserverCost): string {
  const of = (column: Column, kind: WindowRecord['kind'], users?: number, concurrency?: number) =>
    windows.filter((w) => w.column === column && w.kind === kind && (users === undefined || w.users === users) && (concurrency === undefined || w.concurrency === concurrency));
  const summary = (ws: readonly WindowRecord[], key: 'usersPerSecond' | 'p50Ms' | 'p99Ms'): Summary | undefined => (ws.length === 0 ? undefined : summarize(ws.map((w) => w[key])));
  const short = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : `${n}`);
  const sections: string[] = [];
  const cpuColumns: CpuColumn[] = [];
  for (const burst of config.bursts) {
    // The ceiling: the concurrency with the best median rate.
    const best = [...config.concurrencies].sort((a, b) => (summary(of(RAW, 'burst', burst.users, b), 'usersPerSecond')?.median ?? 0) - (summary(of(RAW, 'burst', burst.users, a), 'usersPerSecond')?.median ?? 0))[0];
    const rawName = `${RAW} (concurrency ${best})`;
    const rows: FigureRow[] = [
      { name: rawName, figures: [summary(of(RAW, 'burst', burst.users, best), 'usersPerSecond')] },
      ...([PLAIN, PIPELINE] as const).map((column) => ({ name: column, figures: (['usersPerSecond', 'p50Ms', 'p99Ms'] as const).map((key) => summary(of(column, 'burst', burst.users), key)) })),
    ];
    sections.push(summaryTable(`a burst of ${burst.users.toLocaleString('en-US')} users, ${burst.repeats} run(s) each: min / median / max`, ['users/s', 'p50 ms', 'p99 ms'], rows, [rawName, PLAIN]));
    const otherLevels = config.concurrencies.filter((c) => c !== best).map((c) => `${c}: ${summary(of(RAW, 'burst', burst.users, c), 'usersPerSecond')?.median.toFixed(0) ?? '-'}`);
    if (otherLevels.length > 0) sections.push(`  raw cassandra-driver at other concurrencies (median users/s): ${otherLevels.join(', ')}`);
    cpuColumns.push(
      { label: `raw ${short(burst.users)}`, windows: of(RAW, 'burst', burst.users, best).map((w) => w.cpu) },
      { label: `plain ${short(burst.users)}`, windows: of(PLAIN, 'burst', burst.users).map((w) => w.cpu) },
      { label: `spark ${short(burst.users)}`, windows: of(PIPELINE, 'burst', burst.users).map((w) => w.cpu) },
    );
  }
  sections.push(summaryTable(
    `produce → row written at ${config.rate} users/s for ${config.seconds} s, ${config.repeats} run(s) each: min / median / max`,
    ['p50 ms', 'p99 ms'],
    ([PLAIN, PIPELINE] as const).map((column) => ({ name: column, figures: [summary(of(column, 'paced'), 'p50Ms'), summary(of(column, 'paced'), 'p99Ms')] })),
  ));
  cpuColumns.push(
    { label: `plain ${config.rate}/s`, windows: of(PLAIN, 'paced').map((w) => w.cpu) },
    { label: `spark ${config.rate}/s`, windows: of(PIPELINE, 'paced').map((w) => w.cpu) },
    { label: 'DAG run', windows: dagRuns.map((r) => r.cpu) },
    { label: 'idle', windows: [cost.quiet] },
    { label: 'idle+probe', windows: [cost.observed] },
  );
  sections.push(coresTable(cpuColumns));
  sections.push(sparkBatchLines(windows.filter((w) => w.column === PIPELINE)));
  sections.push(dagTable(config.dagUsers, dagRuns.map((r) => r.phases)));
  const cassandra = Object.entries(cost.addedCores).filter(([name]) => name.endsWith('cassandra')).map(([name, cores]) => `${name} ${cores >= 0 ? '+' : ''}${cores.toFixed(3)}`);
  sections.push(
    `the observer: one query for the last ${cost.probeIds} pending ids every ${cost.probeIntervalMs / 1000} s while a window runs, then one read of the write times; ` +
      `a probe took ${cost.probe.probeP50Ms.toFixed(1)} ms (median, max ${cost.probe.probeMaxMs.toFixed(1)} ms); cores it added over ${cost.observed.seconds.toFixed(0)} s idle: ` +
      `${[...cassandra, `${BENCH_PROCESS} ${cost.addedCores[BENCH_PROCESS]?.toFixed(3) ?? '-'}`].join(', ')} (idle noise included)`,
  );
  return sections.join('\n\n');
}

/** The Spark job's micro-batches per pipeline window kind: medians over the windows' own medians. */
function sparkBatchLines(windows: readonly WindowRecord[]): string {
  const lines = ['the Spark job\'s micro-batches (batches with rows; per window kind, the median of each window\'s median):'];
  const kinds = [...new Set(windows.map((w) => `${w.kind} of ${w.users}`))];
  for (const kind of kinds) {
    const profiles = windows.filter((w) => `${w.kind} of ${w.users}` === kind && w.spark).map((w) => w.spark!);
    if (profiles.length === 0) continue;
    const median = (values: number[]) => summarize(values).median.toFixed(0);
    const phases = BATCH_PHASES.map((phase) => {
      const medians = profiles.flatMap((p) => (p.phasesMs[phase] ? [p.phasesMs[phase].median] : []));
      return `${phase} ${medians.length ? median(medians) : '-'}`;
    });
    lines.push(
      `  ${kind}: ${median(profiles.map((p) => p.batches))} batches of ${median(profiles.map((p) => p.rows.median))} rows, ` +
        `addBatch ${median(profiles.map((p) => p.addBatchMs.median))} ms (${median(profiles.map((p) => p.addBatchMsPer1000Rows))} ms per 1,000 rows), ` +
        `trigger ${median(profiles.map((p) => p.triggerMs.median))} ms; addBatch's phases (ms): ${phases.join(', ')}`,
    );
  }
  return lines.join('\n');
}

/** Each platform container's memory use and limit after the measurements, from `docker stats`. */
function containerMemory(): Record<string, string> {
  const lines = docker('stats', '--no-stream', '--format', '{{.Name}}\t{{.MemUsage}}').split('\n');
  return Object.fromEntries(lines.filter((l) => l.startsWith(`${PREFIX}-`)).map((l) => l.split('\t') as [string, string]));
}

/** The deploy-time settings that shape the platform (the benchmark's own are in config), as this run had them. */
function pipelineSettings(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KP_') && !k.startsWith('KP_BENCH_')));
}

/**
 * What a user could write instead of the Spark job: a kafkajs consumer group that decodes each batch
 * and upserts it into Cassandra with bounded concurrency, committing offsets after the writes.
 */
async function startPlainConsumer(kafka: Kafka, cassandra: CassandraClient, users: Type, fields: string[], schemaId: number, insertCql: string) {
  const admin = kafka.admin();
  await admin.connect();
  // The brokers' default copies (min(3, brokers)): the plain consumer's column pays for as many as the pipeline's.
  // Retried: on a cluster of three, the broker asked for the new topic's leaders may not know it yet
  // (UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's wait for leaders does not retry); a retry finds it made.
  await retry(() => admin.createTopics({ topics: [{ topic: PLAIN_TOPIC, numPartitions: 3 }] }), { timeoutMs: 60_000 });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `bench-plain-${Date.now()}` });
  await consumer.connect();
  // Only what is produced from now on: a kept deployment's topic still holds earlier runs. Retried like the creation:
  // the broker the subscription asks may not know the new topic for a moment.
  await retry(() => consumer.subscribe({ topic: PLAIN_TOPIC, fromBeginning: false }), { timeoutMs: 60_000 });
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
  await sleep(3000);
  return consumer;
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
});
