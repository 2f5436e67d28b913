/**
 * The end-to-end proof, as users run the product: `cdktf deploy` on a real Docker engine with images built
 * on the host, users flowing from a randomuser.me stand-in through Airflow, PostgreSQL, Kafka and Spark into
 * Cassandra, the Airflow UI in a real browser, then `cdktf destroy`. Run by scripts/e2e.sh, which starts
 * the engine, builds the images and sets the environment; the tests run in order and share the deployment.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client as PgClient } from 'pg';
import { DeployCpu, roundedCpuSeconds } from '../../ops/cpu';
import { containerLog, deployWatched, destroy, docker, leftovers, LOG_DIRECTORY as ARTIFACTS, PREFIX, removeVolumes, STACK_DIRECTORY, stackOutputs, waitFor } from '../../ops/deployment';
import { expectedRow } from '../../ops/users';
import { AirflowApi } from './airflow-api';
import { authenticationTests, cassandraLogins, containerEnv, kafkaLogins, postgresRoles, sparkSecret } from './authentication';
import { airflowDagRunsInBrowser } from './browser';
import { dashboardTest } from './dashboard';
import { faultTests } from './faults';
import { DAG_ID, PipelineDriver } from './pipeline-driver';
import { poisonTests } from './poison';
import { retainRoundTripTest } from './retain-round-trip';
import { schemaEvolutionTests } from './schema-evolution';
import { settingChangeTests } from './setting-change';
import { statusCommandTest } from './status-command';
import { upgradeTest } from './upgrade';

const RUNS = 5;
const BAD_EVERY = 50;
const figures: Record<string, unknown> = {};
let outputs: Record<string, string> = {};
/** Whether the stack's volumes on the engine are this run's (it started from none), so it may remove them. */
let volumesAreOurs = false;

const SERVICES = [
  'zookeeper', 'kafka', 'schema-registry', 'postgres', 'cassandra', 'spark-master', 'spark-worker-1',
  'fake-randomuser', 'airflow-api-server', 'airflow-dag-processor', 'airflow-scheduler', 'spark-job',
  'prometheus', 'node-exporter', 'postgres-exporter', 'pipeline-metrics',
].map((s) => `${PREFIX}-${s}`);
const ONE_SHOTS = ['kafka-access', 'kafka-client-access', 'cassandra-roles', 'bootstrap', 'airflow-fernet-key', 'airflow-init'].map((s) => `${PREFIX}-${s}`);
/** What `cdktf destroy` leaves of the stack: scripts/e2e.sh deploys it with KP_RETAIN_VOLUMES=true. */
const RETAINED_VOLUMES = [
  'airflow-fernet-key', 'airflow-logs', 'cassandra-data', 'cassandra-superuser', 'kafka-data', 'kafka-secrets', 'postgres-data', 'prometheus-data', 'spark-checkpoints', 'zookeeper-data', 'zookeeper-log',
].map((v) => `${PREFIX}-${v}`);
const STACK_CONTAINERS = [...SERVICES, ...ONE_SHOTS, `${PREFIX}-control-center`];
/** A container's published ports as `docker inspect` gives them, by container port. */
type PortBindings = Record<string, { HostIp: string; HostPort: string }[] | null>;

afterAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2));
  // A failed test must not leave the platform running, nor its retained data for the next run to find.
  if (leftovers(STACK_CONTAINERS).containers.length > 0) await destroy('destroy-after-failure').catch(() => undefined);
  if (volumesAreOurs && leftovers(STACK_CONTAINERS).containers.length === 0) removeVolumes(leftovers([]).volumes);
});

test('cdktf deploy brings every service up healthy, each after what it depends on', async () => {
  // From nothing: volumes kept by an earlier run would hold users the checks below do not expect.
  expect(leftovers(STACK_CONTAINERS)).toEqual({ containers: [], networks: [], volumes: [] });
  volumesAreOurs = true;
  const cpu = new DeployCpu();
  const { seconds, watcher } = await deployWatched('deploy', { onPoll: cpu.onPoll });
  figures.deploySeconds = seconds;
  figures.secondsToHealthy = watcher.secondsToReady();
  // Where the cores went while the stack came up (README, "Benchmarks": the deploy is bound by them).
  figures.deployCpuSeconds = roundedCpuSeconds(cpu.result());
  // Read before the checks below: a service late or out of order fails this test, not every test after it.
  outputs = stackOutputs();
  for (const name of SERVICES) expect(docker('inspect', '-f', '{{.State.Health.Status}}', name)).toBe('healthy');
  for (const name of ONE_SHOTS) expect(docker('inspect', '-f', '{{.State.ExitCode}}', name)).toBe('0');
  const ready = (name: string) => watcher.ready.get(`${PREFIX}-${name}`) ?? Infinity;
  const seen = (name: string) => watcher.firstSeen.get(`${PREFIX}-${name}`) ?? -Infinity;
  for (const [downstream, upstream] of [
    ['kafka-access', 'zookeeper'], ['kafka', 'kafka-access'], ['kafka-client-access', 'zookeeper'], ['schema-registry', 'kafka'], ['bootstrap', 'schema-registry'], ['bootstrap', 'cassandra'],
    ['cassandra-roles', 'cassandra'], ['bootstrap', 'cassandra-roles'],
    ['airflow-init', 'postgres'], ['airflow-init', 'airflow-fernet-key'], ['airflow-api-server', 'airflow-init'], ['airflow-dag-processor', 'airflow-init'],
    ['airflow-scheduler', 'bootstrap'], ['airflow-scheduler', 'airflow-api-server'],
    // The Spark job starts beside the bootstrap: its driver waits for the subject the bootstrap registers last.
    ['spark-worker-1', 'spark-master'], ['spark-job', 'spark-worker-1'], ['spark-job', 'cassandra-roles'], ['spark-job', 'kafka-client-access'],
  ]) {
    expect({ downstream, upstream, after: seen(downstream) >= ready(upstream) }).toEqual({ downstream, upstream, after: true });
  }
  expect(outputs.airflow_url).toBe('http://127.0.0.1:8080');
}, 60 * 60 * 1000);

test('the pipeline delivers exactly the valid users into Cassandra, field for field; bad records only to the dead-letter topic', async () => {
  const driver = new PipelineDriver(outputs);
  await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 2 });
  const started = Date.now();
  for (let i = 0; i < RUNS; i++) {
    const runId = await driver.airflow.trigger(DAG_ID);
    const state = await driver.airflow.runEnd(DAG_ID, runId);
    expect({ runId, state }).toEqual({ runId, state: 'success' });
  }
  const served = await driver.sourceControl();
  const validUsers = await driver.validUsers();
  const expected = new Map(validUsers.map((u) => [u.login.uuid.toLowerCase(), expectedRow(u)]));
  figures.served = { users: served.users, valid: expected.size, bad: served.badRecords, failures5xx: served.failures5xx };
  expect(expected.size).toBeGreaterThanOrEqual(1000);
  expect(served.failures5xx).toBe(2);

  await driver.withCassandra(async (cassandra) => {
    const rows = await waitFor(`${expected.size} users in Cassandra`, 10 * 60 * 1000, async () => {
      const result = await cassandra.execute('SELECT * FROM spark_streams.created_users', [], { fetchSize: 100000 });
      return result.rows.length >= expected.size ? result.rows : undefined;
    }, 5000);
    figures.pipelineSeconds = (Date.now() - started) / 1000;
    const actual = new Map(rows.map((r) => [r.id.toString(), Object.fromEntries(Object.keys(expectedRow(validUsers[0])).map((k) => [k, r[k]?.toString()]))]));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, row] of expected) expect(actual.get(id)).toEqual(row);
    figures.inCassandra = actual.size;
  });

  // Every injected bad record is in the dead-letter topic with the field it lacks, and nowhere else.
  const readDead = async () => (await driver.readTopic('users_created.dlq')).map((m) => JSON.parse(m.value!.toString()));
  await waitFor('the dead-letter topic', 120 * 1000, async () => ((await readDead()).length >= served.badRecords ? true : undefined), 2000);
  // A little longer, so a record dead-lettered twice would show.
  await new Promise((r) => setTimeout(r, 3000));
  const dead = await readDead();
  const ingestDead = dead.filter((d) => d.stage === 'ingest');
  figures.deadLettered = { ingest: ingestDead.length, stream: dead.length - ingestDead.length };
  expect(ingestDead.length).toBe(served.badRecords);
  const deadFields = ingestDead.map((d) => d.field).sort();
  const wantedFields = served.bad.map((b) => b.field.split('.').pop()).sort();
  expect(deadFields.length).toBe(wantedFields.length);
  const badIds = served.bad.flatMap((b) => (b.id ? [b.id.toLowerCase()] : []));
  const pg = new PgClient({ connectionString: outputs.postgres_dsn });
  await pg.connect();
  try {
    const stored = await pg.query('SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[])', [badIds]);
    expect(stored.rows[0].n).toBe(0);
    const rejected = await pg.query('SELECT count(*)::int AS n FROM rejected_records WHERE published_at IS NOT NULL');
    expect(rejected.rows[0].n).toBe(served.badRecords);
  } finally {
    await pg.end();
  }

  // The verify job agrees.
  await driver.verify('pipeline', expected.size);
}, 60 * 60 * 1000);

// Who may do what, before the faults: each credential refused outside its purpose, and the pipeline unharmed.
authenticationTests(() => outputs, figures);
statusCommandTest(() => outputs, figures);
dashboardTest(() => outputs, figures);
faultTests(() => outputs, figures);
// The upgrade, then the poison records (framed with the first schema version), then the schema change; each
// later deploy keeps what the earlier ones applied (the upgraded versions, then the evolved schema).
upgradeTest(() => outputs, figures);
poisonTests(() => outputs, figures);
schemaEvolutionTests(() => outputs, figures);
// Settings: each deploy keeps the schema file deployed so far.
settingChangeTests(() => outputs, figures);
// Then destroy and deploy keeping the data: the same stack comes back, upgraded and with the evolved schema.
retainRoundTripTest({ outputs: () => outputs, redeployed: (o) => (outputs = o), services: SERVICES, oneShots: ONE_SHOTS }, figures);

test('no generated secret in the synthesized plan, a container log or a task log; only the published ports answer, on 127.0.0.1 alone', async () => {
  // Airflow's Fernet key is in no output: read it from its volume, as the Airflow user, with the Airflow image.
  const airflowImage = docker('inspect', '-f', '{{.Image}}', `${PREFIX}-airflow-api-server`);
  const fernetKey = docker('run', '--rm', '--entrypoint', 'cat', '-v', `${PREFIX}-airflow-fernet-key:/key:ro`, airflowImage, '/key/key');
  expect(fernetKey).toMatch(/^[A-Za-z0-9_-]{43}=$/);
  const roles = postgresRoles();
  const spark = sparkSecret();
  const cassandra = cassandraLogins(outputs);
  const kafka = kafkaLogins(outputs);
  const secrets = [
    outputs.airflow_admin_password, new URL(outputs.postgres_dsn).password, fernetKey, spark,
    roles.superuser.password, roles.airflow.password, roles.monitoring.password,
    cassandra.superuser.password, cassandra.bootstrap.password, cassandra.pipeline.password, cassandra.monitoring.password,
    outputs.schema_registry_password, outputs.schema_registry_writer_password,
    ...Object.values(kafka).map((login) => login.password),
  ];
  for (const secret of secrets) expect(secret.length).toBeGreaterThanOrEqual(24);
  // Spark's secret, Cassandra's superuser's and those of its pipeline and read-only roles, and the Kafka logins of the
  // broker, the Spark job, the registry and the admin travel in files or volumes: no container shows them in its
  // environment, command or labels (README, "Security", lists those that do).
  const inFilesOnly = [
    [spark, 'spark'], [cassandra.superuser.password, 'cassandra superuser'], [cassandra.pipeline.password, 'cassandra pipeline'], [cassandra.monitoring.password, 'cassandra monitoring'],
    [kafka.broker.password, 'kafka broker'], [kafka.stream.password, 'kafka stream'], [kafka.schemaRegistry.password, 'kafka schema registry'], [kafka.admin.password, 'kafka admin'],
  ];
  // The registry's passwords are in no inspect either, but for PIPELINE_SCHEMA_REGISTRY_PASSWORD, which the README lists
  // (the bootstrap job's writer, the DAG's tasks' reader): not in the registry's own, Control Center's or the Spark job's.
  for (const name of [...SERVICES, ...ONE_SHOTS]) {
    const config = docker('inspect', '-f', '{{json .Config}}', name);
    const listed = containerEnv(name).PIPELINE_SCHEMA_REGISTRY_PASSWORD;
    for (const [secret, what] of [[outputs.schema_registry_password, 'registry reader'], [outputs.schema_registry_writer_password, 'registry writer']]) {
      expect({ name, what, inInspect: config.includes(secret) && listed !== secret }).toEqual({ name, what, inInspect: false });
    }
  }
  for (const name of [...SERVICES, ...ONE_SHOTS]) {
    const config = docker('inspect', '-f', '{{json .Config}}', name);
    for (const [secret, what] of inFilesOnly) {
      expect({ name, what, inInspect: config.includes(secret) }).toEqual({ name, what, inInspect: false });
    }
  }
  for (const name of [...SERVICES, ...ONE_SHOTS]) {
    const logs = containerLog(name);
    for (const secret of secrets) expect({ name, leaks: logs.includes(secret) }).toEqual({ name, leaks: false });
  }
  const airflow = new AirflowApi(outputs.airflow_url, outputs.airflow_admin_user, outputs.airflow_admin_password);
  const runs = (await airflow.request<{ dag_runs: { dag_run_id: string }[] }>('GET', `/api/v2/dags/${DAG_ID}/dagRuns?limit=100`)).dag_runs;
  expect(runs.length).toBeGreaterThan(0);
  for (const run of runs) {
    for (const task of ['fetch_and_store', 'publish_outbox']) {
      const log = await airflow.taskLog(DAG_ID, run.dag_run_id, task, 1);
      expect(log.length).toBeGreaterThan(100);
      for (const secret of secrets) expect({ run: run.dag_run_id, task, leaks: log.includes(secret) }).toEqual({ run: run.dag_run_id, task, leaks: false });
    }
  }
  const published = [...SERVICES, ...ONE_SHOTS].flatMap((name) =>
    Object.values((JSON.parse(docker('inspect', '-f', '{{json .HostConfig.PortBindings}}', name)) as PortBindings | null) ?? {}).flatMap((bindings) => bindings ?? []),
  );
  const publishedPorts = published.map((b) => Number(b.HostPort)).sort((a, b) => a - b);
  expect(publishedPorts).toEqual([5432, 8000, 8080, 8081, 9042, 9090, 9091, 9092]);
  for (const binding of published) expect(binding.HostIp).toBe('127.0.0.1');
  // The synthesized plan holds no secret value: they are generated at apply time.
  const plan = fs.readFileSync(path.join(STACK_DIRECTORY, 'cdk.tf.json'), 'utf8');
  for (const secret of secrets) expect(plan.includes(secret)).toBe(false);
  // From the host's own network address (what another machine reaches), nothing answers; on loopback,
  // exactly the published ports do, and the services' other ports (ZooKeeper, Spark master) do not.
  const external = Object.entries(os.networkInterfaces())
    .filter(([name]) => name !== 'docker0' && !name.startsWith('br-') && !name.startsWith('veth'))
    .flatMap(([, addresses]) => addresses ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const answers = async (host: string, ports: number[]) => Object.fromEntries(await Promise.all(ports.map(async (p) => [p, await tcpAnswers(host, p)])));
  expect(await answers('127.0.0.1', [...publishedPorts, 2181, 7077, 29092])).toEqual(
    Object.fromEntries([...publishedPorts.map((p) => [p, true]), [2181, false], [7077, false], [29092, false]]),
  );
  if (external) expect(await answers(external, publishedPorts)).toEqual(Object.fromEntries(publishedPorts.map((p) => [p, false])));
  figures.externalAddressChecked = external ?? 'none (the host has no non-loopback IPv4 address)';
}, 10 * 60 * 1000);

test('the Airflow UI in a real browser: log in with the generated password, find the DAG and its successful runs', async () => {
  const screenshot = path.join(ARTIFACTS, 'airflow-dag-runs.png');
  await airflowDagRunsInBrowser(outputs, screenshot);
  figures.screenshot = path.relative(process.cwd(), screenshot);
  expect(fs.statSync(screenshot).size).toBeGreaterThan(10000);
}, 5 * 60 * 1000);

test('cdktf destroy leaves no container or network of the stack, only its retained volumes, and those remove for good', async () => {
  expect(leftovers(STACK_CONTAINERS).volumes.sort()).toEqual(RETAINED_VOLUMES);
  figures.destroySeconds = await destroy('destroy');
  const left = leftovers(STACK_CONTAINERS);
  expect({ ...left, volumes: left.volumes.sort() }).toEqual({ containers: [], networks: [], volumes: RETAINED_VOLUMES });
  removeVolumes(RETAINED_VOLUMES);
  expect(leftovers(STACK_CONTAINERS)).toEqual({ containers: [], networks: [], volumes: [] });
}, 30 * 60 * 1000);

/** Whether a TCP connection to host:port is accepted within 3 s. */
function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
