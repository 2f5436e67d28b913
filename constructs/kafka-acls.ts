import { type Login, validateLogin } from './validation';

/**
 * Who logs in to Kafka. Each has a SCRAM-SHA-512 credential of its own: the DAG's producer, the Spark job (`stream`),
 * the bootstrap job, the read-only clients (`monitoring`: verify, pipeline-metrics, `npm run status`), the schema
 * registry's store, and `admin`, a super user for Control Center and operators' tools (replay).
 */
export type KafkaClient = 'producer' | 'stream' | 'bootstrap' | 'monitoring' | 'schemaRegistry' | 'admin';

export const KAFKA_CLIENTS: readonly KafkaClient[] = ['producer', 'stream', 'bootstrap', 'monitoring', 'schemaRegistry', 'admin'];

/** The SASL mechanism every listener of the platform's broker offers, and the one clients use. */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';

/** A SCRAM login to Kafka. */
export type KafkaCredential = Login;

/** The user names of the platform's own broker: `broker` is its inter-broker login. */
export const KAFKA_USERS: Readonly<Record<KafkaClient | 'broker', string>> = {
  broker: 'broker',
  producer: 'producer',
  stream: 'stream',
  bootstrap: 'bootstrap',
  monitoring: 'monitoring',
  schemaRegistry: 'schema-registry',
  admin: 'admin',
};

/** The principals whose every request is allowed: the broker itself (inter-broker) and the admin. */
export const KAFKA_SUPER_USERS: readonly string[] = [KAFKA_USERS.broker, KAFKA_USERS.admin];

/** The group-id prefix of Spark's Kafka source (`spark-kafka-source-<uuid>-...`). */
export const SPARK_GROUP_PREFIX = 'spark-kafka-source-';
/** The schema registry's store: its topic (Apicurio adds `-snapshots` and `-events`) and its group (prefix). */
export const SCHEMAS_TOPIC = '_schemas';
export const SCHEMA_REGISTRY_GROUP = 'schema-registry';

export type AclOperation = 'Read' | 'Write' | 'Describe' | 'Create' | 'Alter' | 'DescribeConfigs' | 'IdempotentWrite';

/** One allow rule: `principal` may do `operations` on the resource. */
export interface KafkaAcl {
  readonly user: string;
  readonly resource: 'topic' | 'group' | 'cluster';
  /** The resource's name (`kafka-cluster` for the cluster). */
  readonly name: string;
  readonly pattern: 'literal' | 'prefixed';
  readonly operations: readonly AclOperation[];
}

/** The topics the rules are about. */
export interface KafkaAclTopics {
  readonly topic: string;
  readonly dlqTopic: string;
}

/**
 * Every allow rule of the platform's broker, per principal, each only what its job needs (the super users have none).
 * Pure, so the set is tested exactly. `allow.everyone.if.no.acl.found=false` denies everything else.
 */
export function kafkaAcls(topics: KafkaAclTopics): KafkaAcl[] {
  const topic = (user: string, name: string, ...operations: AclOperation[]): KafkaAcl => ({ user, resource: 'topic', name, pattern: 'literal', operations });
  const cluster = (user: string, ...operations: AclOperation[]): KafkaAcl => ({ user, resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operations });
  const u = KAFKA_USERS;
  return [
    // The outbox relay: users, and the records it cannot frame to the dead-letter topic; idempotent.
    topic(u.producer, topics.topic, 'Write', 'Describe'),
    topic(u.producer, topics.dlqTopic, 'Write', 'Describe'),
    cluster(u.producer, 'IdempotentWrite'),
    // The stream reads users (groups Spark names itself) and writes what it cannot decode to the dead-letter topic.
    topic(u.stream, topics.topic, 'Read', 'Describe'),
    topic(u.stream, topics.dlqTopic, 'Write', 'Describe'),
    { user: u.stream, resource: 'group', name: SPARK_GROUP_PREFIX, pattern: 'prefixed', operations: ['Read', 'Describe'] },
    cluster(u.stream, 'IdempotentWrite'),
    // The bootstrap creates both topics, adds partitions, and reads their configuration.
    topic(u.bootstrap, topics.topic, 'Create', 'Alter', 'Describe', 'DescribeConfigs'),
    topic(u.bootstrap, topics.dlqTopic, 'Create', 'Alter', 'Describe', 'DescribeConfigs'),
    // Read-only: offsets and records of both topics, with consumer groups of its own.
    topic(u.monitoring, topics.topic, 'Read', 'Describe'),
    topic(u.monitoring, topics.dlqTopic, 'Read', 'Describe'),
    { user: u.monitoring, resource: 'group', name: 'pipeline-', pattern: 'prefixed', operations: ['Read', 'Describe'] },
    // The registry's store: its topics (made by itself) and its group.
    { user: u.schemaRegistry, resource: 'topic', name: SCHEMAS_TOPIC, pattern: 'prefixed', operations: ['Read', 'Write', 'Describe', 'Create', 'DescribeConfigs'] },
    { user: u.schemaRegistry, resource: 'group', name: SCHEMA_REGISTRY_GROUP, pattern: 'prefixed', operations: ['Read', 'Describe'] },
    cluster(u.schemaRegistry, 'IdempotentWrite'),
  ];
}

/**
 * The arguments of each `kafka-acls --add` call (after the authorizer's) that together add `acls`, in as few calls as
 * the tool allows, since each call is a JVM's start: rules that differ only in the resource's name share a call
 * (`--topic a --topic b`), and then calls that differ only in the principal (`--allow-principal` twice).
 */
export function kafkaAclCommands(acls: readonly KafkaAcl[]): string[][] {
  const byName = groupBy(acls, (acl) => [acl.user, acl.resource, acl.pattern, acl.operations]);
  const rules = byName.map((group) => ({ ...group[0], names: group.map((acl) => acl.name) }));
  // The tool adds every principal × operation × resource of a call: merged only where that is exactly the rules.
  return groupBy(rules, (rule) => [rule.resource, rule.pattern, rule.operations, rule.names]).map((group) => {
    const { resource, pattern, operations, names } = group[0];
    return [
      ...group.flatMap((rule) => ['--allow-principal', `User:${rule.user}`]),
      ...operations.flatMap((operation) => ['--operation', operation]),
      ...(resource === 'cluster' ? ['--cluster'] : names.flatMap((name) => [`--${resource}`, name])),
      '--resource-pattern-type', pattern,
    ];
  });
}

/** `items` grouped by `key` (compared as JSON), groups and their items in the order first met. */
function groupBy<T>(items: readonly T[], key: (item: T) => unknown): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = JSON.stringify(key(item));
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return [...groups.values()];
}

/** A user name or password that goes into JAAS files, properties files and a shell word as is. */
export function validateKafkaCredential(prop: string, credential: KafkaCredential): KafkaCredential {
  return validateLogin(prop, credential, { pattern: /^[A-Za-z][A-Za-z0-9_-]{0,63}$/, described: "a user name (a letter, then letters, digits, '_' or '-', at most 64)" }, 'JAAS and properties');
}

/** The JAAS option of a Kafka client logging in with `credential` (`sasl.jaas.config`). */
export function scramJaasConfig(credential: KafkaCredential): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${credential.username}" password="${credential.password}";`;
}

/** What a Java Kafka client sets to log in with `credential`, without a prefix (`kafka.` for Spark, `kafkastore.` for the registry). */
export function saslClientProperties(credential: KafkaCredential): Record<string, string> {
  return {
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': KAFKA_SASL_MECHANISM,
    'sasl.jaas.config': scramJaasConfig(credential),
  };
}

/** `properties` with `prefix` before every key. */
export function prefixed(prefix: string, properties: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [`${prefix}${key}`, value]));
}
