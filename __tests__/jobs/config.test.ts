import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cassandra from 'cassandra-driver';
import { driverConsistency } from '../../jobs/lib/clients';
import { CASSANDRA_CONSISTENCY_LEVELS } from '../../jobs/lib/consistency';
import { ConfigError, loadBootstrapConfig, loadPipelineConfig, type Env } from '../../jobs/lib/config';

const SCRIPT_DIR = '/opt/job';
const DSN = 'postgresql://pipeline:s3cret@postgres:5432/pipeline';

const REQUIRED: Env = {
  PIPELINE_PG_DSN: DSN,
  PIPELINE_KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092',
  PIPELINE_KAFKA_USERNAME: 'bootstrap',
  PIPELINE_KAFKA_PASSWORD: 'kafka-s3cret',
  PIPELINE_SCHEMA_REGISTRY_URL: 'http://schema-registry:8081',
  PIPELINE_SCHEMA_REGISTRY_USERNAME: 'writer',
  PIPELINE_SCHEMA_REGISTRY_PASSWORD: 'registry-s3cret',
  PIPELINE_CASSANDRA_CONTACT_POINTS: 'cassandra:9042',
  PIPELINE_CASSANDRA_USERNAME: 'bootstrap',
  PIPELINE_CASSANDRA_PASSWORD: 'cassandra-s3cret',
};

/** The problems a bootstrap configuration reports, or none. */
function problems(env: Env, load: (e: Env) => unknown = (e) => loadBootstrapConfig(e, SCRIPT_DIR)): readonly string[] {
  try {
    load(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadBootstrapConfig', () => {
  it('applies the documented defaults when only the required variables are set', () => {
    expect(loadBootstrapConfig(REQUIRED, SCRIPT_DIR)).toEqual({
      pgDsn: DSN,
      kafkaBrokers: ['kafka:29092'],
      kafkaLogin: { username: 'bootstrap', password: 'kafka-s3cret' },
      dlqTopic: 'users_created.dlq',
      cassandra: {
        contactPoints: ['cassandra:9042'],
        localDataCenter: 'datacenter1',
        username: 'bootstrap',
        password: 'cassandra-s3cret',
        keyspace: 'spark_streams',
        table: 'created_users',
        consistency: 'LOCAL_ONE',
      },
      topic: 'users_created',
      topicPartitions: 3,
      topicReplication: 1,
      schemaRegistryUrl: 'http://writer:registry-s3cret@schema-registry:8081',
      schemaFile: path.join(SCRIPT_DIR, 'schemas', 'user.avsc'),
      cassandraReplication: 1,
      acceptFewerCassandraReplicas: false,
    });
  });

  it('reads every variable when set', () => {
    const config = loadBootstrapConfig(
      {
        ...REQUIRED,
        PIPELINE_KAFKA_BOOTSTRAP_SERVERS: 'kafka-1:9092, kafka-2:9092',
        PIPELINE_SCHEMA_REGISTRY_URL: 'https://registry.example:8081/',
        PIPELINE_TOPIC: 'users',
        PIPELINE_DLQ_TOPIC: 'users.dead',
        PIPELINE_TOPIC_PARTITIONS: '12',
        PIPELINE_TOPIC_REPLICATION: '3',
        PIPELINE_CASSANDRA_CONTACT_POINTS: 'c1:9042,c2:9043',
        PIPELINE_CASSANDRA_DATACENTER: 'dc-east',
        PIPELINE_CASSANDRA_KEYSPACE: 'ks',
        PIPELINE_CASSANDRA_TABLE: 'people',
        PIPELINE_CASSANDRA_REPLICATION: '2',
        PIPELINE_CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
        PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS: 'true',
        PIPELINE_SCHEMA_FILE: '/etc/user.avsc',
      },
      SCRIPT_DIR,
    );
    expect(config).toMatchObject({
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      schemaRegistryUrl: 'https://writer:registry-s3cret@registry.example:8081',
      topic: 'users',
      dlqTopic: 'users.dead',
      topicPartitions: 12,
      topicReplication: 3,
      cassandra: { contactPoints: ['c1:9042', 'c2:9043'], localDataCenter: 'dc-east', keyspace: 'ks', table: 'people', consistency: 'LOCAL_QUORUM' },
      cassandraReplication: 2,
      acceptFewerCassandraReplicas: true,
      schemaFile: '/etc/user.avsc',
    });
  });

  it('derives the dead-letter topic from the topic unless it is set', () => {
    expect(loadBootstrapConfig({ ...REQUIRED, PIPELINE_TOPIC: 'users' }, SCRIPT_DIR).dlqTopic).toBe('users.dlq');
  });

  it('treats an empty or blank variable as unset', () => {
    const config = loadBootstrapConfig({ ...REQUIRED, PIPELINE_TOPIC: '', PIPELINE_TOPIC_PARTITIONS: '  ' }, SCRIPT_DIR);
    expect(config.topic).toBe('users_created');
    expect(config.topicPartitions).toBe(3);
  });

  it('reports every missing required variable at once, with what it expects', () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^PIPELINE_PG_DSN is required: a postgres:\/\/ or postgresql:\/\/ URL/),
      'PIPELINE_KAFKA_BOOTSTRAP_SERVERS is required: comma-separated host:port pairs, e.g. kafka:29092',
      'PIPELINE_KAFKA_USERNAME is required: a Kafka user name (SCRAM-SHA-512)',
      "PIPELINE_KAFKA_PASSWORD is required: the user's password",
      'PIPELINE_CASSANDRA_CONTACT_POINTS is required: comma-separated host:port pairs, e.g. cassandra:9042',
      'PIPELINE_CASSANDRA_USERNAME is required: a Cassandra role name',
      "PIPELINE_CASSANDRA_PASSWORD is required: the role's password",
      'PIPELINE_SCHEMA_REGISTRY_URL is required: an http:// or https:// URL, e.g. http://schema-registry:8081',
      'PIPELINE_SCHEMA_REGISTRY_USERNAME is required: a user name without ":" (HTTP basic auth), e.g. writer',
      "PIPELINE_SCHEMA_REGISTRY_PASSWORD is required: the registry user's password",
    ]);
  });

  it('puts the registry login into the URL the registry functions take, escaped, and never echoes the password', () => {
    const config = loadBootstrapConfig({ ...REQUIRED, PIPELINE_SCHEMA_REGISTRY_USERNAME: 'w.r-1', PIPELINE_SCHEMA_REGISTRY_PASSWORD: 'p@ss/word' }, SCRIPT_DIR);
    expect(config.schemaRegistryUrl).toBe('http://w.r-1:p%40ss%2Fword@schema-registry:8081');
    const refused = problems({ ...REQUIRED, PIPELINE_SCHEMA_REGISTRY_USERNAME: 'a:b', PIPELINE_SCHEMA_REGISTRY_PASSWORD: ' ' });
    expect(refused).toEqual([
      expect.stringMatching(/^PIPELINE_SCHEMA_REGISTRY_USERNAME .*a user name without ":"/),
      "PIPELINE_SCHEMA_REGISTRY_PASSWORD is required: the registry user's password",
    ]);
  });

  it('throws one ConfigError whose message lists each problem on its own line', () => {
    expect(() => loadBootstrapConfig({ ...REQUIRED, PIPELINE_TOPIC_PARTITIONS: '0', PIPELINE_TOPIC: '' }, SCRIPT_DIR)).toThrow(
      "invalid configuration:\n  - PIPELINE_TOPIC_PARTITIONS is invalid (got '0'): expected a whole number from 1 to 2147483647",
    );
  });

  it.each([
    ['PIPELINE_KAFKA_BOOTSTRAP_SERVERS', 'kafka', 'comma-separated host:port pairs'],
    ['PIPELINE_KAFKA_BOOTSTRAP_SERVERS', 'kafka:0', 'comma-separated host:port pairs'],
    ['PIPELINE_KAFKA_BOOTSTRAP_SERVERS', 'kafka:65536', 'comma-separated host:port pairs'],
    ['PIPELINE_KAFKA_BOOTSTRAP_SERVERS', 'kafka:9092,', 'comma-separated host:port pairs'],
    ['PIPELINE_CASSANDRA_CONTACT_POINTS', 'cassandra 9042', 'comma-separated host:port pairs, e.g. cassandra:9042'],
    ['PIPELINE_SCHEMA_REGISTRY_URL', 'schema-registry:8081', 'an http:// or https:// URL'],
    ['PIPELINE_SCHEMA_REGISTRY_URL', 'ftp://schema-registry', 'an http:// or https:// URL'],
    ['PIPELINE_TOPIC', 'users created', 'a Kafka topic name'],
    ['PIPELINE_TOPIC', '..', 'a Kafka topic name'],
    ['PIPELINE_DLQ_TOPIC', 'x'.repeat(250), 'a Kafka topic name'],
    ['PIPELINE_TOPIC_PARTITIONS', '0', 'a whole number from 1 to 2147483647'],
    ['PIPELINE_TOPIC_PARTITIONS', '1.5', 'a whole number from 1 to 2147483647'],
    ['PIPELINE_TOPIC_PARTITIONS', 'three', 'a whole number from 1 to 2147483647'],
    ['PIPELINE_TOPIC_REPLICATION', '32768', 'a whole number from 1 to 32767'],
    ['PIPELINE_TOPIC_REPLICATION', '-1', 'a whole number from 1 to 32767'],
    ['PIPELINE_CASSANDRA_REPLICATION', '0', 'a whole number from 1 to 2147483647'],
    ['PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS', 'yes', 'true or false'],
    ['PIPELINE_CASSANDRA_CONSISTENCY', 'EACH_QUORUM', 'one of ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM'],
    ['PIPELINE_CASSANDRA_CONSISTENCY', 'local_quorum', 'one of ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM'],
    ['PIPELINE_CASSANDRA_KEYSPACE', 'Spark_Streams', 'a CQL identifier'],
    ['PIPELINE_CASSANDRA_TABLE', '1users', 'a CQL identifier'],
    ['PIPELINE_CASSANDRA_TABLE', 'created-users', 'a CQL identifier'],
  ])('rejects %s=%j, naming the variable, the value and what is allowed', (name, value, allowed) => {
    expect(problems({ ...REQUIRED, [name]: value })).toEqual([
      expect.stringContaining(`${name} is invalid (got '${value}'): expected ${allowed}`),
    ]);
  });

  it.each([
    ['not a URL', 'host=postgres password=s3cret'],
    ['another scheme', 'mysql://pipeline:s3cret@db/pipeline'],
    ['no database', 'postgresql://pipeline:s3cret@postgres:5432'],
    ['no host', 'postgresql:///pipeline?password=s3cret'],
  ])('rejects a PIPELINE_PG_DSN with %s without echoing it', (_case, dsn) => {
    const [problem, ...others] = problems({ ...REQUIRED, PIPELINE_PG_DSN: dsn });
    expect(others).toEqual([]);
    expect(problem).toMatch(/^PIPELINE_PG_DSN is invalid: expected a postgres:\/\/ or postgresql:\/\/ URL naming a database/);
    expect(problem).not.toContain('s3cret');
  });

  it('rejects a dead-letter topic equal to the topic', () => {
    expect(problems({ ...REQUIRED, PIPELINE_TOPIC: 'users', PIPELINE_DLQ_TOPIC: 'users' })).toEqual([
      "PIPELINE_DLQ_TOPIC must differ from PIPELINE_TOPIC (both are 'users')",
    ]);
  });

  it('never echoes the Kafka password', () => {
    expect(problems({ ...REQUIRED, PIPELINE_KAFKA_PASSWORD: '   ' }).join('\n')).toContain('PIPELINE_KAFKA_PASSWORD is required');
    expect(JSON.stringify(problems({ ...REQUIRED, PIPELINE_KAFKA_BOOTSTRAP_SERVERS: 'kafka' }))).not.toContain('kafka-s3cret');
  });

  it('accepts IPv6 and IPv4 host:port pairs', () => {
    const config = loadBootstrapConfig({ ...REQUIRED, PIPELINE_KAFKA_BOOTSTRAP_SERVERS: '[::1]:9092,127.0.0.1:9093' }, SCRIPT_DIR);
    expect(config.kafkaBrokers).toEqual(['[::1]:9092', '127.0.0.1:9093']);
  });
});

describe('a secret in a file, as a swarm mounts it: <NAME>_FILE', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-secret-files-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const { PIPELINE_KAFKA_PASSWORD: _kafka, PIPELINE_PG_DSN: _dsn, ...withoutSecrets } = REQUIRED;

  it('is read when the variable itself is unset, its line break trimmed', () => {
    fs.writeFileSync(path.join(scratch, 'kafka'), 'from-a-file\n');
    fs.writeFileSync(path.join(scratch, 'dsn'), DSN);
    const config = loadBootstrapConfig({ ...withoutSecrets, PIPELINE_KAFKA_PASSWORD_FILE: path.join(scratch, 'kafka'), PIPELINE_PG_DSN_FILE: path.join(scratch, 'dsn') }, SCRIPT_DIR);
    expect(config.kafkaLogin.password).toBe('from-a-file');
    expect(config.pgDsn).toBe(DSN);
  });

  it('gives way to the variable when both are set', () => {
    fs.writeFileSync(path.join(scratch, 'kafka'), 'from-a-file');
    expect(loadBootstrapConfig({ ...REQUIRED, PIPELINE_KAFKA_PASSWORD_FILE: path.join(scratch, 'kafka') }, SCRIPT_DIR).kafkaLogin.password).toBe('kafka-s3cret');
  });

  it('that cannot be read is a problem naming the variable and the file, once', () => {
    const missing = path.join(scratch, 'missing');
    expect(problems({ ...withoutSecrets, PIPELINE_PG_DSN: DSN, PIPELINE_KAFKA_PASSWORD_FILE: missing })).toEqual([
      `PIPELINE_KAFKA_PASSWORD_FILE names ${missing}, which cannot be read (ENOENT)`,
    ]);
  });
});

describe('loadPipelineConfig (verify)', () => {
  it('does not need the Schema Registry nor the bootstrap-only settings', () => {
    const { PIPELINE_SCHEMA_REGISTRY_URL: _unused, ...env } = REQUIRED;
    expect(loadPipelineConfig({ ...env, PIPELINE_TOPIC_PARTITIONS: 'ignored' })).toEqual({
      pgDsn: DSN,
      kafkaBrokers: ['kafka:29092'],
      kafkaLogin: { username: 'bootstrap', password: 'kafka-s3cret' },
      topic: 'users_created',
      dlqTopic: 'users_created.dlq',
      cassandra: {
        contactPoints: ['cassandra:9042'], localDataCenter: 'datacenter1', username: 'bootstrap', password: 'cassandra-s3cret', keyspace: 'spark_streams', table: 'created_users',
        consistency: 'LOCAL_ONE',
      },
    });
  });

  it('reports its missing required variables', () => {
    expect(problems({}, loadPipelineConfig).map((problem) => problem.split(' ')[0])).toEqual([
      'PIPELINE_PG_DSN',
      'PIPELINE_KAFKA_BOOTSTRAP_SERVERS',
      'PIPELINE_KAFKA_USERNAME',
      'PIPELINE_KAFKA_PASSWORD',
      'PIPELINE_CASSANDRA_CONTACT_POINTS',
      'PIPELINE_CASSANDRA_USERNAME',
      'PIPELINE_CASSANDRA_PASSWORD',
    ]);
  });
});

describe('the consistency level reaches the driver', () => {
  it.each([
    ['LOCAL_ONE', cassandra.types.consistencies.localOne],
    ['LOCAL_QUORUM', cassandra.types.consistencies.localQuorum],
    ['QUORUM', cassandra.types.consistencies.quorum],
    ['THREE', cassandra.types.consistencies.three],
    ['ALL', cassandra.types.consistencies.all],
  ] as const)('%s is the driver\'s %d', (level, value) => {
    expect(driverConsistency(level)).toBe(value);
  });

  it('every level the variable accepts has a driver value', () => {
    for (const level of CASSANDRA_CONSISTENCY_LEVELS) expect(typeof driverConsistency(level)).toBe('number');
  });
});
