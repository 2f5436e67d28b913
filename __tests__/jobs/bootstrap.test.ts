import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  cassandraAddColumns,
  cassandraDdl,
  type CqlSession,
  ensureKeyspaceAndTable,
  ensureTopics,
  partitionExcess,
  partitionShortfalls,
  replicationShortfall,
  postgresAlterations,
  postgresDdl,
  replicationChange,
  type TopicAdmin,
  userFields,
} from '../../jobs/bootstrap';
import { loadBootstrapConfig } from '../../jobs/lib/config';

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'schemas', 'user.avsc'), 'utf8')) as { fields: unknown[] };
const FIELDS = userFields(SCHEMA);
const OTHER_FIELDS = FIELDS.map(({ name }) => name).filter((name) => name !== 'id');
const NATIONALITY = { name: 'nationality', type: 'string', default: '', sourcePath: 'nat' };

function schemaWith(fields: unknown[]): unknown {
  return { type: 'record', name: 'User', fields };
}

describe('userFields', () => {
  it('lists the contract schema fields in order: id and 11 others, all required', () => {
    expect(FIELDS.every(({ required, textDefault }) => required && textDefault === undefined)).toBe(true);
    expect(FIELDS.map(({ name }) => name)).toEqual([
      'id',
      'first_name',
      'last_name',
      'gender',
      'address',
      'post_code',
      'email',
      'username',
      'dob',
      'registered_date',
      'phone',
      'picture',
    ]);
  });

  it('accepts a string type given as an object', () => {
    expect(userFields(schemaWith([{ name: 'id', type: { type: 'string', logicalType: 'uuid' } }]))).toEqual([{ name: 'id', required: true }]);
  });

  it('takes a field with a default or a union with null as optional, with its text default', () => {
    const fields = userFields(schemaWith([{ name: 'id', type: 'string' }, NATIONALITY, { name: 'note', type: ['null', 'string'], default: null }]));
    expect(fields.slice(1)).toEqual([
      { name: 'nationality', required: false, textDefault: '' },
      { name: 'note', required: false, textDefault: undefined },
    ]);
  });

  it.each([
    [{ name: 'id', type: 'string', default: '' }],
    [{ name: 'id', type: ['null', 'string'], default: null }],
  ])('refuses an id that could be absent: %j', (id) => {
    expect(() => userFields(schemaWith([id]))).toThrow("schema field 'id' is the key of every table: it can have no default and cannot be null");
  });

  it('refuses a default that is not text', () => {
    expect(() => userFields(schemaWith([{ name: 'id', type: 'string' }, { name: 'n', type: 'string', default: 3 }]))).toThrow(
      "schema field 'n' has default 3: a string field's default is a string",
    );
  });

  it('rejects a schema that is not a record', () => {
    expect(() => userFields({ type: 'enum', symbols: ['A'] })).toThrow('the schema must be an Avro record');
    expect(() => userFields(null)).toThrow('the schema must be an Avro record');
  });

  it('rejects a schema without an id field', () => {
    expect(() => userFields(schemaWith([{ name: 'email', type: 'string' }]))).toThrow("the schema has no 'id' field");
  });

  it.each([
    ['an int', 'int', '"int"'],
    ['a nullable int', ['null', 'int'], '["null","int"]'],
    ['a union of three', ['null', 'string', 'int'], '["null","string","int"]'],
  ])('rejects a field of %s, since the tables only hold text', (_case, type, shown) => {
    expect(() => userFields(schemaWith([{ name: 'id', type: 'string' }, { name: 'age', type }]))).toThrow(
      `schema field 'age' has type ${shown}: the tables hold every field as text (id as uuid), so only string fields (or a union of null and string) are supported`,
    );
  });

  it('rejects a field name that would not be the same column in SQL and CQL', () => {
    expect(() => userFields(schemaWith([{ name: 'id', type: 'string' }, { name: 'firstName', type: 'string' }]))).toThrow(
      `schema field name "firstName" must be lower-case letters, digits and '_'`,
    );
  });
});

describe('cassandraDdl', () => {
  it('creates the keyspace with NetworkTopologyStrategy in the datacenter and the table with id uuid and the other fields as text', () => {
    expect(cassandraDdl('spark_streams', 'created_users', 'datacenter1', 1, FIELDS)).toEqual([
      "CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}",
      'CREATE TABLE IF NOT EXISTS spark_streams.created_users (id uuid PRIMARY KEY, ' +
        'first_name text, last_name text, gender text, address text, post_code text, email text, username text, ' +
        'dob text, registered_date text, phone text, picture text)',
    ]);
  });

  it('uses the configured names, datacenter and replication factor', () => {
    const [keyspace, table] = cassandraDdl('ks', 'people', 'dc-east', 3, userFields(schemaWith([{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }])));
    expect(keyspace).toBe("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc-east': 3}");
    expect(table).toBe('CREATE TABLE IF NOT EXISTS ks.people (id uuid PRIMARY KEY, email text)');
  });
});

describe('postgresDdl', () => {
  const [users, index, rejected, runs, runUsers, outboxColumns, ...rest] = postgresDdl(FIELDS);

  it('creates the users table from the schema, plus the outbox columns', () => {
    const columns = /^CREATE TABLE IF NOT EXISTS users \((.*)\)$/.exec(users)?.[1].split(', ');
    expect(columns).toEqual([
      'id uuid PRIMARY KEY',
      ...OTHER_FIELDS.map((name) => `${name} text NOT NULL`),
      'fetched_at timestamptz NOT NULL DEFAULT now()',
      'published_at timestamptz',
    ]);
  });

  it('indexes only the unpublished users, by age', () => {
    expect(index).toBe('CREATE INDEX IF NOT EXISTS users_unpublished_idx ON users (fetched_at) WHERE published_at IS NULL');
  });

  it('creates rejected_records and ingest_runs with the columns of the contract', () => {
    expect(rejected).toBe(
      'CREATE TABLE IF NOT EXISTS rejected_records (record_hash text PRIMARY KEY, run_id text NOT NULL, ' +
        'reason text NOT NULL, field text, raw jsonb NOT NULL, rejected_at timestamptz NOT NULL DEFAULT now(), ' +
        'published_at timestamptz)',
    );
    expect(runs).toBe(
      'CREATE TABLE IF NOT EXISTS ingest_runs (run_id text PRIMARY KEY, fetched integer NOT NULL DEFAULT 0, ' +
        'stored integer NOT NULL DEFAULT 0, rejected integer NOT NULL DEFAULT 0, finished_at timestamptz)',
    );
    expect(runUsers).toBe('CREATE TABLE IF NOT EXISTS ingest_run_users (run_id text NOT NULL, id uuid NOT NULL, PRIMARY KEY (run_id, id))');
    expect(rest).toEqual([]);
  });

  it('adds the outbox retry columns, to an existing users table too', () => {
    expect(outboxColumns).toBe(
      'ALTER TABLE users ADD COLUMN IF NOT EXISTS publish_attempts integer NOT NULL DEFAULT 0, ' +
        'ADD COLUMN IF NOT EXISTS publish_error text, ADD COLUMN IF NOT EXISTS dead_lettered_at timestamptz',
    );
  });

  it('is safe to run twice: every statement is IF NOT EXISTS', () => {
    expect(postgresDdl(FIELDS).every((sql) => / IF NOT EXISTS /.test(sql))).toBe(true);
    expect(cassandraDdl('ks', 't', 'dc1', 1, FIELDS).every((cql) => / IF NOT EXISTS /.test(cql))).toBe(true);
  });
});

describe('partitionShortfalls', () => {
  it('says nothing when every topic has at least the configured partitions', () => {
    expect(partitionShortfalls([{ name: 'users_created', partitions: 3 }, { name: 'users_created.dlq', partitions: 6 }], 3)).toEqual([]);
  });

  it('names each topic with fewer partitions, the numbers and why it is left as is', () => {
    const [warning, ...others] = partitionShortfalls(
      [{ name: 'users_created', partitions: 1 }, { name: 'users_created.dlq', partitions: 3 }],
      3,
    );
    expect(others).toEqual([]);
    expect(warning).toContain("topic 'users_created' already exists with 1 partition(s), fewer than PIPELINE_TOPIC_PARTITIONS=3");
    expect(warning).toContain('per-user ordering');
  });
});

describe('a schema change reaches the tables', () => {
  const evolved = userFields({ ...SCHEMA, fields: [...SCHEMA.fields, NATIONALITY, { name: 'note', type: ['null', 'string'], default: null }] });

  it('adds a Cassandra column for each field the table lacks, and nothing when it has them all', () => {
    const existing = new Set(FIELDS.map(({ name }) => name));
    expect(cassandraAddColumns('ks', 't', evolved, existing)).toEqual(['ALTER TABLE ks.t ADD nationality text', 'ALTER TABLE ks.t ADD note text']);
    expect(cassandraAddColumns('ks', 't', evolved, new Set([...existing, 'nationality', 'note']))).toEqual([]);
  });

  it('adds PostgreSQL columns that older rows fill with the default, or null', () => {
    const existing = [...FIELDS.map(({ name }) => ({ name, nullable: false })), { name: 'fetched_at', nullable: false }, { name: 'published_at', nullable: true }];
    expect(postgresAlterations(evolved, existing)).toEqual([
      "ALTER TABLE users ADD COLUMN IF NOT EXISTS nationality text NOT NULL DEFAULT ''",
      'ALTER TABLE users ADD COLUMN IF NOT EXISTS note text',
    ]);
  });

  it('quotes a default as a SQL literal', () => {
    const quoted = userFields(schemaWith([{ name: 'id', type: 'string' }, { name: 'title', type: 'string', default: "it's" }]));
    expect(postgresAlterations(quoted, [{ name: 'id', nullable: false }])).toEqual(["ALTER TABLE users ADD COLUMN IF NOT EXISTS title text NOT NULL DEFAULT 'it''s'"]);
  });

  it('leaves the outbox columns as they are, NOT NULL publish_attempts included', () => {
    const outbox = [
      { name: 'fetched_at', nullable: false },
      { name: 'published_at', nullable: true },
      { name: 'publish_attempts', nullable: false },
      { name: 'publish_error', nullable: true },
      { name: 'dead_lettered_at', nullable: true },
    ];
    expect(postgresAlterations(FIELDS, [...FIELDS.map(({ name }) => ({ name, nullable: false })), ...outbox])).toEqual([]);
  });

  it('lets the column of a dropped field be null from now on, and never drops a column', () => {
    const withoutPhone = FIELDS.filter(({ name }) => name !== 'phone');
    const existing = [...FIELDS.map(({ name }) => ({ name, nullable: false })), { name: 'fetched_at', nullable: false }, { name: 'legacy', nullable: true }];
    expect(postgresAlterations(withoutPhone, existing)).toEqual(['ALTER TABLE users ALTER COLUMN phone DROP NOT NULL']);
  });

  it('creates a new table with the added fields already there', () => {
    const [users] = postgresDdl(evolved);
    expect(users).toContain("nationality text NOT NULL DEFAULT '', note text, fetched_at");
    expect(cassandraDdl('ks', 't', 'dc1', 1, evolved)[1]).toContain('picture text, nationality text, note text)');
  });
});

describe('replicationShortfall: a topic with fewer copies than the cluster asks for', () => {
  it('says nothing when every topic has as many or more', () => {
    expect(replicationShortfall([{ name: 'users_created', replicas: 3 }, { name: 'users_created.dlq', replicas: 5 }], 3)).toBeUndefined();
  });

  it('names each short topic and its factor, the setting and how to raise them, in a fixed order', () => {
    const listed = [{ name: 'users_created.dlq', replicas: 1 }, { name: 'users_created', replicas: 2 }, { name: 'other', replicas: 3 }];
    expect(replicationShortfall(listed, 3)).toBe(
      "topic 'users_created' has replication factor 2, 'users_created.dlq' has replication factor 1, lower than PIPELINE_TOPIC_REPLICATION=3 " +
        "(the Kafka cluster's, min(3, kafkaBrokers)): Kafka does not add copies to a topic that exists, so nothing was changed. Raise the " +
        "replication of every topic the smaller cluster made (these, the registry's _schemas*, __consumer_offsets and Control Center's) with " +
        'kafka-reassign-partitions and deploy again, or set kafkaBrokers back.',
    );
    expect(replicationShortfall(listed, 3)).toBe(replicationShortfall([...listed].reverse(), 3));
  });
});

describe('partitionExcess: a topic with more partitions than configured', () => {
  it('is no problem when no topic has more', () => {
    expect(partitionExcess([{ name: 'users_created', partitions: 3 }, { name: 'users_created.dlq', partitions: 1 }], 3)).toBeUndefined();
  });

  it('is refused, naming the variable, the prop, the current count and why nothing was changed', () => {
    expect(partitionExcess([{ name: 'users_created', partitions: 3 }, { name: 'users_created.dlq', partitions: 3 }], 2)).toBe(
      "topic 'users_created' has 3, 'users_created.dlq' has 3 partitions, more than PIPELINE_TOPIC_PARTITIONS=2 " +
        '(pipeline.topicPartitions): Kafka cannot remove partitions, and deleting the topic to recreate it would lose its ' +
        'records, so nothing was changed. Set it back to 3, or publish to a new topic (pipeline.topic).',
    );
  });

  it('names the topics in the same order whatever order the broker lists them in', () => {
    const listed = [{ name: 'users_created.dlq', partitions: 3 }, { name: 'users_created', partitions: 3 }];
    expect(partitionExcess(listed, 2)).toBe(partitionExcess([...listed].reverse(), 2));
    expect(partitionExcess(listed, 2)).toMatch(/^topic 'users_created' has 3, 'users_created.dlq' has 3 partitions/);
  });
});

describe('replicationChange: an existing keyspace and the configured copies in the datacenter', () => {
  const simple = (factor: number) => ({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: `${factor}` });
  const nts = (copies: Record<string, string>) => ({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', ...copies });
  const NTS_3 = "ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}";

  it('does nothing for a keyspace that does not exist yet (CREATE makes it) or already has the copies with NetworkTopologyStrategy', () => {
    expect(replicationChange('ks', undefined, 'dc1', 3, false)).toEqual({});
    expect(replicationChange('ks', nts({ dc1: '3' }), 'dc1', 3, false)).toEqual({});
  });

  it('moves a SimpleStrategy keyspace (a stack from before the ring) to NetworkTopologyStrategy with the same copies: nothing to repair', () => {
    expect(replicationChange('ks', simple(3), 'dc1', 3, false)).toEqual({
      alter: NTS_3,
      message:
        "keyspace 'ks' moved from SimpleStrategy to NetworkTopologyStrategy ('dc1': 3): in a datacenter of one rack (the platform's own ring) " +
        "the same nodes keep the copies, nothing to repair; with several racks, run 'nodetool repair -full ks' on every node",
    });
  });

  it('moves and raises a SimpleStrategy keyspace in one ALTER (a single node grown to a ring), saying that a repair must follow', () => {
    expect(replicationChange('ks', simple(1), 'dc1', 3, false)).toEqual({
      alter: NTS_3,
      message:
        "keyspace 'ks': replication factor raised from 1 to 3, from SimpleStrategy to NetworkTopologyStrategy; run 'nodetool repair -full ks' " +
        'on every node so the rows already written reach their new replicas (until then a read may miss them)',
    });
  });

  it('raises the copies of a NetworkTopologyStrategy keyspace in its datacenter, keeping other datacenters as they are', () => {
    expect(replicationChange('ks', nts({ dc1: '1', dc2: '2' }), 'dc1', 3, false)).toEqual({
      alter: "ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}",
      message: expect.stringMatching(/^keyspace 'ks': replication factor raised from 1 to 3; run 'nodetool repair -full ks'/),
    });
  });

  it.each([
    ['SimpleStrategy', simple(3)],
    ['NetworkTopologyStrategy', nts({ dc1: '3' })],
  ])('refuses to lower %s, naming the consequence, the current factor and the prop that accepts it', (_, current) => {
    expect(() => replicationChange('ks', current, 'dc1', 1, false)).toThrow(
      "keyspace 'ks' has replication factor 3; PIPELINE_CASSANDRA_REPLICATION=1 (pipeline.cassandraReplication) would keep " +
        'fewer copies of every row, so a node lost afterwards could take rows with it. Nothing was changed. Set it back to 3, ' +
        'or set PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS=true (pipeline.acceptFewerCassandraReplicas) to lower it.',
    );
  });

  it('lowers it when fewer replicas are accepted, and says that a cleanup must follow', () => {
    expect(replicationChange('ks', simple(3), 'dc1', 1, true)).toEqual({
      alter: "ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}",
      message: expect.stringContaining(
        "replication factor lowered from 3 to 1, from SimpleStrategy to NetworkTopologyStrategy (PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS); run 'nodetool cleanup ks'",
      ),
    });
  });

  it('refuses a NetworkTopologyStrategy keyspace with no copies in the datacenter: a wrong PIPELINE_CASSANDRA_DATACENTER, or a datacenter to add by hand', () => {
    expect(() => replicationChange('ks', nts({ dc2: '3' }), 'dc1', 3, false)).toThrow(
      "keyspace 'ks' keeps no copies in datacenter 'dc1' (PIPELINE_CASSANDRA_DATACENTER), only in dc2. Nothing was changed",
    );
  });

  it('leaves a keyspace with another strategy, set outside the pipeline, as it is', () => {
    expect(replicationChange('ks', { class: 'org.apache.cassandra.locator.LocalStrategy' }, 'dc1', 1, false)).toEqual({
      message: "keyspace 'ks' uses org.apache.cassandra.locator.LocalStrategy, set outside the pipeline: PIPELINE_CASSANDRA_REPLICATION=1 is not applied",
    });
  });
});

const REQUIRED_ENV = {
  PIPELINE_PG_DSN: 'postgresql://pipeline:s3cret@postgres:5432/pipeline',
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
const configWith = (env: Record<string, string>) => loadBootstrapConfig({ ...REQUIRED_ENV, ...env }, '/opt/job');

describe('the bootstrap steps on a stack that has data', () => {
  // The job's logs go to stderr; these tests read what it does, not what it says.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  /**
   * A Kafka whose topics exist with `partitions` each, of `replicas` copies (one partition of `fewest`): creating them
   * answers false, as kafkajs does.
   */
  function existingTopics(partitions: number, replicas = 1, fewest = replicas): TopicAdmin {
    const brokers = (count: number) => Array.from({ length: count }, (_, broker) => broker + 1);
    const partitionList = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId, leader: 1, replicas: brokers(partitionId === 0 ? fewest : replicas), isr: brokers(partitionId === 0 ? fewest : replicas),
      offlineReplicas: [], partitionErrorCode: 0,
    }));
    return {
      createTopics: () => Promise.resolve(false),
      fetchTopicMetadata: (options) => Promise.resolve({ topics: (options?.topics ?? []).map((name) => ({ name, partitions: partitionList })) }),
    };
  }

  it('fails when PIPELINE_TOPIC_PARTITIONS is lowered below the existing topics\' partitions', async () => {
    const admin = existingTopics(3);
    await expect(ensureTopics(admin, configWith({ PIPELINE_TOPIC_PARTITIONS: '2' }))).rejects.toThrow(
      "topic 'users_created' has 3, 'users_created.dlq' has 3 partitions, more than PIPELINE_TOPIC_PARTITIONS=2",
    );
  });

  it('passes with the same or a higher count (a higher one is only warned about)', async () => {
    await expect(ensureTopics(existingTopics(3), configWith({}))).resolves.toBeUndefined();
    await expect(ensureTopics(existingTopics(3), configWith({ PIPELINE_TOPIC_PARTITIONS: '6' }))).resolves.toBeUndefined();
  });

  it('fails when the topics have fewer copies than PIPELINE_TOPIC_REPLICATION (a cluster grown after they were made)', async () => {
    await expect(ensureTopics(existingTopics(3, 1), configWith({ PIPELINE_TOPIC_REPLICATION: '3' }))).rejects.toThrow(
      "topic 'users_created' has replication factor 1, 'users_created.dlq' has replication factor 1, lower than PIPELINE_TOPIC_REPLICATION=3",
    );
    // One partition short is short.
    await expect(ensureTopics(existingTopics(3, 3, 2), configWith({ PIPELINE_TOPIC_REPLICATION: '3' }))).rejects.toThrow("'users_created' has replication factor 2");
  });

  it('passes with as many copies as asked, or more', async () => {
    await expect(ensureTopics(existingTopics(3, 3), configWith({ PIPELINE_TOPIC_REPLICATION: '3' }))).resolves.toBeUndefined();
    await expect(ensureTopics(existingTopics(3, 3), configWith({ PIPELINE_TOPIC_REPLICATION: '1' }))).resolves.toBeUndefined();
  });

  /**
   * A Cassandra whose keyspace exists with `factor` copies in datacenter1 (NetworkTopologyStrategy, or SimpleStrategy as
   * stacks before the ring made it) and whose table has the columns of `fields`, recording the statements run.
   */
  function existingKeyspace(factor: number, fields = FIELDS, strategy: 'simple' | 'nts' = 'nts'): CqlSession & { statements: string[] } {
    const statements: string[] = [];
    const replication = strategy === 'simple'
      ? { class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: `${factor}` }
      : { class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', datacenter1: `${factor}` };
    return {
      statements,
      execute: (cql) => {
        statements.push(cql);
        if (cql.startsWith('SELECT replication')) return Promise.resolve({ rows: [{ get: () => replication }] });
        if (cql.startsWith('SELECT column_name')) return Promise.resolve({ rows: fields.map(({ name }) => ({ get: () => name })) });
        return Promise.resolve({ rows: [] });
      },
    };
  }

  it('refuses a smaller Cassandra replication before running any statement that changes something', async () => {
    const session = existingKeyspace(3);
    await expect(ensureKeyspaceAndTable(session, configWith({ PIPELINE_CASSANDRA_REPLICATION: '1' }), FIELDS)).rejects.toThrow(
      "keyspace 'spark_streams' has replication factor 3; PIPELINE_CASSANDRA_REPLICATION=1",
    );
    expect(session.statements).toEqual(['SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?']);
  });

  it('alters, then creates what is missing, once fewer replicas are accepted; an existing keyspace is not created again', async () => {
    const session = existingKeyspace(3);
    await ensureKeyspaceAndTable(session, configWith({ PIPELINE_CASSANDRA_REPLICATION: '1', PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS: 'true' }), FIELDS);
    // CREATE KEYSPACE, even IF NOT EXISTS, needs CREATE on every keyspace, which the bootstrap role does not have.
    expect(session.statements.slice(1).map((cql) => cql.split(' ').slice(0, 3).join(' '))).toEqual([
      'ALTER KEYSPACE spark_streams',
      'CREATE TABLE IF',
      'SELECT column_name FROM',
    ]);
  });

  it('with the factor unchanged, alters no keyspace and adds the columns of new fields to the existing table', async () => {
    const session = existingKeyspace(1);
    const evolved = userFields({ ...SCHEMA, fields: [...SCHEMA.fields, NATIONALITY] });
    await ensureKeyspaceAndTable(session, configWith({}), evolved);
    expect(session.statements.filter((cql) => !cql.startsWith('SELECT'))).toEqual([
      ...cassandraDdl('spark_streams', 'created_users', 'datacenter1', 1, evolved).slice(1),
      'ALTER TABLE spark_streams.created_users ADD nationality text',
    ]);
  });

  it("a single node's SimpleStrategy keyspace: altered to NetworkTopologyStrategy in place, its table kept (nothing dropped or created anew)", async () => {
    const session = existingKeyspace(1, FIELDS, 'simple');
    await ensureKeyspaceAndTable(session, configWith({}), FIELDS);
    expect(session.statements.filter((cql) => !cql.startsWith('SELECT'))).toEqual([
      "ALTER KEYSPACE spark_streams WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}",
      cassandraDdl('spark_streams', 'created_users', 'datacenter1', 1, FIELDS)[1],
    ]);
  });

  it('creates the keyspace when system_schema has none (a brought cluster whose role may create keyspaces)', async () => {
    const statements: string[] = [];
    const session: CqlSession = {
      execute: (cql) => {
        statements.push(cql);
        if (cql.startsWith('SELECT column_name')) return Promise.resolve({ rows: FIELDS.map(({ name }) => ({ get: () => name })) });
        return Promise.resolve({ rows: [] });
      },
    };
    await ensureKeyspaceAndTable(session, configWith({}), FIELDS);
    expect(statements.filter((cql) => !cql.startsWith('SELECT'))).toEqual(cassandraDdl('spark_streams', 'created_users', 'datacenter1', 1, FIELDS));
  });
});
