import { profileSizes } from '../../constructs';
import { addressOf, dependenciesOf, type PlanResource, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

// KRaft mode (kafkaMetadata 'kraft'): no ZooKeeper; the first min(3, brokers) brokers are also the controllers; each
// node formats its log at its first start; the brokers check their own login against their JAAS file (PLAIN), so the
// clients' access job writes every SCRAM credential and rule through the Admin API once they serve. And the profile
// switch, whose 'replicated' profile runs it.
const SECRETS = '/var/lib/kafka-pipelining/secrets';
const PLAN = '/run/kafka-pipelining/kafka-access';
const uploadOf = (plan: SynthesizedPlan, name: string, file: string): string => {
  const found = (plan.container(name).upload as PlanResource[]).find((u) => u.file === file || u.file.endsWith(`/${file}`));
  if (!found) throw new Error(`${name} has no upload ${file}`);
  return found.content as string;
};
const propertiesOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(uploadOf(plan, name, 'server.properties').trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
const names = (plan: SynthesizedPlan): string[] => plan.containers().map((c) => c.name as string).sort();

const kraft = synthPlatform({ kafkaMetadata: 'kraft', kafkaBrokers: 5 });
const passwordOf = (id: string) => {
  const [address] = Object.keys(kraft.resourcesOfType('random_password')).filter((a) => a.startsWith(`Platform_Kafka_${id}_`));
  return `\${random_password.${address}.result}`;
};

describe('KRaft mode', () => {
  test('no ZooKeeper and no Control Center (it needs one) run; five brokers, the access jobs', () => {
    expect(names(kraft).filter((n) => /zookeeper|control-center|kafka/.test(n))).toEqual([
      'kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-4', 'kp-kafka-5', 'kp-kafka-access', 'kp-kafka-client-access',
    ]);
  });

  test('the first three brokers are the controllers, the quorum\'s voters, on a CONTROLLER listener without SASL', () => {
    const voters = '1@kp-kafka:29093,2@kp-kafka-2:29093,3@kp-kafka-3:29093';
    const clientListeners = 'INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092';
    for (const [name, id, roles, listeners] of [
      ['kp-kafka', '1', 'broker,controller', `${clientListeners},CONTROLLER://0.0.0.0:29093`],
      ['kp-kafka-3', '3', 'broker,controller', `${clientListeners},CONTROLLER://0.0.0.0:29093`],
      ['kp-kafka-4', '4', 'broker', clientListeners],
    ]) {
      const properties = propertiesOf(kraft, name);
      expect({ name, ...properties }).toEqual(expect.objectContaining({
        name, 'node.id': id, 'process.roles': roles, listeners, 'controller.quorum.voters': voters, 'controller.listener.names': 'CONTROLLER',
        'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      }));
      expect(properties['zookeeper.connect']).toBeUndefined();
      expect(properties['broker.id']).toBeUndefined();
    }
  });

  test('clients log in with SCRAM on both listeners; the brokers with PLAIN on INTERNAL alone; StandardAuthorizer, ANONYMOUS (the quorum) a super user', () => {
    expect(propertiesOf(kraft, 'kp-kafka-2')).toEqual(expect.objectContaining({
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.internal.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'inter.broker.listener.name': 'INTERNAL',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:broker;User:admin;User:ANONYMOUS',
    }));
  });

  test('each node formats its log with the cluster\'s generated id at its first start, then starts; the JAAS file from the secrets volume', () => {
    const [clusterId, ...others] = Object.keys(kraft.resourcesOfType('random_id'));
    expect(others).toEqual([]);
    expect(kraft.resourcesOfType('random_id')[clusterId].byte_length).toBe(16);
    const command = kraft.container('kp-kafka-4').command as string[];
    expect(command.slice(-4)).toEqual(['bash', '/opt/kafka-pipelining/kafka-kraft-start.sh', '/etc/kafka-pipelining/server.properties', `\${random_id.${clusterId}.b64_url}`]);
    expect(command[1]).toContain(`-Djava.security.auth.login.config=${SECRETS}/broker-jaas.conf`);
    expect(command[1]).not.toContain('zookeeper');
    expect((kraft.container('kp-kafka-4').upload as PlanResource[]).map((u) => u.file)).toContain('/opt/kafka-pipelining/kafka-kraft-start.sh');
  });

  test('the broker job writes the brokers\' files alone: a JAAS file that checks their PLAIN login and serves SCRAM, and PLAIN client properties', () => {
    const job = kraft.container('kp-kafka-access');
    expect(job.command).toEqual(['bash', '/opt/kafka-pipelining/kafka-access.sh', 'broker-files', '-', PLAN, SECRETS]);
    expect((job.upload as PlanResource[]).map((u) => u.file)).not.toContain(`${PLAN}/credentials`);
    const password = passwordOf('BrokerPassword');
    expect(uploadOf(kraft, 'kp-kafka-access', `${PLAN}/broker/broker-jaas.conf`)).toBe(
      'KafkaServer {\n  org.apache.kafka.common.security.plain.PlainLoginModule required\n' +
      `  username="broker"\n  password="${password}"\n  user_broker="${password}";\n` +
      '  org.apache.kafka.common.security.scram.ScramLoginModule required;\n};\n',
    );
    expect(uploadOf(kraft, 'kp-kafka-access', `${PLAN}/broker/client.properties`)).toBe(
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${password}";\nsasl.mechanism=PLAIN\nsecurity.protocol=SASL_PLAINTEXT\n`,
    );
    expect(dependenciesOf(kraft, 'kp-kafka')).toContain(addressOf(kraft, 'kp-kafka-access'));
  });

  test('the clients\' job writes every credential and rule through the Admin API of every broker, as the brokers\' own login, once they serve', () => {
    const job = kraft.container('kp-kafka-client-access');
    const brokers = ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-4', 'kp-kafka-5'];
    expect(job.command).toEqual(['bash', '/opt/kafka-pipelining/kafka-access.sh', 'clients-admin', brokers.map((b) => `\${${addressOf(kraft, b)}.name}:29092`).join(','), PLAN, SECRETS]);
    expect(uploadOf(kraft, 'kp-kafka-client-access', `${PLAN}/admin.properties`)).toContain(`username="broker" password="${passwordOf('BrokerPassword')}"`);
    expect(uploadOf(kraft, 'kp-kafka-client-access', `${PLAN}/credentials`).split('\n')[0]).toBe(`producer ${passwordOf('ProducerPassword')}`);
    for (const broker of brokers) expect(dependenciesOf(kraft, 'kp-kafka-client-access')).toContain(addressOf(kraft, broker));
    // Every client waits for it through the gate.
    const [[, readiness]] = Object.entries(kraft.resourcesOfType('terraform_data'));
    expect(readiness.depends_on).toContain(addressOf(kraft, 'kp-kafka-client-access'));
    expect(dependenciesOf(kraft, 'kp-schema-registry')).toContain(addressOf(kraft, 'kp-kafka-client-access'));
  });

  test('a single KRaft broker is its own quorum', () => {
    const single = synthPlatform({ kafkaMetadata: 'kraft', controlCenter: false });
    expect(propertiesOf(single, 'kp-kafka')).toEqual(expect.objectContaining({
      'process.roles': 'broker,controller', 'controller.quorum.voters': '1@kp-kafka:29093', 'min.insync.replicas': '1', 'default.replication.factor': '1',
    }));
  });

  test.each([
    [{ kafkaMetadata: 'kraft', controlCenter: true }, "controlCenter needs a ZooKeeper, and kafkaMetadata 'kraft' runs none: set controlCenter to false"],
    [{ kafkaMetadata: 'kraft', memoryMiB: { zookeeper: 512 } }, "memoryMiB.zookeeper is for ZooKeeper, which does not run when kafkaMetadata is 'kraft': leave it unset"],
    [{ kafkaMetadata: 'raft' }, "kafkaMetadata must be one of 'zookeeper', 'kraft', got 'raft'"],
  ])('%j is refused: %s', (props, message) => {
    expect(() => synthPlatform(props as never)).toThrow(message);
  });
});

describe('dedicated KRaft controllers (kafkaControllers: dedicated)', () => {
  const dedicated = synthPlatform({ kafkaMetadata: 'kraft', kafkaBrokers: 4, kafkaControllers: 'dedicated', memoryMiB: { kafkaController: 640 } });
  const voters = '101@kp-kafka-controller-1:29093,102@kp-kafka-controller-2:29093,103@kp-kafka-controller-3:29093';

  test('three controllers of their own beside four brokers, each with its own log volume and memory limit', () => {
    expect(names(dedicated).filter((n) => /kafka/.test(n))).toEqual([
      'kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-4', 'kp-kafka-access', 'kp-kafka-client-access',
      'kp-kafka-controller-1', 'kp-kafka-controller-2', 'kp-kafka-controller-3',
    ]);
    const controller = dedicated.container('kp-kafka-controller-2');
    expect(controller.memory).toBe(640);
    expect((controller.env as string[])).toContain('KAFKA_HEAP_OPTS=-Xms320m -Xmx320m');
    expect((controller.volumes as PlanResource[]).map((v) => v.container_path)).toEqual(['/var/lib/kafka/data']);
    expect(Object.values(dedicated.resourcesOfType('docker_volume')).map((v) => v.name)).toContain('kp-kafka-controller-2-data');
    expect(controller.ports ?? []).toEqual([]);
  });

  test('a controller is a voter alone: the CONTROLLER listener without SASL, no client listener, the authorizer and super users of every node', () => {
    expect(propertiesOf(dedicated, 'kp-kafka-controller-3')).toEqual({
      'node.id': '103',
      'process.roles': 'controller',
      listeners: 'CONTROLLER://0.0.0.0:29093',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.voters': voters,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:broker;User:admin;User:ANONYMOUS',
      'log.dirs': '/var/lib/kafka/data',
    });
    // It formats its log with the cluster's id, like every node, and is healthy once the quorum has a leader it reaches.
    const [clusterId] = Object.keys(dedicated.resourcesOfType('random_id'));
    expect((dedicated.container('kp-kafka-controller-1').command as string[]).slice(-4))
      .toEqual(['bash', '/opt/kafka-pipelining/kafka-kraft-start.sh', '/etc/kafka-pipelining/server.properties', `\${random_id.${clusterId}.b64_url}`]);
    expect((dedicated.container('kp-kafka-controller-1').healthcheck as PlanResource).test)
      .toEqual(['CMD', 'kafka-metadata-quorum', '--bootstrap-controller', 'localhost:29093', 'describe', '--status']);
  });

  test('every broker is a broker alone, pointed at the controllers, with no CONTROLLER listener', () => {
    for (const name of ['kp-kafka', 'kp-kafka-4']) {
      const properties = propertiesOf(dedicated, name);
      expect({ name, ...properties }).toEqual(expect.objectContaining({
        name, 'process.roles': 'broker', 'controller.quorum.voters': voters, listeners: 'INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092',
        'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      }));
    }
  });

  test('every client waits for the controllers too, through the readiness gate', () => {
    const [[, readiness]] = Object.entries(dedicated.resourcesOfType('terraform_data'));
    for (const controller of ['kp-kafka-controller-1', 'kp-kafka-controller-2', 'kp-kafka-controller-3']) {
      expect(readiness.depends_on).toContain(addressOf(dedicated, controller));
      expect(dependenciesOf(dedicated, 'kp-schema-registry')).toContain(addressOf(dedicated, controller));
    }
  });

  test('one broker gets one dedicated controller', () => {
    const small = synthPlatform({ kafkaMetadata: 'kraft', kafkaControllers: 'dedicated', controlCenter: false });
    expect(names(small).filter((n) => /controller/.test(n))).toEqual(['kp-kafka-controller-1']);
    expect(propertiesOf(small, 'kp-kafka')['controller.quorum.voters']).toBe('101@kp-kafka-controller-1:29093');
  });

  test.each([
    [{ kafkaControllers: 'dedicated' }, "kafkaControllers must be unset with metadata 'zookeeper': ZooKeeper is the controller's store"],
    [{ kafkaMetadata: 'kraft', kafkaControllers: 'separate', controlCenter: false }, "kafkaControllers must be one of 'combined', 'dedicated', got 'separate'"],
    [{ kafkaMetadata: 'kraft', memoryMiB: { kafkaController: 640 }, controlCenter: false }, "memoryMiB.kafkaController must be unset unless controllers is 'dedicated'"],
    [{ kafkaMetadata: 'kraft', kafkaControllers: 'dedicated', memoryMiB: { kafkaController: 256 }, controlCenter: false }, 'memoryMiB.kafkaController'],
  ])('%j is refused: %s', (props, message) => {
    expect(() => synthPlatform(props as never)).toThrow(message);
  });
});

describe('the profile switch', () => {
  const replicated = synthPlatform({ profile: 'replicated' });

  test("'replicated': 3 brokers in KRaft mode, 3 Cassandra nodes, 2 Spark workers; no ZooKeeper, no Control Center", () => {
    expect(names(replicated).filter((n) => /kafka|cassandra|spark-worker|zookeeper|control-center/.test(n))).toEqual([
      'kp-cassandra', 'kp-cassandra-2', 'kp-cassandra-3', 'kp-cassandra-roles', 'kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-kafka-access', 'kp-kafka-client-access',
      'kp-spark-worker-1', 'kp-spark-worker-2',
    ]);
    expect(propertiesOf(replicated, 'kp-kafka-2')).toEqual(expect.objectContaining({ 'process.roles': 'broker,controller', 'min.insync.replicas': '2', 'default.replication.factor': '3' }));
  });

  test("'replicated' fits one 24 GiB host: smaller limits per node, under 20 GiB in all", () => {
    const memory = (name: string) => replicated.container(name).memory as number;
    expect(['kp-kafka', 'kp-kafka-3'].map(memory)).toEqual([1024, 1024]);
    expect(['kp-cassandra', 'kp-cassandra-3'].map(memory)).toEqual([1536, 1536]);
    expect(['kp-spark-worker-1', 'kp-spark-worker-2'].map(memory)).toEqual([1536, 1536]);
    const services = replicated.containers().filter((c) => c.must_run !== false);
    expect(services.reduce((sum, c) => sum + (c.memory as number), 0)).toBeLessThan(20 * 1024);
  });

  test('every prop given overrides its profile value', () => {
    const plan = synthPlatform({ profile: 'replicated', kafkaBrokers: 1, kafkaMetadata: 'zookeeper', cassandraNodes: 1, memoryMiB: { kafka: 2048 } });
    expect(names(plan).filter((n) => /kafka|cassandra|zookeeper/.test(n))).toEqual([
      'kp-cassandra', 'kp-cassandra-roles', 'kp-kafka', 'kp-kafka-access', 'kp-kafka-client-access', 'kp-zookeeper',
    ]);
    expect(plan.container('kp-kafka').memory).toBe(2048);
    expect(plan.container('kp-spark-worker-2').memory).toBe(1536);
  });

  test("'single', the default, is today's platform", () => {
    expect(profileSizes('single')).toEqual({ kafkaBrokers: 1, kafkaMetadata: 'zookeeper', cassandraNodes: 1, sparkWorkers: 1, memoryMiB: {} });
    expect(synthPlatform({ profile: 'single' }).text).toBe(synthPlatform().text);
  });

  test('an unknown profile is refused, naming the prop and the profiles', () => {
    expect(() => synthPlatform({ profile: 'huge' as never })).toThrow("profile must be one of 'single', 'replicated', got 'huge'");
  });
});
