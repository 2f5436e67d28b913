import { CASSANDRA_CONSISTENCY_LEVELS, copiesNeeded, defaultConsistency, isCassandraConsistency } from '../jobs/lib/consistency';
import { type Component, defaultOf, PIPELINE_VARIABLES } from '../jobs/lib/contract';
import type { KafkaCredential } from './kafka-acls';
import type { PipelineSettings } from './streaming-platform';
import { PropError, validateIntegerRange, validateTenthsOfSeconds } from './validation';

/** Where the pipeline's jobs reach the platform's services. */
export interface PipelineServices {
  readonly pgDsn: string;
  readonly kafkaBootstrapServers: string;
  readonly schemaRegistryUrl: string;
  /** The registry login the platform's containers that read PIPELINE_SCHEMA_REGISTRY_USERNAME get: the bootstrap job's. */
  readonly schemaRegistryUsername: string;
  readonly schemaRegistryPassword: string;
  readonly cassandraContactPoints: string;
  readonly cassandraDatacenter: string;
  /** The Cassandra login the platform's containers that read PIPELINE_CASSANDRA_USERNAME get: the bootstrap job's. */
  readonly cassandraUsername: string;
  readonly cassandraPassword: string;
  /**
   * The platform's own Cassandra ring: its nodes bound the copies of a row, and its default replication is the
   * keyspace's unless set.
   * @default - a brought cluster, whose size is unknown here
   */
  readonly cassandraRing?: { readonly nodes: number; readonly defaultReplication: number };
  /**
   * The Kafka login PIPELINE_KAFKA_USERNAME/PASSWORD default to: the bootstrap job's; the containers of other
   * clients get their own (withKafkaLogin).
   */
  readonly kafkaLogin: KafkaCredential;
  /** Copies of each partition of the topics the bootstrap job creates: the Kafka cluster's `replicationFactor`. */
  readonly kafkaReplicationFactor: number;
}

/** The users topic and its dead-letter topic of `settings` (validated): the ACLs and the jobs name them. */
export function pipelineTopics(settings: PipelineSettings): { topic: string; dlqTopic: string } {
  const topic = settings.topic ?? defaultOf('PIPELINE_TOPIC');
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(topic)) throw new Error(`pipeline.topic must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-', got '${topic}'`);
  return { topic, dlqTopic: defaultOf('PIPELINE_DLQ_TOPIC', { PIPELINE_TOPIC: topic }) };
}

/**
 * The `PIPELINE_*` variables the platform sets (those jobs/contract/variables.json declares `setByPlatform`): the
 * settings, else the declared defaults, and the services' addresses.
 */
export function pipelineEnvironment(settings: PipelineSettings, services: PipelineServices): Record<string, string> {
  const { topic, dlqTopic } = pipelineTopics(settings);
  for (const [prop, value] of [['pipeline.keyspace', settings.keyspace], ['pipeline.table', settings.table]] as const) {
    if (value !== undefined && !/^[a-z][a-z0-9_]{0,47}$/.test(value)) {
      throw new Error(`${prop} must be a lower-case CQL identifier (a-z, 0-9, '_', at most 48 characters, starting with a letter), got '${value}'`);
    }
  }
  const sourceUrl = settings.sourceUrl ?? defaultOf('PIPELINE_SOURCE_URL');
  if (!/^https?:\/\/[^\s]+$/.test(sourceUrl)) throw new Error(`pipeline.sourceUrl must be an http(s) URL, got '${sourceUrl}'`);
  const integer = (prop: string, value: number | undefined, variable: string, min: number, max: number): string =>
    `${validateIntegerRange(prop, value ?? Number(defaultOf(variable)), min, max)}`;
  const replication = cassandraReplication(settings, services.cassandraRing);
  const output = {
    PIPELINE_TOPIC: topic,
    PIPELINE_CASSANDRA_KEYSPACE: settings.keyspace ?? defaultOf('PIPELINE_CASSANDRA_KEYSPACE'),
    PIPELINE_CASSANDRA_TABLE: settings.table ?? defaultOf('PIPELINE_CASSANDRA_TABLE'),
  };
  return {
    PIPELINE_SOURCE_URL: sourceUrl,
    PIPELINE_BATCH_SIZE: integer('pipeline.batchSize', settings.batchSize, 'PIPELINE_BATCH_SIZE', 1, 5000),
    PIPELINE_SCHEDULE: settings.schedule ?? defaultOf('PIPELINE_SCHEDULE'),
    PIPELINE_RETRY_DELAY_SECONDS: integer('pipeline.retryDelaySeconds', settings.retryDelaySeconds, 'PIPELINE_RETRY_DELAY_SECONDS', 1, 3600),
    // A UUID must fit; past 20,000, a record of 12 such fields could exceed the producer's 1,000,000-byte limit.
    PIPELINE_MAX_FIELD_LENGTH: integer('pipeline.maxFieldLength', settings.maxFieldLength, 'PIPELINE_MAX_FIELD_LENGTH', 36, 20_000),
    PIPELINE_PG_DSN: services.pgDsn,
    PIPELINE_KAFKA_BOOTSTRAP_SERVERS: services.kafkaBootstrapServers,
    PIPELINE_KAFKA_USERNAME: services.kafkaLogin.username,
    PIPELINE_KAFKA_PASSWORD: services.kafkaLogin.password,
    PIPELINE_SCHEMA_REGISTRY_URL: services.schemaRegistryUrl,
    PIPELINE_SCHEMA_REGISTRY_USERNAME: services.schemaRegistryUsername,
    PIPELINE_SCHEMA_REGISTRY_PASSWORD: services.schemaRegistryPassword,
    PIPELINE_TOPIC: topic,
    PIPELINE_DLQ_TOPIC: dlqTopic,
    PIPELINE_TOPIC_PARTITIONS: integer('pipeline.topicPartitions', settings.topicPartitions, 'PIPELINE_TOPIC_PARTITIONS', 1, 64),
    // The cluster's: min(3, brokers) for the platform's own, 1 for a brought one, whose size is unknown here.
    PIPELINE_TOPIC_REPLICATION: `${services.kafkaReplicationFactor}`,
    PIPELINE_CASSANDRA_CONTACT_POINTS: services.cassandraContactPoints,
    PIPELINE_CASSANDRA_DATACENTER: services.cassandraDatacenter,
    PIPELINE_CASSANDRA_USERNAME: services.cassandraUsername,
    PIPELINE_CASSANDRA_PASSWORD: services.cassandraPassword,
    PIPELINE_CASSANDRA_KEYSPACE: output.PIPELINE_CASSANDRA_KEYSPACE,
    PIPELINE_CASSANDRA_TABLE: output.PIPELINE_CASSANDRA_TABLE,
    PIPELINE_CASSANDRA_REPLICATION: `${replication}`,
    PIPELINE_CASSANDRA_CONSISTENCY: cassandraConsistency(settings, replication),
    PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS: `${settings.acceptFewerCassandraReplicas ?? (defaultOf('PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS') === 'true')}`,
    // The declared default follows the topic, keyspace and table: a stream with another output starts afresh.
    PIPELINE_CHECKPOINT_DIR: defaultOf('PIPELINE_CHECKPOINT_DIR', output),
    PIPELINE_TRIGGER_SECONDS: `${validateTenthsOfSeconds('pipeline.triggerSeconds', settings.triggerSeconds ?? Number(defaultOf('PIPELINE_TRIGGER_SECONDS')), 0.1, 3600)}`,
    PIPELINE_MAX_OFFSETS_PER_TRIGGER: integer('pipeline.maxOffsetsPerTrigger', settings.maxOffsetsPerTrigger, 'PIPELINE_MAX_OFFSETS_PER_TRIGGER', 1, 10_000_000),
    PIPELINE_STARTING_OFFSETS: defaultOf('PIPELINE_STARTING_OFFSETS'),
    PIPELINE_CASSANDRA_CONCURRENT_WRITES: integer('pipeline.cassandraConcurrentWrites', settings.cassandraConcurrentWrites, 'PIPELINE_CASSANDRA_CONCURRENT_WRITES', 1, 1024),
  };
}

/**
 * `pipeline.cassandraReplication`, else the platform's ring's default (the declared default, 1, for a brought
 * cluster): a ring cannot keep more copies of a row than it has nodes.
 */
function cassandraReplication(settings: PipelineSettings, ring: PipelineServices['cassandraRing']): number {
  const fallback = ring?.defaultReplication ?? Number(defaultOf('PIPELINE_CASSANDRA_REPLICATION'));
  const replication = validateIntegerRange('pipeline.cassandraReplication', settings.cassandraReplication ?? fallback, 1, 32);
  if (ring !== undefined && replication > ring.nodes) {
    throw new PropError(
      'pipeline.cassandraReplication',
      `must be at most cassandraNodes (${ring.nodes}) with the platform's own Cassandra, got ${replication}: a ring keeps at most one copy ` +
        'of a row per node. Raise cassandraNodes, or give cassandra (a cluster) for more',
    );
  }
  return replication;
}

/** `pipeline.cassandraConsistency`, checked against the copies there are, else the default for them. */
function cassandraConsistency(settings: PipelineSettings, replication: number): string {
  const level = settings.cassandraConsistency;
  if (level === undefined) return defaultConsistency(replication);
  if (!isCassandraConsistency(level)) throw new PropError('pipeline.cassandraConsistency', `must be one of ${CASSANDRA_CONSISTENCY_LEVELS.join(', ')}, got '${String(level)}'`);
  if (copiesNeeded(level) > replication) {
    throw new PropError('pipeline.cassandraConsistency', `${level} needs ${copiesNeeded(level)} copies of every row, but pipeline.cassandraReplication is ${replication}: raise it, or take LOCAL_QUORUM`);
  }
  return level;
}

/**
 * The variables of `environment` that code of one of `components` reads (jobs/contract/variables.json's
 * `readBy`): a container gets exactly these, so changing a setting replaces only the containers that read it.
 */
export function environmentReadBy(environment: Readonly<Record<string, string>>, ...components: Component[]): Record<string, string> {
  const read = new Set(PIPELINE_VARIABLES.filter((v) => v.readBy.some((c) => components.includes(c))).map((v) => v.name));
  return Object.fromEntries(Object.entries(environment).filter(([name]) => read.has(name)));
}

/** `environment` (one container's) logging in to Kafka as `credential`, if its code logs in at all. */
export function withKafkaLogin(environment: Readonly<Record<string, string>>, credential: KafkaCredential): Record<string, string> {
  if (!('PIPELINE_KAFKA_USERNAME' in environment)) return { ...environment };
  return { ...environment, PIPELINE_KAFKA_USERNAME: credential.username, PIPELINE_KAFKA_PASSWORD: credential.password };
}
