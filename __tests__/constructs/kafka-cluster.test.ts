import { addressOf, dependenciesOf, type PlanResource, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

// The platform's Kafka is a cluster of 1 to 5 brokers (kafkaBrokers) sharing one ZooKeeper, one set of kafka-access
// jobs, one secrets volume and one readiness gate; every partition gets min(3, brokers) copies.
const SECRETS = '/var/lib/kafka-pipelining/secrets';
const uploadOf = (plan: SynthesizedPlan, name: string, file: string): string => {
  const found = (plan.container(name).upload as PlanResource[]).find((u) => u.file.endsWith(`/${file}`));
  if (!found) throw new Error(`${name} has no upload ${file}`);
  return found.content as string;
};
const propertiesOf = (plan: SynthesizedPlan, name: string, file: string): Record<string, string> =>
  Object.fromEntries(uploadOf(plan, name, file).trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
const envOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const brokerNames = (plan: SynthesizedPlan): string[] =>
  plan.containers().filter((c) => c.command?.includes('kafka-server-start')).map((c) => c.name as string).sort();
const REPLICATION_KEYS = [
  'default.replication.factor', 'min.insync.replicas', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor',
  'transaction.state.log.min.isr', 'unclean.leader.election.enable',
];
const replicationOf = (plan: SynthesizedPlan, name: string): Record<string, string> => {
  const properties = propertiesOf(plan, name, 'server.properties');
  return Object.fromEntries(REPLICATION_KEYS.filter((key) => key in properties).map((key) => [key, properties[key]]));
};
const gate = (plan: SynthesizedPlan): [string, PlanResource] => {
  const gates = Object.entries(plan.resourcesOfType('terraform_data'));
  expect(gates).toHaveLength(1);
  return gates[0];
};

// One synth per size: each bundles the jobs and hashes every shipped file.
const plans = new Map([1, 2, 3, 5].map((brokers) => [brokers, brokers === 1 ? synthPlatform() : synthPlatform({ kafkaBrokers: brokers })]));
const sized = (brokers: number): SynthesizedPlan => plans.get(brokers)!;

describe('one broker, the default: the stack deployed before the cluster, unchanged', () => {
  const plan = sized(1);

  test("keeps today's container and data volume, by name and by Terraform address, so a redeploy replaces neither", () => {
    expect(brokerNames(plan)).toEqual(['kp-kafka']);
    // The addresses a deployed stack's state holds: a new address would make Terraform destroy and create the resource.
    expect(addressOf(plan, 'kp-kafka')).toBe('docker_container.Platform_Kafka_Broker_Container_04822C0C');
    expect(plan.resourcesOfType('docker_volume').Platform_Kafka_Data_Volume_87311FB0).toEqual({ name: 'kp-kafka-data' });
    expect(plan.resourcesOfType('docker_volume').Platform_Kafka_Secrets_Volume_79A36AA5).toEqual({ name: 'kp-kafka-secrets' });
    expect(Object.keys(plan.resourcesOfType('terraform_data'))).toEqual(['Platform_Kafka_Ready_4C535A45']);
    expect(Object.values(plan.resourcesOfType('docker_volume')).map((v) => v.name).filter((n) => n.startsWith('kp-kafka')).sort()).toEqual(['kp-kafka-data', 'kp-kafka-secrets']);
  });

  test('broker.id 1, EXTERNAL on 9092 advertised as localhost:9092, and one copy of everything', () => {
    const properties = propertiesOf(plan, 'kp-kafka', 'server.properties');
    expect(properties['broker.id']).toBe('1');
    expect(properties['advertised.listeners']).toBe('INTERNAL://kp-kafka:29092,EXTERNAL://localhost:9092');
    expect(plan.container('kp-kafka').ports).toEqual([{ external: 9092, internal: 9092, ip: '127.0.0.1', protocol: 'tcp' }]);
    // No unclean.leader.election.enable: with one copy there is no other replica to elect, Kafka's default is false
    // already, and the line would change the broker's configuration file, which replaces its container.
    expect(replicationOf(plan, 'kp-kafka')).toEqual({
      'default.replication.factor': '1', 'min.insync.replicas': '1', 'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1',
    });
    expect(plan.json.output.kafka_bootstrap_servers.value).toBe('localhost:9092');
  });
});

describe('three brokers', () => {
  const plan = sized(3);
  const brokers = ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3'];

  test('kp-kafka, kp-kafka-2, kp-kafka-3, each with its own data volume; broker 1 keeps its Terraform addresses', () => {
    expect(brokerNames(plan)).toEqual(brokers);
    const volumes = (name: string) => (plan.container(name).volumes as PlanResource[]).map((v) => [v.container_path, v.volume_name, v.read_only ?? false]);
    const volumeNamed = (name: string) => {
      const [address] = Object.entries(plan.resourcesOfType('docker_volume')).find(([, v]) => v.name === name) ?? [];
      return `\${docker_volume.${address}.name}`;
    };
    for (const name of brokers) {
      expect(volumes(name)).toEqual([
        ['/var/lib/kafka/data', volumeNamed(`${name}-data`), false],
        [SECRETS, volumeNamed('kp-kafka-secrets'), true],
      ]);
    }
    expect(addressOf(plan, 'kp-kafka')).toBe(addressOf(sized(1), 'kp-kafka'));
    expect(volumeNamed('kp-kafka-data')).toBe('${docker_volume.Platform_Kafka_Data_Volume_87311FB0.name}');
  });

  test('broker.id 1 to 3; broker i publishes EXTERNAL on 9092 + i - 1 and advertises that port', () => {
    brokers.forEach((name, index) => {
      const properties = propertiesOf(plan, name, 'server.properties');
      expect(properties['broker.id']).toBe(`${index + 1}`);
      expect(properties['advertised.listeners']).toBe(`INTERNAL://${name}:29092,EXTERNAL://localhost:${9092 + index}`);
      expect(properties.listeners).toBe('INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092');
      expect(plan.container(name).ports).toEqual([{ external: 9092 + index, internal: 9092, ip: '127.0.0.1', protocol: 'tcp' }]);
    });
    const moved = synthPlatform({ kafkaBrokers: 3, ports: { kafka: 19092 }, memoryMiB: { kafka: 1024 } });
    expect(brokers.map((name) => moved.container(name).ports[0].external)).toEqual([19092, 19093, 19094]);
    expect(propertiesOf(moved, 'kp-kafka-3', 'server.properties')['advertised.listeners']).toBe('INTERNAL://kp-kafka-3:29092,EXTERNAL://localhost:19094');
    // memoryMiB.kafka is each broker's.
    expect(brokers.map((name) => moved.container(name).memory)).toEqual([1024, 1024, 1024]);
  });

  test('one set of kafka-access jobs: every broker starts after the broker job and ZooKeeper, none waits for the clients\' job', () => {
    const names = plan.containers().map((c) => c.name as string);
    expect(names.filter((n) => n.includes('access')).sort()).toEqual(['kp-kafka-access', 'kp-kafka-client-access']);
    for (const name of brokers) {
      expect(dependenciesOf(plan, name)).toEqual(expect.arrayContaining([addressOf(plan, 'kp-kafka-access'), addressOf(plan, 'kp-zookeeper')]));
      expect(dependenciesOf(plan, name)).not.toContain(addressOf(plan, 'kp-kafka-client-access'));
    }
    // One secrets volume, written by the broker job, read (read-only) by every broker and nothing else.
    const mounting = plan.containers().filter((c) => JSON.stringify(c.volumes ?? []).includes('Platform_Kafka_Secrets')).map((c) => c.name).sort();
    expect(mounting).toEqual(['kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-access']);
    // Every broker logs in to the others as the one `broker` user, whose password only the broker job holds.
    const holders = plan.containers().filter((c) => JSON.stringify(c).includes('Platform_Kafka_BrokerPassword_')).map((c) => c.name);
    expect(holders).toEqual(['kp-kafka-access']);
  });

  test('the readiness gate waits for every broker and the clients\' job, and hands on every broker\'s address', () => {
    const [address, ready] = gate(plan);
    expect(ready.depends_on).toEqual([...brokers.map((name) => addressOf(plan, name)), addressOf(plan, 'kp-kafka-client-access')]);
    expect(ready.input).toEqual({ bootstrapServers: brokers.map((name) => `\${${addressOf(plan, name)}.name}:29092`).join(',') });
    const servers = `\${terraform_data.${address}.output["bootstrapServers"]}`;
    for (const client of ['kp-bootstrap', 'kp-pipeline-metrics', 'kp-spark-job', 'kp-airflow-scheduler']) expect(envOf(plan, client).PIPELINE_KAFKA_BOOTSTRAP_SERVERS).toBe(servers);
    // Every client waits for all three brokers through it.
    for (const client of ['kp-bootstrap', 'kp-schema-registry', 'kp-spark-job']) {
      expect(dependenciesOf(plan, client)).toEqual(expect.arrayContaining([...brokers.map((name) => addressOf(plan, name)), addressOf(plan, 'kp-kafka-client-access')]));
    }
  });

  test('the host\'s bootstrap servers list every broker; Prometheus scrapes each', () => {
    expect(plan.json.output.kafka_bootstrap_servers.value).toBe('localhost:9092,localhost:9093,localhost:9094');
    const config = JSON.parse(plan.stack.platform.monitoring!.prometheus.configuration) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const kafka = config.scrape_configs.find((job) => job.job_name === 'kafka')!;
    expect(kafka.static_configs.flatMap((s) => s.targets)).toEqual(['kp-kafka:9404', 'kp-kafka-2:9404', 'kp-kafka-3:9404']);
  });
});

describe('replication follows the size: min(3, brokers) copies, 2 in sync with 3', () => {
  test.each([
    [1, ['kp-kafka'], { rf: '1', isr: '1', unclean: undefined }],
    [2, ['kp-kafka', 'kp-kafka-2'], { rf: '2', isr: '1', unclean: 'false' }],
    [3, ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3'], { rf: '3', isr: '2', unclean: 'false' }],
    [5, ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-4', 'kp-kafka-5'], { rf: '3', isr: '2', unclean: 'false' }],
  ])('%i broker(s): every broker\'s defaults, the pipeline\'s topics, the registry\'s and Control Center\'s', (brokers, names, { rf, isr, unclean }) => {
    const plan = sized(brokers);
    expect(brokerNames(plan)).toEqual(names);
    for (const name of names) {
      expect(replicationOf(plan, name)).toEqual({
        'default.replication.factor': rf, 'min.insync.replicas': isr, 'offsets.topic.replication.factor': rf,
        'transaction.state.log.replication.factor': rf, 'transaction.state.log.min.isr': isr,
        ...(unclean === undefined ? {} : { 'unclean.leader.election.enable': unclean }),
      });
    }
    expect(plan.stack.platform.kafka.replicationFactor).toBe(Number(rf));
    expect(envOf(plan, 'kp-bootstrap').PIPELINE_TOPIC_REPLICATION).toBe(rf);
    expect(propertiesOf(plan, 'kp-schema-registry', 'schema-registry.properties')['kafkastore.topic.replication.factor']).toBe(rf);
    const controlCenter = propertiesOf(plan, 'kp-control-center', 'control-center.properties');
    expect(Object.fromEntries(Object.entries(controlCenter).filter(([key]) => key.endsWith('.replication')))).toEqual({
      'confluent.controlcenter.command.topic.replication': rf,
      'confluent.controlcenter.internal.topics.replication': rf,
      'confluent.metrics.topic.replication': rf,
      'confluent.monitoring.interceptor.topic.replication': rf,
    });
  });

  test('the topic replication reaches only the bootstrap job, which creates the topics', () => {
    const plan = sized(3);
    const holders = plan.containers().filter((c) => (c.env ?? []).some((e: string) => e.startsWith('PIPELINE_TOPIC_REPLICATION='))).map((c) => c.name);
    expect(holders).toEqual(['kp-bootstrap']);
  });
});
