/**
 * Bootstrap job: creates what the pipeline needs before it runs (docs/pipeline.md): the Kafka topic and its
 * dead-letter topic, the Avro schema in the Schema Registry, the Cassandra keyspace and table, and the
 * PostgreSQL database and tables. Every step is idempotent, so the job can run on each deploy.
 *
 * Bundled by esbuild into one file, shipped with `schemas/user.avsc` beside it.
 */
import { readFile } from 'node:fs/promises';
import type { Admin } from 'kafkajs';
import { escapeIdentifier } from 'pg';
import { withCassandra, withPostgres, createKafka } from './lib/clients';
import { loadBootstrapConfig, type BootstrapConfig, type Env } from './lib/config';
import { adminDsn, databaseName, redactDsn } from './lib/dsn';
import { describeError } from './lib/retry';
import { log, runMain, step } from './lib/run';

/** How long each step waits for its service: services start in parallel and may be only just healthy. */
const SERVICE_TIMEOUT_MS = 120_000;

// ---- The schema and the tables it implies (pure) ----

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function fieldName(field: unknown): string {
  const name = isObject(field) ? field.name : undefined;
  // Lower case because the names become unquoted SQL and CQL columns, which both fold to lower case.
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`schema field name ${JSON.stringify(name)} must be lower-case letters, digits and '_'`);
  }
  const type = isObject(field) ? field.type : undefined;
  const baseType = isObject(type) ? type.type : type;
  if (baseType !== 'string') {
    throw new Error(
      `schema field '${name}' has type ${JSON.stringify(type)}: the tables hold every field as text ` +
        '(id as uuid), so only string fields are supported',
    );
  }
  return name;
}

/** The names of the user record's fields, in schema order, checked against what the tables can hold. */
export function userFields(schema: unknown): string[] {
  if (!isObject(schema) || schema.type !== 'record' || !Array.isArray(schema.fields)) {
    throw new Error("the schema must be an Avro record ({\"type\": \"record\", \"fields\": [...]})");
  }
  const names = schema.fields.map(fieldName);
  if (!names.includes('id')) throw new Error("the schema has no 'id' field, the key of every table");
  return names;
}

/** Columns shared by Cassandra and PostgreSQL: id is the key, every other field is text. */
function userColumns(fields: string[], textSuffix: string): string {
  return fields.map((name) => (name === 'id' ? 'id uuid PRIMARY KEY' : `${name} text${textSuffix}`)).join(', ');
}

export function cassandraDdl(keyspace: string, table: string, replication: number, fields: string[]): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ` +
      `{'class': 'SimpleStrategy', 'replication_factor': ${replication}}`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.${table} (${userColumns(fields, '')})`,
  ];
}

/** The PostgreSQL tables of the contract. Column types the contract leaves open are chosen here. */
export function postgresDdl(fields: string[]): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS users (${userColumns(fields, ' NOT NULL')}, ` +
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
  ];
}

/**
 * The refusal when an existing topic has more partitions than configured: Kafka cannot remove partitions, and
 * the only way down, deleting the topic, would lose the records it holds.
 */
export function partitionExcess(topics: Array<{ name: string; partitions: number }>, wanted: number): string | undefined {
  const over = topics.filter(({ partitions }) => partitions > wanted);
  if (over.length === 0) return undefined;
  const counts = over.map(({ name, partitions }) => `'${name}' has ${partitions}`).join(', ');
  return (
    `topic ${counts} partitions, more than PIPELINE_TOPIC_PARTITIONS=${wanted} (pipeline.topicPartitions): ` +
    'Kafka cannot remove partitions, and deleting the topic to recreate it would lose its records, so nothing ' +
    `was changed. Set it back to ${Math.max(...over.map(({ partitions }) => partitions))}, or publish to a new topic (pipeline.topic).`
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

/** Creates the topic and its dead-letter topic if missing; fails if one has more partitions than configured. */
export async function ensureTopics(admin: TopicAdmin, config: BootstrapConfig): Promise<void> {
  const names = [config.topic, config.dlqTopic];
  await createTopics(admin, config, names);
  const metadata = await admin.fetchTopicMetadata({ topics: names });
  const topics = metadata.topics.map(({ name, partitions }) => ({ name, partitions: partitions.length }));
  for (const { name, partitions } of topics) log(`topic '${name}': ${partitions} partition(s)`);
  const excess = partitionExcess(topics, config.topicPartitions);
  if (excess) throw new Error(excess);
  for (const warning of partitionShortfalls(topics, config.topicPartitions)) log(warning);
}

async function ensureKafkaTopics(config: BootstrapConfig): Promise<void> {
  const admin = createKafka(config.kafkaBrokers, 'pipeline-bootstrap').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
}

/** A Schema Registry error response; `status` lets the retry tell a registry still starting (5xx) from a refusal. */
class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

async function registryRequest(baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new HttpError(`Schema Registry ${method} ${path}: HTTP ${response.status} ${text}`, response.status);
  }
  return JSON.parse(text);
}

/** Registers the schema under `<topic>-value` (BACKWARD compatible) and returns its id. */
async function registerSchema(config: BootstrapConfig, schema: unknown): Promise<number> {
  const subject = encodeURIComponent(`${config.topic}-value`);
  const request = (method: string, path: string, body?: unknown) =>
    registryRequest(config.schemaRegistryUrl, method, path, body);
  // Set before registering so that the registration itself is checked against BACKWARD.
  await request('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
  const registered = await request('POST', `/subjects/${subject}/versions`, {
    schema: JSON.stringify(schema),
    schemaType: 'AVRO',
  });
  const id = isObject(registered) ? registered.id : undefined;
  if (typeof id !== 'number') throw new Error(`Schema Registry returned no schema id: ${JSON.stringify(registered)}`);
  // Re-registering an older version returns its id without making it the latest, and clients use the latest.
  const latest = await request('GET', `/subjects/${subject}/versions/latest`);
  if (isObject(latest) && latest.id !== id) {
    log(
      `WARNING: the schema file is registered as id ${id}, but the latest version of the subject is ` +
        `id ${String(latest.id)} (version ${String(latest.version)}), which producers and the stream will use`,
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
 * not exist yet) comes to the configured factor. Raising is safe once repaired; lowering keeps fewer copies of
 * every row, so it is refused unless `acceptFewer` says the operator accepts that.
 */
export function replicationChange(
  keyspace: string,
  replication: Readonly<Record<string, string>> | undefined,
  wanted: number,
  acceptFewer: boolean,
): ReplicationChange {
  if (replication === undefined) return {};
  const strategy = replication.class ?? '';
  if (!strategy.endsWith('SimpleStrategy')) {
    return { message: `keyspace '${keyspace}' uses ${strategy}, set outside the pipeline: PIPELINE_CASSANDRA_REPLICATION=${wanted} is not applied` };
  }
  const current = Number(replication.replication_factor);
  if (current === wanted) return {};
  const alter = `ALTER KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${wanted}}`;
  if (current < wanted) {
    return {
      alter,
      message: `keyspace '${keyspace}': replication factor raised from ${current} to ${wanted}; run 'nodetool repair ${keyspace}' on every node so the rows already written reach their new replicas`,
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
    message: `keyspace '${keyspace}': replication factor lowered from ${current} to ${wanted} (PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS); run 'nodetool cleanup ${keyspace}' on every node to drop the copies no longer owned`,
  };
}

/** The part of a Cassandra client the keyspace step uses. */
export interface CqlSession {
  execute(cql: string, params?: unknown[], options?: { prepare: boolean }): Promise<{ rows: Array<{ get(column: string): unknown }> }>;
}

/** Brings an existing keyspace's replication to the configured factor (or refuses), then creates what is missing. */
export async function ensureKeyspaceAndTable(client: CqlSession, config: BootstrapConfig, fields: string[]): Promise<void> {
  const { keyspace, table } = config.cassandra;
  const existing = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const replication = existing.rows[0]?.get('replication') as Record<string, string> | undefined;
  const change = replicationChange(keyspace, replication, config.cassandraReplication, config.acceptFewerCassandraReplicas);
  if (change.alter) await client.execute(change.alter);
  if (change.message) log(change.message);
  for (const cql of cassandraDdl(keyspace, table, config.cassandraReplication, fields)) await client.execute(cql);
}

async function ensureCassandraTable(config: BootstrapConfig, fields: string[]): Promise<void> {
  await withCassandra(config.cassandra, (client) => ensureKeyspaceAndTable(client, config, fields));
}

/** Creates the DSN's database from the maintenance database, since CREATE DATABASE has no IF NOT EXISTS. */
async function ensureDatabase(dsn: string): Promise<void> {
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

async function ensurePostgresTables(dsn: string, fields: string[]): Promise<void> {
  await withPostgres(dsn, async (client) => {
    for (const sql of postgresDdl(fields)) await client.query(sql);
  });
}

export async function main(env: Env = process.env): Promise<number> {
  const config = loadBootstrapConfig(env, __dirname);
  const schema = await readSchema(config.schemaFile);
  const fields = userFields(schema);
  const { keyspace, table } = config.cassandra;
  const pg = redactDsn(config.pgDsn);

  await step(`Kafka topics '${config.topic}', '${config.dlqTopic}'`, SERVICE_TIMEOUT_MS, () => ensureKafkaTopics(config));
  const id = await step(`Schema Registry subject '${config.topic}-value'`, SERVICE_TIMEOUT_MS, () =>
    registerSchema(config, schema),
  );
  log(`schema id ${id}`);
  await step(`Cassandra table ${keyspace}.${table}`, SERVICE_TIMEOUT_MS, () => ensureCassandraTable(config, fields));
  await step(`PostgreSQL database (${pg})`, SERVICE_TIMEOUT_MS, () => ensureDatabase(config.pgDsn));
  await step('PostgreSQL tables', SERVICE_TIMEOUT_MS, () => ensurePostgresTables(config.pgDsn, fields));
  log('bootstrap complete');
  return 0;
}

if (require.main === module) runMain('bootstrap', main);
