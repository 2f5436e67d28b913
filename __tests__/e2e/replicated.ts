/**
 * The replicated profile (KP_PROFILE=replicated: 3 Kafka brokers, 3 Cassandra nodes, 2 Spark workers), deployed once
 * the single-node suite has destroyed its stack, and a node of each replicated tier lost while over 1,000 users stream:
 * the broker that leads a partition of the users topic, a Cassandra node, the Spark worker that runs executors. Each is
 * killed and kept down while the pipeline must go on without it (the DAG publishing with 2 of 3 brokers in sync, the
 * stream writing at LOCAL_QUORUM with 2 of 3 replicas, the executors moved to the other worker), then started again;
 * each round ends with exactly the valid users served so far in Cassandra, verify agreeing. The figures: how long the
 * pipeline stalled (the longest gap between consecutive write times of the round's rows) and how long after the kill
 * the next row was written.
 */
import { types } from 'cassandra-driver';
import { DeployCpu, roundedCpuSeconds } from '../../ops/cpu';
import { deployWatched, destroy, docker, leftovers, PREFIX, removeVolumes, stackOutputs, waitFor } from '../../ops/deployment';
import { hostKafka, parseQuorumReplication, type QuorumNode } from '../../ops/host-kafka';
import { parseMemoryUsage } from '../../ops/service-status';
import { DAG_ID, healthyAgain, PipelineDriver, type Round } from './pipeline-driver';

const ROUND_USERS = 1100;
const BAD_EVERY = 50;
const USERS_TOPIC = 'users_created';
const KEYSPACE = 'spark_streams';
const TABLE = `${KEYSPACE}.created_users`;
const BROKERS = 3;
const CASSANDRA_NODES = 3;
const SPARK_WORKERS = 2;
/** Broker i's container: the first keeps the single broker's name. */
const brokerContainer = (id: number) => (id === 1 ? `${PREFIX}-kafka` : `${PREFIX}-kafka-${id}`);
const cassandraContainer = (node: number) => (node === 1 ? `${PREFIX}-cassandra` : `${PREFIX}-cassandra-${node}`);
const sparkWorker = (n: number) => `${PREFIX}-spark-worker-${n}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** KRaft's quorum: in the first 3 brokers, or (KP_KAFKA_CONTROLLERS=dedicated) in 3 controllers of their own, ids 101 to 103. */
const DEDICATED_CONTROLLERS = process.env.KP_KAFKA_CONTROLLERS === 'dedicated';
const CONTROLLERS = range(3).map((i) => (DEDICATED_CONTROLLERS
  ? { container: `${PREFIX}-kafka-controller-${i}`, nodeId: 100 + i }
  : { container: brokerContainer(i), nodeId: i }));

/** How long the pipeline stalled around a strike, from the write times of a round's rows. */
interface Stall {
  /** The longest gap between consecutive write times of the round's rows, seconds. */
  readonly longestGapSeconds: number;
  /** From the strike to the first row written after it, seconds. */
  readonly firstWriteAfterStrikeSeconds: number | null;
  /** From the strike to the round's last row, seconds. */
  readonly lastWriteAfterStrikeSeconds: number;
}

export function replicatedTests(figures: Record<string, unknown>): void {
  const replicated: Record<string, unknown> = {};
  figures.replicated = replicated;

  describe('the replicated profile: a broker, a Cassandra node and a Spark worker lost mid-stream, nothing lost', () => {
    let outputs: Record<string, string>;
    let driver: PipelineDriver;
    const profile = process.env.KP_PROFILE;
    beforeAll(() => {
      process.env.KP_PROFILE = 'replicated';
    });
    afterAll(() => {
      if (profile === undefined) delete process.env.KP_PROFILE;
      else process.env.KP_PROFILE = profile;
    });

    test('cdktf deploy brings it up healthy, with 3 copies of every partition (2 in sync required) and of every row', async () => {
      const cpu = new DeployCpu();
      const { seconds, watcher } = await deployWatched('replicated-deploy', { onPoll: cpu.onPoll });
      Object.assign(replicated, {
        controllers: DEDICATED_CONTROLLERS ? 'dedicated' : 'combined', deploySeconds: seconds, secondsToHealthy: watcher.secondsToReady(), deployCpuSeconds: roundedCpuSeconds(cpu.result()),
      });
      const controllerNames = DEDICATED_CONTROLLERS ? CONTROLLERS.map((c) => c.container) : [];
      for (const name of [...range(BROKERS).map(brokerContainer), ...controllerNames, ...range(CASSANDRA_NODES).map(cassandraContainer), ...range(SPARK_WORKERS).map(sparkWorker)]) {
        expect({ name, health: docker('inspect', '-f', '{{.State.Health.Status}}', name) }).toEqual({ name, health: 'healthy' });
      }
      outputs = stackOutputs();
      driver = new PipelineDriver(outputs);
      await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 0, malformed: 0 });

      // The metadata quorum: three voters, one leading, every broker that is no voter following as an observer.
      const quorum = quorumReplication(CONTROLLERS[0].container);
      expect(quorum.filter((node) => node.status !== 'Observer').map((node) => node.nodeId).sort()).toEqual(CONTROLLERS.map((c) => c.nodeId));
      expect(quorum.filter((node) => node.status === 'Leader')).toHaveLength(1);
      expect(quorum.filter((node) => node.status === 'Observer').map((node) => node.nodeId).sort()).toEqual(DEDICATED_CONTROLLERS ? range(BROKERS) : []);

      const partitions = await usersTopicPartitions(outputs);
      expect(partitions.length).toBeGreaterThanOrEqual(3);
      for (const p of partitions) expect({ partition: p.partitionId, replicas: p.replicas.length, inSync: p.isr.length }).toEqual({ partition: p.partitionId, replicas: 3, inSync: 3 });
      // Leaders spread over the brokers: the broker killed below leads one partition, not all.
      expect(new Set(partitions.map((p) => p.leader)).size).toBeGreaterThan(1);
      const minInSync = await withAdmin(outputs, async (admin) => {
        const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: USERS_TOPIC, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
        return resources[0].configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue;
      });
      expect(minInSync).toBe('2');

      const replication = await driver.withCassandra(async (c) => (await c.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [KEYSPACE], { prepare: true })).rows[0].get('replication') as Record<string, string>);
      expect(replication).toEqual({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', [outputs.cassandra_datacenter]: '3' });
      const ring = docker('exec', cassandraContainer(1), 'nodetool', 'status', KEYSPACE);
      expect(ring.split('\n').filter((line) => /^UN\s/.test(line))).toHaveLength(CASSANDRA_NODES);
    }, 40 * 60 * 1000);

    test('the broker leading a partition of the users topic killed (SIGKILL) mid-stream: the stream goes on, a DAG run publishes while it is down, every valid user once', async () => {
      const first = await driver.startRound(ROUND_USERS);
      expect(first.newValidIds.length).toBeGreaterThanOrEqual(1000);
      await driver.partwayThrough(first);
      const [partition] = await usersTopicPartitions(outputs);
      const broker = brokerContainer(partition.leader);
      replicated.memoryUnderLoadMiB = memoryMiB();
      const struck = Date.now();
      // SIGKILL, and a manual stop to Docker's restart policy: the broker stays down until started below.
      docker('kill', broker);

      // A run fetched and published while the broker is down: acks from the 2 brokers left in sync.
      const runId = await driver.airflow.trigger(DAG_ID, { batch_size: ROUND_USERS });
      expect({ runId, state: await driver.airflow.runEnd(DAG_ID, runId) }).toEqual({ runId, state: 'success' });
      const publish = await driver.airflow.taskInstance(DAG_ID, runId, 'publish_outbox');
      expect(Date.parse(publish.start_date ?? '')).toBeGreaterThan(struck);
      const round = await roundSince(driver, first, runId);
      expect(round.newValidIds.length).toBeGreaterThanOrEqual(2000);
      await deliveredWhileDown(driver, round, broker);

      docker('start', broker);
      await healthyAgain(broker);
      await waitFor('every partition of the users topic in sync on 3 brokers again', 5 * 60 * 1000, async () =>
        ((await usersTopicPartitions(outputs)).every((p) => p.isr.length === 3) ? true : undefined), 2000);
      const delivered = await driver.expectDelivered(round, 'leader broker killed');
      replicated.brokerKill = { broker, partition: partition.partitionId, users: round.newValidIds.length, ...(await stallAround(driver, round, struck)), recoverySeconds: delivered.seconds };
    }, 30 * 60 * 1000);

    test('a Cassandra node killed (SIGKILL) mid-stream: the stream writes at LOCAL_QUORUM on the other two; after it returns and a repair, a read at ALL finds every user', async () => {
      const node = cassandraContainer(CASSANDRA_NODES);
      const round = await driver.startRound(ROUND_USERS);
      expect(round.newValidIds.length).toBeGreaterThanOrEqual(1000);
      await driver.partwayThrough(round);
      const struck = Date.now();
      docker('kill', node);
      await deliveredWhileDown(driver, round, node);

      docker('start', node);
      await healthyAgain(node);
      // The hints the others kept may not all be replayed yet; a repair makes the copies agree now.
      const repairStarted = Date.now();
      docker('exec', node, 'nodetool', 'repair', '--full', KEYSPACE);
      const repairSeconds = (Date.now() - repairStarted) / 1000;
      const atAll = await driver.withCassandra(async (c) =>
        Number((await c.execute(`SELECT count(*) AS n FROM ${TABLE}`, [], { consistency: types.consistencies.all })).rows[0].n));
      expect(atAll).toBe(round.target);
      const delivered = await driver.expectDelivered(round, 'cassandra node killed');
      replicated.cassandraKill = { node, users: round.newValidIds.length, ...(await stallAround(driver, round, struck)), repairSeconds, recoverySeconds: delivered.seconds };
    }, 30 * 60 * 1000);

    test('the Spark worker running executors killed mid-stream: the executors move to the other worker, nothing lost', async () => {
      const round = await driver.startRound(ROUND_USERS);
      expect(round.newValidIds.length).toBeGreaterThanOrEqual(1000);
      await driver.partwayThrough(round);
      const running = range(SPARK_WORKERS).map(sparkWorker).filter((worker) => executorsOn(worker) > 0);
      // The stream's executors run somewhere; the worker killed is one of theirs.
      expect(running.length).toBeGreaterThan(0);
      const [worker] = running;
      const other = range(SPARK_WORKERS).map(sparkWorker).find((w) => w !== worker)!;
      const struck = Date.now();
      docker('kill', worker);
      await waitFor(`an executor on ${other}`, 3 * 60 * 1000, () => (executorsOn(other) > 0 ? true : undefined), 1000);
      await deliveredWhileDown(driver, round, worker);

      docker('start', worker);
      await healthyAgain(worker);
      const delivered = await driver.expectDelivered(round, 'spark worker killed');
      replicated.sparkWorkerKill = { worker, users: round.newValidIds.length, ...(await stallAround(driver, round, struck)), recoverySeconds: delivered.seconds };
    }, 30 * 60 * 1000);

    test('cdktf destroy leaves no container or network of the replicated stack; its retained volumes remove for good', async () => {
      replicated.destroySeconds = await destroy('replicated-destroy');
      const containers = docker('ps', '-a', '--format', '{{.Names}}').split('\n').filter((name) => name.startsWith(`${PREFIX}-`));
      expect(containers).toEqual([]);
      const left = leftovers([]);
      expect(left.networks).toEqual([]);
      removeVolumes(left.volumes);
      expect(leftovers([]).volumes).toEqual([]);
    }, 30 * 60 * 1000);
  });
}

/** The users topic's partitions: leader, replicas and in-sync replicas by broker id. */
async function usersTopicPartitions(outputs: Record<string, string>): Promise<Array<{ partitionId: number; leader: number; replicas: number[]; isr: number[] }>> {
  const { topics } = await withAdmin(outputs, (admin) => admin.fetchTopicMetadata({ topics: [USERS_TOPIC] }));
  return [...topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId);
}

async function withAdmin<T>(outputs: Record<string, string>, use: (admin: ReturnType<ReturnType<typeof hostKafka>['admin']>) => Promise<T>): Promise<T> {
  const admin = hostKafka(outputs, 'admin', 'e2e-replicated').admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** `first` and the run after it as one round: every valid user served since `first` began. */
async function roundSince(driver: PipelineDriver, first: Round, runId: string): Promise<Round> {
  const valid = await driver.validUsers();
  return { runId, runIds: [...first.runIds, runId], before: first.before, target: valid.length, newValidIds: valid.slice(first.before).map((u) => u.login.uuid.toLowerCase()) };
}

/** Waits until Cassandra holds the round's every user while `container` is still down: the pipeline did without it. */
async function deliveredWhileDown(driver: PipelineDriver, round: Round, container: string): Promise<void> {
  await waitFor(`the round's ${round.target} users in Cassandra with ${container} down`, 10 * 60 * 1000, async () =>
    ((await driver.cassandraIds()).length >= round.target ? true : undefined), 2000);
  expect({ container, running: docker('inspect', '-f', '{{.State.Running}}', container) }).toEqual({ container, running: 'false' });
}

/** The stall a strike caused, from the write times (microseconds, the coordinators' clocks) of the round's rows. */
export async function stallAround(driver: PipelineDriver, round: Round, struckMs: number): Promise<Stall> {
  const times: number[] = [];
  await driver.withCassandra(async (c) => {
    for (let i = 0; i < round.newValidIds.length; i += 100) {
      const ids = round.newValidIds.slice(i, i + 100);
      const rows = (await c.execute(`SELECT writetime(email) AS written FROM ${TABLE} WHERE id IN ?`, [ids], { prepare: true })).rows;
      for (const row of rows) times.push(Number(row.get('written')) / 1000);
    }
  });
  times.sort((a, b) => a - b);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const after = times.find((t) => t > struckMs);
  const round1 = (ms: number) => Math.round(ms / 100) / 10;
  return {
    longestGapSeconds: round1(Math.max(0, ...gaps)),
    firstWriteAfterStrikeSeconds: after === undefined ? null : round1(after - struckMs),
    lastWriteAfterStrikeSeconds: round1(times[times.length - 1] - struckMs),
  };
}

/**
 * Executor JVMs in a Spark worker's container: its java processes but the worker's own (an executor's command line
 * names its class only after a classpath longer than what `ps` prints).
 */
function executorsOn(worker: string): number {
  try {
    const java = docker('top', worker, '-eo', 'pid,comm').split('\n').slice(1).filter((line) => line.trim().split(/\s+/)[1] === 'java').length;
    return Math.max(0, java - 1);
  } catch {
    return 0;
  }
}

/** Each platform container's memory in use, MiB, from one `docker stats` reading. */
function memoryMiB(): Record<string, number> {
  const usage = parseMemoryUsage(docker('stats', '--no-stream', '--format', '{{.Name}}\t{{.MemUsage}}'));
  return Object.fromEntries([...usage].filter(([name]) => name.startsWith(`${PREFIX}-`)).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]));
}

/** The KRaft quorum's nodes as `kafka-metadata-quorum describe --replication` lists them from inside `controller`. */
function quorumReplication(controller: string): QuorumNode[] {
  return parseQuorumReplication(docker('exec', controller, 'kafka-metadata-quorum', '--bootstrap-controller', 'localhost:29093', 'describe', '--replication'));
}
