/**
 * Bootstrap job: creates what the pipeline needs before it runs (docs/pipeline.md): the Kafka topic and its
 * dead-letter topic, the Cassandra keyspace and table, the PostgreSQL database and tables, and the Avro schema in
 * the Schema Registry. Every step is idempotent, so the job runs on each deploy; it is how a schema changes:
 *
 *   1. the schema file is checked against every version the subject holds (COMPATIBILITY); an incompatible file
 *      stops here, naming the field, before anything is altered or registered;
 *   2. the tables get a column for each field they lack;
 *   3. the schema is registered. The DAG and the Spark job read the registry, so they take the new version up
 *      while they run, and find its columns already there.
 *
 * Settings that would lose data on a stack that has some are refused, naming the prop: fewer topic partitions than
 * the topics have, topics with fewer copies than PIPELINE_TOPIC_REPLICATION, and a lower Cassandra replication factor
 * unless PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS.
 *
 * Bundled by esbuild into one file, shipped with the schema file beside it (`schemas/user.avsc`). The schema
 * reaches no other container: a schema change replaces this job alone, which fails before any running service is
 * touched when the change is incompatible.
 */
import { readFile } from 'node:fs/promises';
import type { Schema } from 'avsc';
import type { Admin } from 'kafkajs';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { withCassandra, withPostgres, createKafka } from './lib/clients';
import { keyspaceDdl, networkTopology, replicationCopies, type KeyspaceReplication } from './lib/keyspace';
import { loadBootstrapConfig, type BootstrapConfig, type Env } from './lib/config';
import { adminDsn, databaseName, redactDsn } from './lib/dsn';
import { isCompatible, latestSchema, register, setCompatibility, subjectVersions } from './lib/registry';
import { describeError } from './lib/retry';
import { log, runMain, step } from './lib/run';
import { COMPATIBILITY, compatibilityProblems, incompatibilityMessage } from './lib/schema-compatibility';

/** How long each step waits for its service: services start in parallel and may be only just healthy. */
const SERVICE_TIMEOUT_MS = 120_000;

// ---- The schema and the tables it implies (pure) ----

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A field of the user record, as the tables hold it: id is the key (uuid), every other field text. */
export interface UserField {
  readonly name: string;
  /** No default and not nullable: every record has a value, and the columns are NOT NULL. */
  readonly required: boolean;
  /** The Avro default of a string field, which PostgreSQL rows stored before the field existed take. */
  readonly textDefault?: string;
}

/** The field's type is string, or a union of null and string (the tables hold text); true for the union. */
function isNullableString(name: string, type: unknown): boolean {
  const base = isObject(type) && !Array.isArray(type) ? type.type : type;
  if (base === 'string') return false;
  if (Array.isArray(type) && type.length === 2 && type.includes('null') && type.some((t) => (isObject(t) ? t.type : t) === 'string')) return true;
  throw new Error(
    `schema field '${name}' has type ${JSON.stringify(type)}: the tables hold every field as text ` +
      '(id as uuid), so only string fields (or a union of null and string) are supported',
  );
}

function userField(field: unknown): UserField {
  const name = isObject(field) ? field.name : undefined;
  // Lower case because the names become unquoted SQL and CQL columns, which both fold to lower case.
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`schema field name ${JSON.stringify(name)} must be lower-case letters, digits and '_'`);
  }
  const record = field as Record<string, unknown>;
  const nullable = isNullableString(name, record.type);
  const hasDefault = 'default' in record;
  if (hasDefault && record.default !== null && typeof record.default !== 'string') {
    throw new Error(`schema field '${name}' has default ${JSON.stringify(record.default)}: a string field's default is a string`);
  }
  if (name === 'id' && (nullable || hasDefault)) throw new Error("schema field 'id' is the key of every table: it can have no default and cannot be null");
  return { name, required: !nullable && !hasDefault, textDefault: typeof record.default === 'string' ? record.default : undefined };
}

/** The user record's fields, in schema order, checked against what the tables can hold. */
export function userFields(schema: unknown): UserField[] {
  if (!isObject(schema) || schema.type !== 'record' || !Array.isArray(schema.fields)) {
    throw new Error("the schema must be an Avro record ({\"type\": \"record\", \"fields\": [...]})");
  }
  const fields = schema.fields.map(userField);
  if (!fields.some(({ name }) => name === 'id')) throw new Error("the schema has no 'id' field, the key of every table");
  return fields;
}

/** A column of the users tables for a field: a required field is NOT NULL, and a string default is the column's. */
function columnDefinition(field: UserField, dialect: 'cql' | 'sql'): string {
  if (field.name === 'id') return 'id uuid PRIMARY KEY';
  // Cassandra has no NOT NULL and no column defaults: a row lacks the value instead.
  if (dialect === 'cql') return `${field.name} text`;
  if (field.textDefault !== undefined) return `${field.name} text NOT NULL DEFAULT ${escapeLiteral(field.textDefault)}`;
  return field.required ? `${field.name} text NOT NULL` : `${field.name} text`;
}

export function cassandraDdl(keyspace: string, table: string, datacenter: string, replication: number, fields: UserField[]): string[] {
  return [
    keyspaceDdl(keyspace, datacenter, replication),
    `CREATE TABLE IF NOT EXISTS ${keyspace}.${table} (${fields.map((f) => columnDefinition(f, 'cql')).join(', ')})`,
  ];
}

/** A column for each field the table lacks, by the columns system_schema lists (a brought Cassandra may predate ADD IF NOT EXISTS). */
export function cassandraAddColumns(keyspace: string, table: string, fields: UserField[], existing: ReadonlySet<string>): string[] {
  return fields.filter(({ name }) => !existing.has(name)).map((field) => `ALTER TABLE ${keyspace}.${table} ADD ${columnDefinition(field, 'cql')}`);
}

/** The PostgreSQL tables of the contract. Column types the contract leaves open are chosen here. */
export function postgresDdl(fields: UserField[]): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS users (${fields.map((f) => columnDefinition(f, 'sql')).join(', ')}, ` +
      'fetched_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)',
    // The outbox relay scans for unpublished rows oldest first; the index holds only those.
    'CREATE INDEX IF NOT EXISTS users_unpublished_idx ON users (fetched_at) WHERE published_at IS NULL',
    'CREATE TABLE IF NOT EXISTS rejected_records (record_hash text PRIMARY KEY, run_id text NOT NULL, ' +
      'reason text NOT NULL, field text, raw jsonb NOT NULL, rejected_at timestamptz NOT NULL DEFAULT now(), ' +
      'published_at timestamptz)',
    // Counts default to 0 so a run can be recorded when it starts and completed when it finishes.
    'CREATE TABLE IF NOT EXISTS ingest_runs (run_id text PRIMARY KEY, fetched integer NOT NULL DEFAULT 0, ' +
      'stored integer NOT NULL DEFAULT 0, rejected integer NOT NULL DEFAULT 0, finished_at timestamptz)',
    // Each valid user a run fetched, new or already stored: verify checks by id, run by run, so a source that
    // sends the same user again (a re-seeded API) is not mistaken for a loss.
    'CREATE TABLE IF NOT EXISTS ingest_run_users (run_id text NOT NULL, id uuid NOT NULL, PRIMARY KEY (run_id, id))',
    // The outbox's refusals of a row, its last error, and when it went to the dead-letter topic instead.
    // Added to a users table of an earlier version too.
    'ALTER TABLE users ADD COLUMN IF NOT EXISTS publish_attempts integer NOT NULL DEFAULT 0, ' +
      'ADD COLUMN IF NOT EXISTS publish_error text, ADD COLUMN IF NOT EXISTS dead_lettered_at timestamptz',
  ];
}

/** A users column as information_schema describes it. */
export interface PostgresColumn {
  readonly name: string;
  readonly nullable: boolean;
}

/** The users columns the outbox keeps beside the record's fields: never a dropped field's. */
const OUTBOX_COLUMNS = new Set(['fetched_at', 'published_at', 'publish_attempts', 'publish_error', 'dead_lettered_at']);

/**
 * What brings an existing users table to the schema: a column for each new field, and NOT NULL dropped from the
 * columns of fields the schema no longer has (the DAG no longer writes them). Columns are never dropped.
 */
export function postgresAlterations(fields: UserField[], existing: readonly PostgresColumn[]): string[] {
  const names = new Set(existing.map(({ name }) => name));
  const wanted = new Set(fields.map(({ name }) => name));
  return [
    ...fields.filter(({ name }) => !names.has(name)).map((field) => `ALTER TABLE users ADD COLUMN IF NOT EXISTS ${columnDefinition(field, 'sql')}`),
    ...existing
      .filter(({ name, nullable }) => !nullable && !wanted.has(name) && !OUTBOX_COLUMNS.has(name))
      .map(({ name }) => `ALTER TABLE users ALTER COLUMN ${name} DROP NOT NULL`),
  ];
}

/**
 * The refusal when an existing topic has more partitions than configured: Kafka cannot remove partitions, and
 * the only way down, deleting the topic, would lose the records it holds.
 */
export function partitionExcess(topics: Array<{ name: string; partitions: number }>, wanted: number): string | undefined {
  // By name: the broker's metadata lists topics in no fixed order, and the message should read the same each time.
  const over = topics.filter(({ partitions }) => partitions > wanted).sort((a, b) => a.name.localeCompare(b.name));
  if (over.length === 0) return undefined;
  const counts = over.map(({ name, partitions }) => `'${name}' has ${partitions}`).join(', ');
  return (
    `topic ${counts} partitions, more than PIPELINE_TOPIC_PARTITIONS=${wanted} (pipeline.topicPartitions): ` +
    'Kafka cannot remove partitions, and deleting the topic to recreate it would lose its records, so nothing ' +
    `was changed. Set it back to ${Math.max(...over.map(({ partitions }) => partitions))}, or publish to a new topic (pipeline.topic).`
  );
}

/**
 * The refusal when an existing topic has fewer copies of a partition than PIPELINE_TOPIC_REPLICATION (the platform's
 * cluster grown after the topic was made): Kafka never adds copies to a topic by itself, so its records would stay on
 * fewer brokers than the cluster is sized to lose one of, and with 3 asked (min.insync.replicas=2) the producers'
 * writes to a topic of 1 copy are refused. Nothing here can add them safely; an operator can.
 */
export function replicationShortfall(topics: Array<{ name: string; replicas: number }>, wanted: number): string | undefined {
  const under = topics.filter(({ replicas }) => replicas < wanted).sort((a, b) => a.name.localeCompare(b.name));
  if (under.length === 0) return undefined;
  const factors = under.map(({ name, replicas }) => `'${name}' has replication factor ${replicas}`).join(', ');
  return (
    `topic ${factors}, lower than PIPELINE_TOPIC_REPLICATION=${wanted} (the Kafka cluster's, min(3, ` +
    'kafkaBrokers)): Kafka does not add copies to a topic that exists, so nothing was changed. Raise the replication of ' +
    "every topic the smaller cluster made (these, the registry's _schemas*, __consumer_offsets and Control Center's) " +
    'with kafka-reassign-partitions and deploy again, or set kafkaBrokers back.'
  );
}

/** Warnings for existing topics with fewer partitions than configured. */
export function partitionShortfalls(topics: Array<{ name: string; partitions: number }>, wanted: number): string[] {
  return topics
    .filter(({ partitions }) => partitions < wanted)
    .map(
      ({ name, partitions }) =>
        `WARNING: topic '${name}' already exists with ${partitions} partition(s), fewer than ` +
        `PIPELINE_TOPIC_PARTITIONS=${wanted}. Left as is: adding partitions sends existing keys to other ` +
        'partitions, breaking per-user ordering. To change it, stop the producers, let the stream drain and ' +
        'alter or recreate the topic deliberately.',
    );
}

// ---- Steps (I/O) ----

async function readSchema(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the Avro schema (PIPELINE_SCHEMA_FILE): ${describeError(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`the Avro schema ${file} is not valid JSON: ${describeError(error)}`);
  }
}

/** kafkajs reports per-topic creation failures inside one aggregate error whose own message says little. */
function explainTopicError(error: unknown, config: BootstrapConfig): unknown {
  const errors = isObject(error) && Array.isArray(error.errors) ? error.errors : [];
  if (errors.length === 0) return error;
  const details = errors.map((inner: unknown) =>
    isObject(inner) ? `${String(inner.topic)}: ${String(inner.message)}` : String(inner),
  );
  return new Error(
    `cannot create topics (PIPELINE_TOPIC_PARTITIONS=${config.topicPartitions}, ` +
      `PIPELINE_TOPIC_REPLICATION=${config.topicReplication}): ${details.join('; ')}`,
    { cause: error },
  );
}

/** The part of a kafkajs admin client the topic step uses. */
export type TopicAdmin = Pick<Admin, 'createTopics' | 'fetchTopicMetadata'>;

async function createTopics(admin: TopicAdmin, config: BootstrapConfig, topics: string[]): Promise<void> {
  try {
    // Resolves false when the topics already exist: fine, the step only ensures they do.
    await admin.createTopics({
      topics: topics.map((topic) => ({
        topic,
        numPartitions: config.topicPartitions,
        replicationFactor: config.topicReplication,
      })),
    });
  } catch (error) {
    throw explainTopicError(error, config);
  }
}

/**
 * Creates the topic and its dead-letter topic if missing; fails if one has more partitions, or fewer copies, than
 * configured.
 */
export async function ensureTopics(admin: TopicAdmin, config: BootstrapConfig): Promise<void> {
  const names = [config.topic, config.dlqTopic];
  await createTopics(admin, config, names);
  const metadata = await admin.fetchTopicMetadata({ topics: names });
  const topics = metadata.topics.map(({ name, partitions }) => ({
    name,
    partitions: partitions.length,
    // Its replication factor: the fewest copies any of its partitions has.
    replicas: Math.min(...partitions.map(({ replicas }) => replicas.length)),
  }));
  for (const { name, partitions, replicas } of topics) log(`topic '${name}': ${partitions} partition(s), replication factor ${replicas}`);
  const excess = partitionExcess(topics, config.topicPartitions);
  if (excess) throw new Error(excess);
  const fewerCopies = replicationShortfall(topics, config.topicReplication);
  if (fewerCopies) throw new Error(fewerCopies);
  for (const warning of partitionShortfalls(topics, config.topicPartitions)) log(warning);
}

async function ensureKafkaTopics(config: BootstrapConfig): Promise<void> {
  const admin = createKafka(config.kafkaBrokers, 'pipeline-bootstrap', config.kafkaLogin).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Sets the subject's compatibility level and checks the schema file against every registered version. An
 * incompatible file stops the job (not retried) with each field at fault named, before any table is altered.
 */
export async function checkSchema(url: string, subject: string, schema: unknown): Promise<void> {
  await setCompatibility(url, subject, COMPATIBILITY);
  if (await isCompatible(url, subject, JSON.stringify(schema))) return;
  const problems = compatibilityProblems(schema as Schema, await subjectVersions(url, subject));
  throw new Error(incompatibilityMessage(subject, problems));
}

/** Registers the schema file (after the tables have its columns) and returns its id. */
async function registerSchema(config: BootstrapConfig, subject: string, schema: unknown): Promise<number> {
  const id = await register(config.schemaRegistryUrl, subject, JSON.stringify(schema));
  // Re-registering an older version returns its id without making it the latest, and clients use the latest.
  const latest = await latestSchema(config.schemaRegistryUrl, subject);
  if (latest.id !== id) {
    log(
      `WARNING: the schema file is registered as id ${id}, but the latest version of the subject is ` +
        `id ${latest.id} (version ${latest.version}), which producers and the stream will use`,
    );
  }
  return id;
}

/** What to do about an existing keyspace's replication: an ALTER to run and a line to log, either optional. */
export interface ReplicationChange {
  readonly alter?: string;
  readonly message?: string;
}

/**
 * How an existing keyspace's replication (its `system_schema.keyspaces` map; undefined when the keyspace does
 * not exist yet) comes to the configured copies in the clients' datacenter, with NetworkTopologyStrategy. A
 * SimpleStrategy keyspace (stacks before the ring) moves to it: with one datacenter and one rack both place the
 * copies on the same nodes, so the move itself copies nothing. Raising is safe once repaired; lowering keeps fewer
 * copies of every row, so it is refused unless `acceptFewer` says the operator accepts that. Other datacenters of
 * the keyspace keep their copies.
 */
export function replicationChange(
  keyspace: string,
  replication: KeyspaceReplication | undefined,
  datacenter: string,
  wanted: number,
  acceptFewer: boolean,
): ReplicationChange {
  if (replication === undefined) return {};
  const strategy = replication.class ?? '';
  const current = replicationCopies(replication, datacenter);
  if (current === undefined) {
    return { message: `keyspace '${keyspace}' uses ${strategy}, set outside the pipeline: PIPELINE_CASSANDRA_REPLICATION=${wanted} is not applied` };
  }
  const simple = strategy.endsWith('SimpleStrategy');
  if (!simple && current === 0) {
    throw new Error(
      `keyspace '${keyspace}' keeps no copies in datacenter '${datacenter}' (PIPELINE_CASSANDRA_DATACENTER), only in ` +
        `${Object.keys(replication).filter((key) => key !== 'class').join(', ')}. Nothing was changed: name the datacenter ` +
        "the pipeline's clients are in, or add this one to the keyspace deliberately (ALTER KEYSPACE, then 'nodetool rebuild').",
    );
  }
  if (current === wanted && !simple) return {};
  const alter = `ALTER KEYSPACE ${keyspace} WITH replication = ${networkTopology(datacenter, wanted, simple ? {} : replication)}`;
  const moved = simple ? ', from SimpleStrategy to NetworkTopologyStrategy' : '';
  if (current === wanted) {
    return {
      alter,
      message:
        `keyspace '${keyspace}' moved from SimpleStrategy to NetworkTopologyStrategy ('${datacenter}': ${wanted}): in a datacenter of ` +
        `one rack (the platform's own ring) the same nodes keep the copies, nothing to repair; with several racks, run 'nodetool repair -full ${keyspace}' on every node`,
    };
  }
  if (current < wanted) {
    return {
      alter,
      message:
        `keyspace '${keyspace}': replication factor raised from ${current} to ${wanted}${moved}; run 'nodetool repair -full ${keyspace}' ` +
        'on every node so the rows already written reach their new replicas (until then a read may miss them)',
    };
  }
  if (!acceptFewer) {
    throw new Error(
      `keyspace '${keyspace}' has replication factor ${current}; PIPELINE_CASSANDRA_REPLICATION=${wanted} ` +
        '(pipeline.cassandraReplication) would keep fewer copies of every row, so a node lost afterwards could take rows ' +
        `with it. Nothing was changed. Set it back to ${current}, or set PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS=true ` +
        '(pipeline.acceptFewerCassandraReplicas) to lower it.',
    );
  }
  return {
    alter,
    message: `keyspace '${keyspace}': replication factor lowered from ${current} to ${wanted}${moved} (PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS); run 'nodetool cleanup ${keyspace}' on every node to drop the copies no longer owned`,
  };
}

/** The part of a Cassandra client the keyspace step uses. */
export interface CqlSession {
  execute(cql: string, params?: unknown[], options?: { prepare: boolean }): Promise<{ rows: Array<{ get(column: string): unknown }> }>;
}

/**
 * Brings an existing keyspace's replication to the configured factor (or refuses), creates what is missing, and
 * adds a column for each field the table lacks.
 */
export async function ensureKeyspaceAndTable(client: CqlSession, config: BootstrapConfig, fields: UserField[]): Promise<void> {
  const { keyspace, table } = config.cassandra;
  const existing = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const replication = existing.rows[0]?.get('replication') as Record<string, string> | undefined;
  const datacenter = config.cassandra.localDataCenter;
  const change = replicationChange(keyspace, replication, datacenter, config.cassandraReplication, config.acceptFewerCassandraReplicas);
  if (change.alter) await client.execute(change.alter);
  if (change.message) log(change.message);
  // CREATE KEYSPACE needs CREATE on every keyspace, even IF NOT EXISTS: the bootstrap role has it only on its own.
  const [createKeyspace, ...createTables] = cassandraDdl(keyspace, table, datacenter, config.cassandraReplication, fields);
  for (const cql of replication === undefined ? [createKeyspace, ...createTables] : createTables) await client.execute(cql);
  const columns = await client.execute(
    'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
    { prepare: true },
  );
  const present = new Set(columns.rows.map((row) => String(row.get('column_name'))));
  for (const cql of cassandraAddColumns(keyspace, table, fields, present)) {
    await client.execute(cql);
    log(cql);
  }
}

async function ensureCassandraTable(config: BootstrapConfig, fields: UserField[]): Promise<void> {
  await withCassandra(config.cassandra, (client) => ensureKeyspaceAndTable(client, config, fields));
}

/**
 * The DSN's database: the platform's own server creates it at start, owned by the pipeline's role, which may
 * not create databases, so reaching it is enough. Only when it is missing (a brought server) is it created from
 * the maintenance database, which needs CREATEDB; CREATE DATABASE has no IF NOT EXISTS.
 */
async function ensureDatabase(dsn: string): Promise<void> {
  try {
    await withPostgres(dsn, (client) => client.query('SELECT 1'));
    return;
  } catch (error) {
    // invalid_catalog_name: the database does not exist.
    if (!isObject(error) || error.code !== '3D000') throw error;
  }
  const name = databaseName(dsn);
  await withPostgres(adminDsn(dsn), async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
    } catch (error) {
      // duplicate_database: created meanwhile by a concurrent bootstrap, which is what we wanted.
      if (!isObject(error) || error.code !== '42P04') throw error;
    }
  });
}

async function ensurePostgresTables(dsn: string, fields: UserField[]): Promise<void> {
  await withPostgres(dsn, async (client) => {
    for (const sql of postgresDdl(fields)) await client.query(sql);
    const columns = await client.query<{ name: string; nullable: boolean }>(
      "SELECT column_name AS name, is_nullable = 'YES' AS nullable FROM information_schema.columns " +
        "WHERE table_schema = current_schema() AND table_name = 'users'",
    );
    for (const sql of postgresAlterations(fields, columns.rows)) {
      await client.query(sql);
      log(sql);
    }
  });
}

export async function main(env: Env = process.env): Promise<number> {
  const config = loadBootstrapConfig(env, __dirname);
  const schema = await readSchema(config.schemaFile);
  const fields = userFields(schema);
  const { keyspace, table } = config.cassandra;
  const pg = redactDsn(config.pgDsn);

  const subject = `${config.topic}-value`;

  await step(`Kafka topics '${config.topic}', '${config.dlqTopic}'`, SERVICE_TIMEOUT_MS, () => ensureKafkaTopics(config));
  await step(`schema file against subject '${subject}' (${COMPATIBILITY})`, SERVICE_TIMEOUT_MS, () => checkSchema(config.schemaRegistryUrl, subject, schema));
  await step(`Cassandra table ${keyspace}.${table}`, SERVICE_TIMEOUT_MS, () => ensureCassandraTable(config, fields));
  await step(`PostgreSQL database (${pg})`, SERVICE_TIMEOUT_MS, () => ensureDatabase(config.pgDsn));
  await step('PostgreSQL tables', SERVICE_TIMEOUT_MS, () => ensurePostgresTables(config.pgDsn, fields));
  const id = await step(`Schema Registry subject '${subject}'`, SERVICE_TIMEOUT_MS, () => registerSchema(config, subject, schema));
  log(`schema id ${id}`);
  log('bootstrap complete');
  return 0;
}

if (require.main === module) runMain('bootstrap', main);
