import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { PlatformNetwork, SPARK_JOB_PROPERTIES, SPARK_SECURITY_PROPERTIES, SparkCluster, SparkStreamingJob } from '../../constructs';
import { synthPlatform, type PlanResource } from '../helpers/synth';

// Spark's shared-secret authentication: one generated secret in a properties file that the master, every
// worker and the driver read with --properties-file; in no command line or environment variable.
const plan = synthPlatform({ sparkWorkers: 2 });
const SPARK = ['kp-spark-master', 'kp-spark-worker-1', 'kp-spark-worker-2', 'kp-spark-job'];

const propertiesOf = (container: PlanResource, file = SPARK_SECURITY_PROPERTIES): string | undefined =>
  (container.upload as { file: string; content?: string }[]).find((u) => u.file === file)?.content;

describe('Spark: spark.authenticate with one generated secret, from a file', () => {
  const [secretAddress] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith('Platform_Spark_Master_Security_'));
  const secret = `\${random_password.${secretAddress}.result}`;

  test('one random_password of 48 letters and digits is the secret', () => {
    expect(plan.resourcesOfType('random_password')[secretAddress]).toEqual(expect.objectContaining({ length: 48, special: false }));
  });

  test.each(SPARK.slice(0, 3))('%s gets the properties file: authentication on, the shared secret, no kill links', (name) => {
    expect(propertiesOf(plan.container(name))).toBe(`spark.authenticate=true\nspark.authenticate.secret=${secret}\nspark.ui.killEnabled=false\n`);
  });

  test("the driver's own properties file carries the same, its Cassandra login (the pipeline role's), its Kafka login and the registry reader's", () => {
    const [pipelinePassword] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith('Platform_Cassandra_PipelinePassword_'));
    const [streamPassword] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith('Platform_Kafka_StreamPassword_'));
    const [readerPassword] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith('Platform_SchemaRegistry_ReaderPassword_'));
    expect(propertiesOf(plan.container('kp-spark-job'), SPARK_JOB_PROPERTIES)).toBe(
      `spark.authenticate=true\nspark.authenticate.secret=${secret}\nspark.cassandra.auth.password=\${random_password.${pipelinePassword}.result}\n` +
        `spark.cassandra.auth.username=pipeline\nspark.pipeline.kafka.password=\${random_password.${streamPassword}.result}\nspark.pipeline.kafka.username=stream\n` +
        `spark.pipeline.schemaRegistry.password=\${random_password.${readerPassword}.result}\n` +
        'spark.pipeline.schemaRegistry.username=reader\nspark.ui.killEnabled=false\n',
    );
    expect(propertiesOf(plan.container('kp-spark-job'))).toBeUndefined();
  });

  test('the master and workers read it as daemons, the driver with spark-submit, each before its positional arguments', () => {
    const master = plan.container('kp-spark-master').command as string[];
    expect(master.slice(-2)).toEqual(['--properties-file', SPARK_SECURITY_PROPERTIES]);
    for (const name of ['kp-spark-worker-1', 'kp-spark-worker-2']) {
      const worker = plan.container(name).command as string[];
      expect(worker.slice(-3)).toEqual(['--properties-file', SPARK_SECURITY_PROPERTIES, expect.stringMatching(/^spark:\/\/.+:7077$/)]);
    }
    const driver = plan.container('kp-spark-job').command as string[];
    const at = driver.indexOf('--properties-file');
    expect(driver[at + 1]).toBe(SPARK_JOB_PROPERTIES);
    expect(driver[driver.length - 1]).toMatch(/stream_users\.py$/);
  });

  test('the secret is in no command line, environment variable or output, and in no other container', () => {
    for (const c of plan.containers()) {
      expect({ name: c.name, inCommandOrEnv: JSON.stringify([c.command, c.env]).includes(secretAddress) }).toEqual({ name: c.name, inCommandOrEnv: false });
    }
    const holders = plan.containers().filter((c) => JSON.stringify(c).includes(secretAddress)).map((c) => c.name).sort();
    expect(holders).toEqual([...SPARK].sort());
    expect(JSON.stringify(plan.json.output)).not.toContain(secretAddress);
  });

  test("the master's web UI is published on loopback", () => {
    expect(plan.container('kp-spark-master').ports).toEqual([expect.objectContaining({ internal: 8080, external: 9090, ip: '127.0.0.1' })]);
  });
});

describe('a streaming job against an existing Spark cluster, with and without its secret', () => {
  const synthDriver = (authenticationSecret?: (stack: TerraformStack) => string): PlanResource => {
    const stack = new TerraformStack(Testing.app(), 'job');
    new DockerProvider(stack, 'Docker', {});
    const network = new PlatformNetwork(stack, 'Network', { name: 'net' });
    const cluster = SparkCluster.fromExisting(stack, 'SparkImage', {
      masterUrl: 'spark://spark.internal:7077', checkpointsVolumeName: 'shared', maxExecutorMemoryMiB: 4096, totalCores: 4,
      authenticationSecret: authenticationSecret?.(stack),
    });
    new SparkStreamingJob(stack, 'Job', { network, cluster, cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {} });
    const [driver] = Object.values((JSON.parse(Testing.synth(stack, true)) as { resource: { docker_container: Record<string, PlanResource> } }).resource.docker_container);
    return driver;
  };

  test('given the cluster\'s secret (a sensitive variable), the driver reads it from the properties file', () => {
    const driver = synthDriver((stack) => new TerraformVariable(stack, 'spark_secret', { type: 'string', sensitive: true }).stringValue);
    expect(propertiesOf(driver, SPARK_JOB_PROPERTIES)).toBe(
      'spark.authenticate=true\nspark.authenticate.secret=${var.spark_secret}\nspark.cassandra.auth.password=pipeline-password\n' +
        'spark.cassandra.auth.username=pipeline\nspark.pipeline.kafka.password=stream-password\nspark.pipeline.kafka.username=stream\n' +
          'spark.pipeline.schemaRegistry.password=reader-password\nspark.pipeline.schemaRegistry.username=reader\nspark.ui.killEnabled=false\n',
    );
    expect(driver.command).toEqual(expect.arrayContaining(['--properties-file', SPARK_JOB_PROPERTIES]));
  });

  test('without one, the driver presents none: its properties file holds the Cassandra, Kafka and registry logins alone', () => {
    const driver = synthDriver();
    expect(propertiesOf(driver, SPARK_JOB_PROPERTIES)).toBe('spark.cassandra.auth.password=pipeline-password\nspark.cassandra.auth.username=pipeline\n' +
      'spark.pipeline.kafka.password=stream-password\nspark.pipeline.kafka.username=stream\n' +
      'spark.pipeline.schemaRegistry.password=reader-password\nspark.pipeline.schemaRegistry.username=reader\n');
  });
});
