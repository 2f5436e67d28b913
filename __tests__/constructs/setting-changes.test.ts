/**
 * Changing a setting on a running stack: each change replaces exactly the containers whose code reads it, and
 * nothing else (a replaced Airflow scheduler cuts off its running tasks; a replaced Spark driver pauses the
 * stream). Two synthesized plans are compared as Terraform would (see helpers/plan-diff.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DefaultTokenResolver, StringConcat, Tokenization } from 'cdktf';
import { Cassandra, type PipelineSettings, type StreamingPlatformProps } from '../../constructs';
import { type Component, PIPELINE_VARIABLES, pipelineVariable } from '../../jobs/lib/contract';
import { planChanges } from '../helpers/plan-diff';
import { containersReading } from '../helpers/pipeline-containers';
import { synthPlatform, type SynthesizedPlan } from '../helpers/synth';

const SCHEDULER = 'kp-airflow-scheduler';
const DAG_PROCESSOR = 'kp-airflow-dag-processor';
const SPARK_JOB = 'kp-spark-job';
const BOOTSTRAP = 'kp-bootstrap';
const PIPELINE_METRICS = 'kp-pipeline-metrics';
const CASSANDRA_ROLES = 'kp-cassandra-roles';
const KAFKA_CLIENT_ACCESS = 'kp-kafka-client-access';

// The replication settings need a Cassandra cluster: the platform's own is one node and takes only 1.
const BROUGHT_CASSANDRA: StreamingPlatformProps = {
  cassandra: Cassandra.fromExisting({ contactPoints: ['cassandra-1.internal:9042', 'cassandra-2.internal:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }),
};

// A compatible schema change: a field added with a default (docs/pipeline.md, "Schema evolution").
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'setting-changes-test-'));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
const EVOLVED_SCHEMA = path.join(directory, 'user.avsc');
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8')) as { fields: unknown[] };
fs.writeFileSync(EVOLVED_SCHEMA, JSON.stringify({ ...schema, fields: [...schema.fields, { name: 'nationality', type: 'string', default: '' }] }));

/**
 * Every PipelineSettings field (a missing one fails the type check): a value other than its default, and the
 * containers that changing it replaces.
 */
const SETTINGS: { readonly [K in keyof Required<PipelineSettings>]: [value: Required<PipelineSettings>[K], replaced: string[]] } = {
  sourceUrl: ['https://users.example.org/api/', [SCHEDULER]],
  localSourceApi: [true, [SCHEDULER]],
  batchSize: [250, [DAG_PROCESSOR, SCHEDULER]],
  retryDelaySeconds: [5, [DAG_PROCESSOR, SCHEDULER]],
  maxFieldLength: [250, [SCHEDULER]],
  schedule: ['none', [DAG_PROCESSOR, SCHEDULER]],
  // And the clients' kafka-access job, whose ACLs name the topics (the broker keeps running: it reads them from ZooKeeper).
  topic: ['signups', [SCHEDULER, BOOTSTRAP, KAFKA_CLIENT_ACCESS, PIPELINE_METRICS, SPARK_JOB]],
  topicPartitions: [6, [BOOTSTRAP]],
  // And the roles job, which grants the roles their permissions on the keyspace.
  keyspace: ['users_ks', [BOOTSTRAP, CASSANDRA_ROLES, PIPELINE_METRICS, SPARK_JOB]],
  table: ['users_v2', [BOOTSTRAP, PIPELINE_METRICS, SPARK_JOB]],
  // And the Spark job: the consistency level follows the copies (LOCAL_QUORUM from 3).
  cassandraReplication: [3, [BOOTSTRAP, SPARK_JOB]],
  acceptFewerCassandraReplicas: [true, [BOOTSTRAP]],
  cassandraConsistency: ['QUORUM', [BOOTSTRAP, SPARK_JOB]],
  triggerSeconds: [5, [SPARK_JOB]],
  maxOffsetsPerTrigger: [200, [SPARK_JOB]],
  cassandraConcurrentWrites: [16, [SPARK_JOB]],
  // The bootstrap alone: it checks the file before anything changes, and the DAG and the Spark job read the registry.
  schemaFile: [EVOLVED_SCHEMA, [BOOTSTRAP]],
};
/** Settings that change a file a job reads, not a variable's value: the variable that names the file. */
const FILE_SETTINGS: Partial<Record<keyof PipelineSettings, string>> = { schemaFile: 'PIPELINE_SCHEMA_FILE' };
const ROWS = Object.entries(SETTINGS).map(([setting, [value, replaced]]) => [setting as keyof PipelineSettings, value, replaced] as const);

const plans = new Map<string, SynthesizedPlan>();
/** Synthesizing bundles the bootstrap job and hashes every shipped file: once per configuration. */
function planOf(props: StreamingPlatformProps): SynthesizedPlan {
  const key = JSON.stringify(props, (k, v: unknown) => (k === 'cassandra' ? 'brought' : v));
  if (!plans.has(key)) plans.set(key, synthPlatform(props));
  return plans.get(key)!;
}
const baseOf = (setting: keyof PipelineSettings): StreamingPlatformProps => (setting.includes('Replica') ? BROUGHT_CASSANDRA : {});

/** The components whose code reads a PIPELINE_ variable that differs between the two plans' platforms. */
function readersOfChanged(before: SynthesizedPlan, after: SynthesizedPlan): Component[] {
  // Resolved, since a deploy-time value (a generated password) is a token that differs between two syntheses.
  const valueIn = (plan: SynthesizedPlan, name: string): unknown => Tokenization.resolve(plan.stack.platform.pipelineEnvironment[name], { scope: plan.stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });
  return PIPELINE_VARIABLES.filter((v) => valueIn(before, v.name) !== valueIn(after, v.name)).flatMap((v) => v.readBy);
}

describe.each(ROWS)('changing pipeline.%s on a deployed stack', (setting, value, replaced) => {
  const before = planOf(baseOf(setting));
  const after = planOf({ ...baseOf(setting), pipeline: { [setting]: value } });
  const containers = planChanges(before, after, 'docker_container');

  test(`replaces exactly ${replaced.join(', ')}`, () => {
    expect(containers.replaced).toEqual(replaced);
  });

  test('which are the containers whose code reads a variable it changes, or the file it names (variables.json)', () => {
    const file = FILE_SETTINGS[setting];
    const readers = [...readersOfChanged(before, after), ...(file ? pipelineVariable(file).readBy : [])];
    // The roles and access jobs are platform machinery, no pipeline component: the keyspace is in the roles file,
    // the topics in the ACLs.
    const roles = setting === 'keyspace' ? [CASSANDRA_ROLES] : setting === 'topic' ? [KAFKA_CLIENT_ACCESS] : [];
    expect(containers.replaced).toEqual([...containersReading(readers), ...roles].sort());
  });

  test('and touches nothing else: no other container, no volume, image or network', () => {
    // The local stand-in API is the one setting that adds a service.
    expect(containers).toEqual({ replaced, updatedInPlace: [], added: setting === 'localSourceApi' ? ['kp-fake-randomuser'] : [], removed: [] });
    for (const type of ['docker_volume', 'docker_image', 'docker_network']) {
      const { replaced: gone, updatedInPlace, removed } = planChanges(before, after, type);
      expect({ type, gone, updatedInPlace, removed }).toEqual({ type, gone: [], updatedInPlace: [], removed: [] });
    }
  });
});

test('a change the provider makes in place replaces nothing: a memory limit alone', () => {
  const changes = planChanges(planOf({}), planOf({ memoryMiB: { airflowApiServer: 2048 } }), 'docker_container');
  expect(changes).toEqual({ replaced: [], updatedInPlace: ['kp-airflow-api-server'], added: [], removed: [] });
});

describe("the stream's checkpoint follows everything that defines its output", () => {
  const checkpointOf = (pipeline: PipelineSettings) => planOf({ pipeline }).stack.platform.pipelineEnvironment.PIPELINE_CHECKPOINT_DIR;

  test.each<[PipelineSettings, string]>([
    [{}, '/checkpoints/users_created/spark_streams.created_users'],
    [{ topic: 'signups' }, '/checkpoints/signups/spark_streams.created_users'],
    [{ keyspace: 'users_ks' }, '/checkpoints/users_created/users_ks.created_users'],
    [{ table: 'users_v2' }, '/checkpoints/users_created/spark_streams.users_v2'],
  ])('%j: %s', (pipeline, checkpoint) => {
    expect(checkpointOf(pipeline)).toBe(checkpoint);
  });

  test('a new table gets a checkpoint of its own, so it is filled from the start of the topic, not from where the old one stopped', () => {
    expect(checkpointOf({ table: 'users_v2' })).not.toBe(checkpointOf({}));
  });
});

describe('namePrefix renamed on a deployed stack (docs/pipeline.md, "Changing settings")', () => {
  const before = planOf({});
  const after = planOf({ namePrefix: 'kp2' });

  test('every volume is replaced: the old one and its data destroyed, an empty one created under the new name', () => {
    const volumes = planChanges(before, after, 'docker_volume');
    const names = Object.values(before.resourcesOfType('docker_volume')).map((v) => String(v.name).replace(/^kp-/, 'kp2-')).sort();
    expect(volumes).toEqual({ replaced: names, updatedInPlace: [], added: [], removed: [] });
    expect(names).toEqual(expect.arrayContaining(['kp2-postgres-data', 'kp2-kafka-data', 'kp2-cassandra-data', 'kp2-spark-checkpoints']));
  });

  test('so is every container and the network', () => {
    expect(planChanges(before, after, 'docker_container').replaced).toHaveLength(before.containers().length);
    expect(planChanges(before, after, 'docker_network').replaced).toEqual(['kp2-net']);
  });

  test('with retainVolumes, no volume is destroyed: the containers mount new, empty ones, and the old stay on the host', () => {
    const retained = planOf({ retainVolumes: true, namePrefix: 'kp2' });
    expect(Object.keys(retained.resourcesOfType('docker_volume'))).toEqual([]);
    const mounted = retained.containers().flatMap((c) => (c.volumes ?? []).map((v: { volume_name: string }) => v.volume_name));
    expect(mounted.length).toBeGreaterThan(0);
    for (const name of mounted) expect(name).toMatch(/^kp2-/);
  });
});
