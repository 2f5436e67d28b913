/**
 * The platform's own Cassandra as a ring of 1 to 5 nodes (constructs/cassandra-ring.ts): names, volumes, ports,
 * seeds, the order the nodes start in, what a single node alone skips, the contact points every client gets, the
 * keyspace's copies and the consistency level that follow the ring's size, and the commit log's sync.
 */
import type { RolesPlan } from '../../jobs/lib/cassandra-roles';
import { type StreamingPlatformProps } from '../../constructs';
import { planChanges } from '../helpers/plan-diff';
import { addressOf, dependenciesOf, synthPlatform, type PlanResource, type SynthesizedPlan } from '../helpers/synth';

const plans = new Map<string, SynthesizedPlan>();
/** Synthesizing bundles the jobs and hashes every shipped file: once per configuration. */
function planOf(props: StreamingPlatformProps = {}): SynthesizedPlan {
  const key = JSON.stringify(props);
  if (!plans.has(key)) plans.set(key, synthPlatform(props));
  return plans.get(key)!;
}
const envOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const upload = (plan: SynthesizedPlan, name: string, file: string): PlanResource => (plan.container(name).upload as PlanResource[]).find((u) => u.file === file)!;
const rolesFile = (plan: SynthesizedPlan): RolesPlan => JSON.parse(upload(plan, 'kp-cassandra-roles', '/run/kafka-pipelining/cassandra-roles.json').content as string) as RolesPlan;
const nodesOf = (plan: SynthesizedPlan): string[] => plan.containers().map((c) => c.name as string).filter((name) => /^kp-cassandra(-\d)?$/.test(name)).sort();
const SINGLE_NODE_OPTIONS = ['-Dcassandra.ring_delay_ms=1000', '-Dcassandra.skip_wait_for_gossip_to_settle=0'];

describe('one node, the default: the single node of stacks from before the ring, unchanged where its state is', () => {
  const plan = planOf();

  test("the container is kp-cassandra, its data kp-cassandra-data, CQL on ports.cassandra", () => {
    expect(nodesOf(plan)).toEqual(['kp-cassandra']);
    expect(plan.container('kp-cassandra').volumes).toEqual([{ container_path: '/var/lib/cassandra', volume_name: expect.stringContaining('Platform_Cassandra_Data_Volume') }]);
    expect(Object.values(plan.resourcesOfType('docker_volume')).map((v) => v.name)).toEqual(expect.arrayContaining(['kp-cassandra-data', 'kp-cassandra-superuser']));
    expect(plan.container('kp-cassandra').ports).toEqual([{ internal: 9042, external: 9042, ip: '127.0.0.1', protocol: 'tcp' }]);
  });

  test('the same Terraform addresses as before the ring, so a redeploy keeps the data volume, the superuser volume and the passwords', () => {
    // The addresses the single node had (the plan snapshot before the ring): a new address would be a destroy and a create.
    for (const [type, id] of [
      ['docker_container', 'Platform_Cassandra_Node_Container_42C1610B'],
      ['docker_volume', 'Platform_Cassandra_Data_Volume_34EF44B9'],
      ['docker_volume', 'Platform_CassandraRoles_Superuser_Volume_E34C7179'],
      ['random_password', 'Platform_Cassandra_BootstrapPassword_ED6D0975'],
      ['random_password', 'Platform_Cassandra_PipelinePassword_BC8A032A'],
      ['random_password', 'Platform_Cassandra_MonitoringPassword_3B25151F'],
      ['docker_image', 'Platform_Cassandra_Image_79B3F859'],
      ['docker_image', 'Platform_Cassandra_JmxExporter_Image_1F217A14'],
    ]) {
      expect([type, id, plan.resourcesOfType(type)[id] !== undefined]).toEqual([type, id, true]);
    }
  });

  test("alone, it skips the waits for peers, names no seeds (the image's default: itself) and keeps system_auth's own default", () => {
    const options = envOf(plan, 'kp-cassandra').JVM_EXTRA_OPTS.split(' ');
    expect(options).toEqual(expect.arrayContaining(SINGLE_NODE_OPTIONS));
    expect(options.filter((o) => o.includes('system_auth'))).toEqual([]);
    expect(envOf(plan, 'kp-cassandra').CASSANDRA_SEEDS).toBeUndefined();
  });

  test('one copy of every row, read and written at LOCAL_ONE', () => {
    expect(envOf(plan, 'kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_CASSANDRA_REPLICATION: '1', PIPELINE_CASSANDRA_CONSISTENCY: 'LOCAL_ONE' }));
    expect(rolesFile(plan).replication).toBe(1);
  });
});

describe('three nodes', () => {
  const plan = planOf({ cassandraNodes: 3 });
  const NODES = ['kp-cassandra', 'kp-cassandra-2', 'kp-cassandra-3'];

  test('kp-cassandra, kp-cassandra-2, kp-cassandra-3, each with a data volume of its own', () => {
    expect(nodesOf(plan)).toEqual(NODES);
    const volumeNames = Object.fromEntries(Object.entries(plan.resourcesOfType('docker_volume')).map(([id, v]) => [id, v.name as string]));
    const mounted = NODES.map((name) => plan.container(name).volumes.map((v: PlanResource) => volumeNames[/docker_volume\.([^.]+)\./.exec(v.volume_name as string)![1]]));
    expect(mounted).toEqual([['kp-cassandra-data'], ['kp-cassandra-2-data'], ['kp-cassandra-3-data']]);
  });

  test('node i publishes CQL on ports.cassandra + i - 1, on the bind address', () => {
    expect(NODES.map((name) => plan.container(name).ports)).toEqual([9042, 9043, 9044].map((external) => [{ internal: 9042, external, ip: '127.0.0.1', protocol: 'tcp' }]));
    expect(planOf({ cassandraNodes: 2, ports: { cassandra: 19042 } }).container('kp-cassandra-2').ports[0].external).toBe(19043);
  });

  test('one cluster, one datacenter, GossipingPropertyFileSnitch, the same tokens per node', () => {
    for (const name of NODES) {
      expect(envOf(plan, name)).toEqual(expect.objectContaining({
        CASSANDRA_CLUSTER_NAME: 'kafka-pipelining', CASSANDRA_DC: 'datacenter1', CASSANDRA_ENDPOINT_SNITCH: 'GossipingPropertyFileSnitch', CASSANDRA_NUM_TOKENS: '16',
      }));
    }
  });

  test('the first two nodes are the seeds; the second does not name itself, so that when new it bootstraps like the others', () => {
    expect(NODES.map((name) => envOf(plan, name).CASSANDRA_SEEDS)).toEqual(['kp-cassandra,kp-cassandra-2', 'kp-cassandra', 'kp-cassandra,kp-cassandra-2']);
  });

  test('node i is created once node i-1 is healthy: Cassandra refuses a node that bootstraps while another does', () => {
    expect(plan.container('kp-cassandra-2').depends_on).toEqual([addressOf(plan, 'kp-cassandra')]);
    expect(plan.container('kp-cassandra-3').depends_on).toEqual([addressOf(plan, 'kp-cassandra-2')]);
    expect(dependenciesOf(plan, 'kp-cassandra').filter((d) => d.startsWith('docker_container.'))).toEqual([]);
    for (const name of NODES) expect(plan.container(name).wait).toBe(true);
  });

  test("no single-node start options; system_auth made with a copy on every node, so no login's row lacks replicas while the ring forms", () => {
    for (const name of NODES) {
      const options = envOf(plan, name).JVM_EXTRA_OPTS.split(' ');
      expect(options).not.toEqual(expect.arrayContaining([SINGLE_NODE_OPTIONS[0]]));
      expect(options).not.toEqual(expect.arrayContaining([SINGLE_NODE_OPTIONS[1]]));
      expect(options).toContain('-Dcassandra.system_auth.default_rf=3');
    }
  });

  test('the health check of every node: joined the ring and serving CQL, as the read-only role from a file', () => {
    for (const name of NODES) {
      expect(plan.container(name).healthcheck.test).toEqual(['CMD', 'bash', '/opt/kafka-pipelining/cassandra-health.sh', '/opt/kafka-pipelining/cassandra-health.credentials']);
      expect(upload(plan, name, '/opt/kafka-pipelining/cassandra-health.credentials').content).toMatch(/^\[plain_text_auth\]\nusername = monitoring\npassword = \$\{random_password\.Platform_Cassandra_MonitoringPassword_/);
    }
  });

  test('every client gets every node as a contact point: the jobs, the roles job, the Spark job, and the host-side output', () => {
    const points = NODES.map((name) => `\${${addressOf(plan, name)}.name}:9042`).join(',');
    expect(envOf(plan, 'kp-bootstrap').PIPELINE_CASSANDRA_CONTACT_POINTS).toBe(points);
    expect(envOf(plan, 'kp-spark-job').PIPELINE_CASSANDRA_CONTACT_POINTS).toBe(points);
    expect(rolesFile(plan).contactPoints).toEqual(points.split(','));
    expect(plan.json.output.cassandra_contact_point.value).toBe('127.0.0.1:9042,127.0.0.1:9043,127.0.0.1:9044');
    for (const name of NODES) expect(dependenciesOf(plan, 'kp-cassandra-roles')).toContain(addressOf(plan, name));
  });

  test('3 copies of every row (NetworkTopologyStrategy, the keyspace and system_auth), read and written at LOCAL_QUORUM', () => {
    expect(envOf(plan, 'kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_CASSANDRA_REPLICATION: '3', PIPELINE_CASSANDRA_DATACENTER: 'datacenter1' }));
    expect(rolesFile(plan)).toEqual(expect.objectContaining({ replication: 3, datacenter: 'datacenter1' }));
    expect(plan.json.output.cassandra_consistency.value).toBe('LOCAL_QUORUM');
  });

  test('one password per role, one image and one JMX exporter image for all the nodes, and every node a scrape target', () => {
    expect(Object.keys(plan.resourcesOfType('random_password')).filter((id) => id.startsWith('Platform_Cassandra'))).toHaveLength(3);
    const images = Object.values(plan.resourcesOfType('docker_image')).map((i) => i.name as string).filter((name) => /cassandra/.test(name));
    expect(images).toHaveLength(new Set(images).size);
    const prometheus = upload(plan, 'kp-prometheus', '/etc/prometheus/prometheus.yml').content as string;
    const cassandraJob = (JSON.parse(prometheus) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }).scrape_configs.find((j) => j.job_name === 'cassandra');
    expect(cassandraJob?.static_configs.flatMap((c) => c.targets)).toEqual(['kp-cassandra:9404', 'kp-cassandra-2:9404', 'kp-cassandra-3:9404']);
  });

  test('memoryMiB.cassandra is each node\'s', () => {
    const big = planOf({ cassandraNodes: 3, memoryMiB: { cassandra: 3072 } });
    expect(NODES.map((name) => big.container(name).memory)).toEqual([3072, 3072, 3072]);
    expect(envOf(big, 'kp-cassandra-3').MAX_HEAP_SIZE).toBe('1536M');
  });
});

describe('a node lost without closing its connections', () => {
  test("the Spark job's Cassandra driver, on the driver and on every executor, sends a heartbeat after 5 s without a read, not 30", () => {
    const command = synthPlatform({ cassandraNodes: 3 }).container('kp-spark-job').command as string[];
    for (const key of ['spark.driver.extraJavaOptions', 'spark.executor.extraJavaOptions']) {
      expect(command[command.indexOf(`${key}=-Ddatastax-java-driver.advanced.heartbeat.interval=5s`) - 1]).toBe('--conf');
    }
  });
});

describe('the copies and the consistency level follow the ring', () => {
  test.each([
    [1, '1', 'LOCAL_ONE'],
    [2, '2', 'LOCAL_ONE'],
    [3, '3', 'LOCAL_QUORUM'],
    [4, '3', 'LOCAL_QUORUM'],
    [5, '3', 'LOCAL_QUORUM'],
  ])('%d node(s): %s copies, %s', (cassandraNodes, replication, consistency) => {
    const plan = planOf({ cassandraNodes });
    expect(nodesOf(plan)).toHaveLength(cassandraNodes);
    expect(envOf(plan, 'kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_CASSANDRA_REPLICATION: replication, PIPELINE_CASSANDRA_CONSISTENCY: consistency }));
    expect(envOf(plan, 'kp-spark-job').PIPELINE_CASSANDRA_CONSISTENCY).toBe(consistency);
    expect(rolesFile(plan).replication).toBe(Number(replication));
  });

  test('both can be set, up to the nodes there are: 5 copies at QUORUM on 5 nodes', () => {
    const plan = planOf({ cassandraNodes: 5, pipeline: { cassandraReplication: 5, cassandraConsistency: 'QUORUM' } });
    expect(envOf(plan, 'kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_CASSANDRA_REPLICATION: '5', PIPELINE_CASSANDRA_CONSISTENCY: 'QUORUM' }));
  });

  test('the level reaches exactly the components that read Cassandra: the Spark job and the bootstrap (verify, from the host, reads the output)', () => {
    const plan = planOf({ cassandraNodes: 3 });
    const having = plan.containers().filter((c) => (c.env ?? []).some((e: string) => e.startsWith('PIPELINE_CASSANDRA_CONSISTENCY='))).map((c) => c.name).sort();
    expect(having).toEqual(['kp-bootstrap', 'kp-spark-job']);
  });
});

describe("the commit log's sync, on every node", () => {
  test.each([
    [undefined, 'periodic', '10000ms'],
    ['periodic', 'periodic', '10000ms'],
    ['group', 'group', '15ms'],
  ] as const)('%s: %s with a window of %s', (cassandraCommitlogSync, mode, window) => {
    const plan = planOf({ cassandraNodes: 2, cassandraCommitlogSync });
    for (const name of ['kp-cassandra', 'kp-cassandra-2']) {
      expect(envOf(plan, name)).toEqual(expect.objectContaining({ KP_CASSANDRA_COMMITLOG_SYNC: mode, KP_CASSANDRA_COMMITLOG_SYNC_WINDOW: window }));
    }
  });
});

describe('a single-node stack grown to a ring of 3 by a redeploy', () => {
  const before = planOf();
  const after = planOf({ cassandraNodes: 3 });

  test('keeps every volume: the first node mounts the same data, the new nodes get new ones', () => {
    expect(planChanges(before, after, 'docker_volume')).toEqual({ replaced: [], updatedInPlace: [], added: ['kp-cassandra-2-data', 'kp-cassandra-3-data'], removed: [] });
  });

  test('restarts the first node (its settings name the ring) and adds the others; the passwords stay', () => {
    const containers = planChanges(before, after, 'docker_container');
    expect(containers.added).toEqual(['kp-cassandra-2', 'kp-cassandra-3']);
    expect(containers.replaced).toContain('kp-cassandra');
    expect(containers.removed).toEqual([]);
    expect(planChanges(before, after, 'random_password')).toEqual({ replaced: [], updatedInPlace: [], added: [], removed: [] });
  });
});

test('a node published on a port another service has fails synthesis, naming the node', () => {
  expect(() => synthPlatform({ cassandraNodes: 2, ports: { cassandra: 9090 } })).toThrow(
    /ports\.sparkMasterUi and ports\.cassandra both publish host port 9090[\s\S]*ports\.prometheus and ports\.cassandra \+ 1 \(Cassandra node 2\) both publish host port 9091/,
  );
});

test("pipeline.cassandraReplication changed on a deployed ring replaces the jobs that apply or follow it, and no node", () => {
  const changes = planChanges(planOf({ cassandraNodes: 3 }), planOf({ cassandraNodes: 3, pipeline: { cassandraReplication: 2 } }), 'docker_container');
  // The bootstrap alters the keyspace, the roles job system_auth; the Spark job writes at LOCAL_ONE from then on.
  expect(changes).toEqual({ replaced: ['kp-bootstrap', 'kp-cassandra-roles', 'kp-spark-job'], updatedInPlace: [], added: [], removed: [] });
});
