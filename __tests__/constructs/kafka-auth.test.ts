import { kafkaAclCommands, kafkaAcls } from '../../constructs/kafka-acls';
import { addressOf, dependenciesOf, synthPlatform, type PlanResource } from '../helpers/synth';

// Kafka authenticates every client (SASL/SCRAM-SHA-512 on every listener) and authorizes each request (ACLs, no ACL
// means denied): a user per client with its own generated password, applied to ZooKeeper by the kafka-access jobs,
// the broker's own before the broker starts, the clients' beside its start and before any client connects.
const plan = synthPlatform();
const passwordOf = (id: string) => {
  const [address] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith(`Platform_Kafka_${id}_`));
  if (!address) throw new Error(`no generated password Platform_Kafka_${id}`);
  return `\${random_password.${address}.result}`;
};
const upload = (name: string, file: string): PlanResource => {
  const found = (plan.container(name).upload as PlanResource[]).find((u) => u.file === file);
  if (!found) throw new Error(`${name} has no upload ${file}`);
  return found;
};
const envOf = (name: string): Record<string, string> => Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const brokerProperties = (): Record<string, string> => Object.fromEntries(
  (upload('kp-kafka', '/etc/kafka-pipelining/server.properties').content as string).trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)),
);
const SECRETS = '/var/lib/kafka-pipelining/secrets';
const PLAN = '/run/kafka-pipelining/kafka-access';

describe('the ACLs: each client only its job', () => {
  test('the rules per principal, exactly', () => {
    expect(kafkaAcls({ topic: 'signups', dlqTopic: 'signups.dead' })).toEqual([
      { user: 'producer', resource: 'topic', name: 'signups', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'producer', resource: 'topic', name: 'signups.dead', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'producer', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['IdempotentWrite'] },
      { user: 'stream', resource: 'topic', name: 'signups', pattern: 'literal', operations: ['Read', 'Describe'] },
      { user: 'stream', resource: 'topic', name: 'signups.dead', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'stream', resource: 'group', name: 'spark-kafka-source-', pattern: 'prefixed', operations: ['Read', 'Describe'] },
      { user: 'stream', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['IdempotentWrite'] },
      { user: 'bootstrap', resource: 'topic', name: 'signups', pattern: 'literal', operations: ['Create', 'Alter', 'Describe', 'DescribeConfigs'] },
      { user: 'bootstrap', resource: 'topic', name: 'signups.dead', pattern: 'literal', operations: ['Create', 'Alter', 'Describe', 'DescribeConfigs'] },
      { user: 'monitoring', resource: 'topic', name: 'signups', pattern: 'literal', operations: ['Read', 'Describe'] },
      { user: 'monitoring', resource: 'topic', name: 'signups.dead', pattern: 'literal', operations: ['Read', 'Describe'] },
      { user: 'monitoring', resource: 'group', name: 'pipeline-', pattern: 'prefixed', operations: ['Read', 'Describe'] },
      { user: 'schema-registry', resource: 'topic', name: '_schemas', pattern: 'prefixed', operations: ['Read', 'Write', 'Describe', 'Create', 'DescribeConfigs'] },
      { user: 'schema-registry', resource: 'group', name: 'schema-registry', pattern: 'prefixed', operations: ['Read', 'Describe'] },
      { user: 'schema-registry', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['IdempotentWrite'] },
    ]);
  });

  test('no rule writes the users topic but the producer\'s; none reads it but the stream\'s and the read-only user\'s', () => {
    const acls = kafkaAcls({ topic: 'users_created', dlqTopic: 'users_created.dlq' });
    const on = (operation: string) => acls.filter((a) => a.resource === 'topic' && a.name === 'users_created' && a.operations.includes(operation as never)).map((a) => a.user);
    expect(on('Write')).toEqual(['producer']);
    expect(on('Read')).toEqual(['stream', 'monitoring']);
    expect(on('Create')).toEqual(['bootstrap']);
  });

  test('kafka-acls calls: principal, operations, resources and their pattern type; rules that differ only in the name, then only in the principal, share a call', () => {
    expect(kafkaAclCommands([
      { user: 'stream', resource: 'group', name: 'spark-kafka-source-', pattern: 'prefixed', operations: ['Read', 'Describe'] },
      { user: 'producer', resource: 'topic', name: 'a', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'producer', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['IdempotentWrite'] },
      { user: 'producer', resource: 'topic', name: 'b', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'producer', resource: 'topic', name: 'c', pattern: 'prefixed', operations: ['Write', 'Describe'] },
      { user: 'producer', resource: 'topic', name: 'd', pattern: 'literal', operations: ['Write'] },
      { user: 'stream', resource: 'topic', name: 'a', pattern: 'literal', operations: ['Write', 'Describe'] },
      { user: 'stream', resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations: ['IdempotentWrite'] },
    ])).toEqual([
      ['--allow-principal', 'User:stream', '--operation', 'Read', '--operation', 'Describe', '--group', 'spark-kafka-source-', '--resource-pattern-type', 'prefixed'],
      ['--allow-principal', 'User:producer', '--operation', 'Write', '--operation', 'Describe', '--topic', 'a', '--topic', 'b', '--resource-pattern-type', 'literal'],
      // The same rule for two principals; not the producer's and the stream's Write on 'a': the producer's is on 'b' too.
      ['--allow-principal', 'User:producer', '--allow-principal', 'User:stream', '--operation', 'IdempotentWrite', '--cluster', '--resource-pattern-type', 'literal'],
      ['--allow-principal', 'User:producer', '--operation', 'Write', '--operation', 'Describe', '--topic', 'c', '--resource-pattern-type', 'prefixed'],
      ['--allow-principal', 'User:producer', '--operation', 'Write', '--topic', 'd', '--resource-pattern-type', 'literal'],
      ['--allow-principal', 'User:stream', '--operation', 'Write', '--operation', 'Describe', '--topic', 'a', '--resource-pattern-type', 'literal'],
    ]);
  });
});

describe('the broker', () => {
  test('every listener, the inter-broker one included, is SASL_PLAINTEXT with SCRAM-SHA-512; everything is authorized', () => {
    expect(brokerProperties()).toEqual(expect.objectContaining({
      listeners: 'INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092',
      'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:broker;User:admin',
    }));
    // Every listener is in the map, and every entry of the map is SASL.
    const properties = brokerProperties();
    const protocols = new Map(properties['listener.security.protocol.map'].split(',').map((entry) => entry.split(':') as [string, string]));
    const names = properties.listeners.split(',').map((listener) => listener.split('://')[0]);
    expect(names.map((name) => protocols.get(name))).toEqual(['SASL_PLAINTEXT', 'SASL_PLAINTEXT']);
  });

  test('its own login comes from a JAAS file on the secrets volume (read-only), named in the server\'s options alone', () => {
    const broker = plan.container('kp-kafka');
    const options = (broker.command as string[]).find((word) => word.startsWith('KAFKA_OPTS='));
    expect(options).toContain(`-Djava.security.auth.login.config=${SECRETS}/broker-jaas.conf`);
    expect(options).toContain('-Dzookeeper.sasl.client=false');
    expect(broker.volumes).toEqual(expect.arrayContaining([
      { container_path: SECRETS, read_only: true, volume_name: expect.stringContaining('Platform_Kafka_Secrets_Volume') },
    ]));
    expect(JSON.stringify(broker)).not.toContain('random_password');
  });

  test('the health check logs in with the client properties on the secrets volume, every 3 s', () => {
    const broker = plan.container('kp-kafka');
    expect(broker.healthcheck.test).toEqual(['CMD', 'bash', '/opt/kafka-pipelining/kafka-health.sh', '29092', `${SECRETS}/client.properties`]);
    expect(broker.healthcheck.interval).toBe('3s');
    // As patient as before: 50 failed checks 3 s apart, after 30 s of start.
    expect(broker.healthcheck.retries).toBe(50);
    expect(broker.upload.map((u: { file: string }) => u.file)).toContain('/opt/kafka-pipelining/kafka-health.sh');
  });

  test('starts after the kafka-access job, which starts after ZooKeeper; the clients\' job does not hold it back', () => {
    expect(dependenciesOf(plan, 'kp-kafka')).toContain(addressOf(plan, 'kp-kafka-access'));
    expect(dependenciesOf(plan, 'kp-kafka')).not.toContain(addressOf(plan, 'kp-kafka-client-access'));
    expect(dependenciesOf(plan, 'kp-kafka-access')).toContain(addressOf(plan, 'kp-zookeeper'));
    expect(dependenciesOf(plan, 'kp-kafka-client-access')).toContain(addressOf(plan, 'kp-zookeeper'));
  });

  test('every client connects only once the broker is healthy and the clients\' logins and rules are in place', () => {
    const [ready, ...others] = Object.entries(plan.resourcesOfType('terraform_data'));
    expect(others).toEqual([]);
    const [address, readiness] = ready;
    expect(readiness.depends_on).toEqual([addressOf(plan, 'kp-kafka'), addressOf(plan, 'kp-kafka-client-access')]);
    expect(readiness.input).toEqual({ bootstrapServers: `\${${addressOf(plan, 'kp-kafka')}.name}:29092` });
    const servers = `\${terraform_data.${address}.output["bootstrapServers"]}`;
    expect(upload('kp-schema-registry', '/etc/kafka-pipelining/schema-registry.properties').content).toContain(`kafkastore.bootstrap.servers=SASL_PLAINTEXT://${servers}\n`);
    for (const client of ['kp-bootstrap', 'kp-pipeline-metrics']) expect(envOf(client).PIPELINE_KAFKA_BOOTSTRAP_SERVERS).toBe(servers);
  });
});

describe('the kafka-access jobs', () => {
  test('upsert a SCRAM credential per user from a file readable by root alone: the broker\'s own before it starts, the clients\' beside', () => {
    const broker = upload('kp-kafka-access', `${PLAN}/credentials`);
    expect(broker.permissions).toBe('0600');
    expect(broker.content).toBe(`broker ${passwordOf('BrokerPassword')}\n`);
    const clients = upload('kp-kafka-client-access', `${PLAN}/credentials`);
    expect(clients.permissions).toBe('0600');
    expect(clients.content).toBe([
      `producer ${passwordOf('ProducerPassword')}`,
      `stream ${passwordOf('StreamPassword')}`,
      `bootstrap ${passwordOf('BootstrapPassword')}`,
      `monitoring ${passwordOf('MonitoringPassword')}`,
      `schema-registry ${passwordOf('SchemaRegistryPassword')}`,
      `admin ${passwordOf('AdminPassword')}`,
    ].map((line) => `${line}\n`).join(''));
  });

  test('the clients\' job adds the ACLs of the topics the pipeline settings name, every rule of kafkaAcls', () => {
    const renamed = synthPlatform({ pipeline: { topic: 'signups' } });
    const acls = (renamed.container('kp-kafka-client-access').upload as PlanResource[]).find((u) => u.file === `${PLAN}/acls`)!;
    expect(acls.permissions).toBe('0600');
    expect(acls.content).toBe(kafkaAclCommands(kafkaAcls({ topic: 'signups', dlqTopic: 'signups.dlq' })).map((args) => `${args.join(' ')}\n`).join(''));
    expect((acls.content as string).split('\n')).toEqual(expect.arrayContaining([
      '--allow-principal User:producer --operation Write --operation Describe --topic signups --topic signups.dlq --resource-pattern-type literal',
      '--allow-principal User:stream --operation Write --operation Describe --topic signups.dlq --resource-pattern-type literal',
    ]));
    expect(acls.content).not.toContain('users_created');
    expect((renamed.container('kp-kafka-access').upload as PlanResource[]).map((u) => u.file)).not.toContain(`${PLAN}/acls`);
  });

  test("the broker's job writes its JAAS file and client properties onto the secrets volume; both run as root, with the script's arguments only", () => {
    const zookeeper = `\${${addressOf(plan, 'kp-zookeeper')}.name}:2181`;
    for (const [name, mode] of [['kp-kafka-access', 'broker'], ['kp-kafka-client-access', 'clients']]) {
      const job = plan.container(name);
      expect(job.user).toBe('0');
      expect(job.command).toEqual(['bash', '/opt/kafka-pipelining/kafka-access.sh', mode, zookeeper, PLAN, SECRETS]);
      expect(job.env ?? []).toEqual([]);
    }
    expect(upload('kp-kafka-access', `${PLAN}/broker/broker-jaas.conf`)).toEqual(expect.objectContaining({
      permissions: '0600',
      content: `KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required\n  username="broker"\n  password="${passwordOf('BrokerPassword')}";\n};\n`,
    }));
    expect(upload('kp-kafka-access', `${PLAN}/broker/client.properties`).content).toBe(
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="' + passwordOf('BrokerPassword') + '";\n' +
      'sasl.mechanism=SCRAM-SHA-512\nsecurity.protocol=SASL_PLAINTEXT\n',
    );
    const mounting = plan.containers().filter((c) => JSON.stringify(c.volumes ?? []).includes('Platform_Kafka_Secrets')).map((c) => c.name).sort();
    expect(mounting).toEqual(['kp-kafka', 'kp-kafka-access']);
  });
});

describe('each client gets its own login', () => {
  test('the DAG\'s tasks: the producer\'s, in the scheduler alone (tasks run there); the DAG file reads none', () => {
    expect(envOf('kp-airflow-scheduler')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'producer', PIPELINE_KAFKA_PASSWORD: passwordOf('ProducerPassword') }));
    expect(envOf('kp-airflow-dag-processor').PIPELINE_KAFKA_PASSWORD).toBeUndefined();
  });

  test('the bootstrap job its own; pipeline-metrics the read-only one', () => {
    expect(envOf('kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'bootstrap', PIPELINE_KAFKA_PASSWORD: passwordOf('BootstrapPassword') }));
    expect(envOf('kp-pipeline-metrics')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'monitoring', PIPELINE_KAFKA_PASSWORD: passwordOf('MonitoringPassword') }));
  });

  test('the Spark job: the stream user, in its properties file only', () => {
    const properties = upload('kp-spark-job', '/opt/kafka-pipelining/spark-job.conf').content as string;
    expect(properties).toContain(`spark.pipeline.kafka.password=${passwordOf('StreamPassword')}\nspark.pipeline.kafka.username=stream\n`);
    expect(JSON.stringify([plan.container('kp-spark-job').env, plan.container('kp-spark-job').command])).not.toContain('Kafka_StreamPassword');
  });

  test("the schema registry and Control Center: in their properties files", () => {
    const registry = upload('kp-schema-registry', '/etc/kafka-pipelining/schema-registry.properties').content as string;
    expect(registry).toContain('kafkastore.bootstrap.servers=SASL_PLAINTEXT://');
    expect(registry).toContain(`kafkastore.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="schema-registry" password="${passwordOf('SchemaRegistryPassword')}";\n`);
    expect(registry).toContain('kafkastore.security.protocol=SASL_PLAINTEXT\n');
    const controlCenter = upload('kp-control-center', '/etc/kafka-pipelining/control-center.properties').content as string;
    expect(controlCenter).toContain(`confluent.controlcenter.streams.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${passwordOf('AdminPassword')}";\n`);
    expect(controlCenter).toContain('confluent.controlcenter.streams.security.protocol=SASL_PLAINTEXT\n');
  });

  test('no Kafka password in any container\'s environment or command but the job variables the README lists', () => {
    const inEnvironment = plan.containers().flatMap((c) => (c.env ?? [] as string[])
      .filter((e: string) => e.includes('random_password.Platform_Kafka_'))
      .map((e: string) => `${c.name as string} ${e.split('=')[0]}`)).sort();
    expect(inEnvironment).toEqual([
      'kp-airflow-scheduler PIPELINE_KAFKA_PASSWORD',
      'kp-bootstrap PIPELINE_KAFKA_PASSWORD',
      'kp-pipeline-metrics PIPELINE_KAFKA_PASSWORD',
    ]);
    const inCommand = plan.containers().filter((c) => JSON.stringify([c.command, c.healthcheck, c.labels]).includes('random_password.Platform_Kafka_')).map((c) => c.name);
    expect(inCommand).toEqual([]);
  });

  test('each password reaches the containers that log in with it, and no other', () => {
    const holders = (id: string) => plan.containers().filter((c) => JSON.stringify(c).includes(`Platform_Kafka_${id}_`)).map((c) => c.name).sort();
    expect(holders('BrokerPassword')).toEqual(['kp-kafka-access']);
    expect(holders('ProducerPassword')).toEqual(['kp-airflow-scheduler', 'kp-kafka-client-access']);
    expect(holders('StreamPassword')).toEqual(['kp-kafka-client-access', 'kp-spark-job']);
    expect(holders('BootstrapPassword')).toEqual(['kp-bootstrap', 'kp-kafka-client-access']);
    expect(holders('MonitoringPassword')).toEqual(['kp-kafka-client-access', 'kp-pipeline-metrics']);
    expect(holders('SchemaRegistryPassword')).toEqual(['kp-kafka-client-access', 'kp-schema-registry']);
    expect(holders('AdminPassword')).toEqual(['kp-control-center', 'kp-kafka-client-access']);
  });

  test('the outputs: the producer, read-only and admin logins, passwords sensitive', () => {
    const outputs = plan.json.output;
    expect([outputs.kafka_producer_user.value, outputs.kafka_monitoring_user.value, outputs.kafka_admin_user.value]).toEqual(['producer', 'monitoring', 'admin']);
    expect(outputs.kafka_producer_password).toEqual(expect.objectContaining({ sensitive: true, value: passwordOf('ProducerPassword') }));
    expect(outputs.kafka_monitoring_password).toEqual(expect.objectContaining({ sensitive: true, value: passwordOf('MonitoringPassword') }));
    expect(outputs.kafka_admin_password).toEqual(expect.objectContaining({ sensitive: true, value: passwordOf('AdminPassword') }));
  });
});
