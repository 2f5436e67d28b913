/**
 * Who may do what, on the shared deployment after the pipeline test delivered its users: PostgreSQL's roles
 * per purpose (each refused outside its purpose, a wrong password refused), Cassandra's roles likewise (no login
 * without credentials, none with a wrong password or Cassandra's default one) and Spark's shared secret (the
 * master refuses an application without it or with a wrong one, and its UI's kill endpoint does nothing), and
 * Kafka's SASL/SCRAM users (no client without a login or with a wrong password; each user refused outside its ACLs).
 * The credentials are read where the containers get them, as an intruder with access to the engine could.
 */
import { spawn } from 'child_process';
import { Client as CassandraClient } from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { cassandraClient, cassandraSuperuser, type CassandraLogin } from '../../ops/cassandra-login';
import { containerLog, docker, PREFIX } from '../../ops/deployment';

const SPARK_SECURITY_PROPERTIES = '/opt/kafka-pipelining/spark-security.conf';

/** A container's environment as the engine shows it (`docker inspect`). */
export function containerEnv(name: string): Record<string, string> {
  const env = JSON.parse(docker('inspect', '-f', '{{json .Config.Env}}', name)) as string[];
  return Object.fromEntries(env.map((e) => e.split(/=(.*)/s).slice(0, 2)));
}

export interface PostgresRole {
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** The superuser and each role, with the passwords the PostgreSQL container applies at start. */
export function postgresRoles(): Record<'superuser' | 'airflow' | 'pipeline' | 'monitoring', PostgresRole> {
  const env = containerEnv(`${PREFIX}-postgres`);
  return {
    superuser: { user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, database: 'postgres' },
    airflow: { user: env.KP_PG_AIRFLOW_ROLE, password: env.KP_PG_AIRFLOW_PASSWORD, database: env.KP_PG_AIRFLOW_DATABASE },
    pipeline: { user: env.KP_PG_PIPELINE_ROLE, password: env.KP_PG_PIPELINE_PASSWORD, database: env.KP_PG_PIPELINE_DATABASE },
    monitoring: { user: env.KP_PG_MONITORING_ROLE, password: env.KP_PG_MONITORING_PASSWORD, database: 'postgres' },
  };
}

/** Cassandra's logins: the bootstrap role's from its container, the pipeline's and the read-only one's from the outputs, the superuser's from its volume. */
export function cassandraLogins(outputs: Record<string, string>): Record<'superuser' | 'bootstrap' | 'pipeline' | 'monitoring', CassandraLogin> {
  const bootstrap = containerEnv(`${PREFIX}-bootstrap`);
  return {
    superuser: cassandraSuperuser(),
    bootstrap: { username: bootstrap.PIPELINE_CASSANDRA_USERNAME, password: bootstrap.PIPELINE_CASSANDRA_PASSWORD },
    pipeline: { username: outputs.cassandra_user, password: outputs.cassandra_password },
    monitoring: { username: outputs.cassandra_monitoring_user, password: outputs.cassandra_monitoring_password },
  };
}

/**
 * What Cassandra says when it refuses `username` an action for lack of `permission`: Unauthorized (0x2100), naming the
 * user and the permission, or (Cassandra 5, e.g. for CREATE KEYSPACE) saying the user lacks the privileges.
 */
function refusedFor(username: string, permission: string): { code: number; message: unknown } {
  return { code: 0x2100, message: expect.stringMatching(new RegExp(`^User ${username} (has no ${permission} permission|does not have sufficient privileges)`)) };
}

/** Runs `cql` as `login` (or as it with another password) over the published port; resolves to the rows (none for a write). */
export async function cqlAs(outputs: Record<string, string>, login: CassandraLogin, cql: string, override: Partial<CassandraLogin> = {}): Promise<Record<string, unknown>[]> {
  const client = cassandraClient(outputs, { ...login, ...override });
  try {
    await client.connect();
    // A statement that returns no rows (DELETE, INSERT) gives a result without them.
    const { rows = [] } = await client.execute(cql);
    return rows.map((row) => Object.fromEntries(row.keys().map((key) => [key, row.get(key) as unknown])));
  } finally {
    await client.shutdown();
  }
}

/** Spark's shared secret, read from the properties file in the master. */
export function sparkSecret(): string {
  const properties = docker('exec', `${PREFIX}-spark-master`, 'cat', SPARK_SECURITY_PROPERTIES);
  const secret = /^spark\.authenticate\.secret=(.+)$/m.exec(properties)?.[1];
  if (!secret) throw new Error(`no spark.authenticate.secret in ${SPARK_SECURITY_PROPERTIES}`);
  return secret;
}

/** A Kafka user's login (SASL/SCRAM-SHA-512). */
export interface KafkaLogin {
  readonly username: string;
  readonly password: string;
}

/** The JAAS option's login in a properties file's text. */
function jaasLogin(properties: string, key: string, where: string): KafkaLogin {
  const match = new RegExp(`^${key.replace(/\./g, '\\.')}=.*username="([^"]+)" password="([^"]+)";$`, 'm').exec(properties);
  if (!match) throw new Error(`no ${key} in ${where}`);
  return { username: match[1], password: match[2] };
}

/**
 * Every Kafka user's login, read where its client gets it: the outputs (producer, read-only, admin), the bootstrap
 * job's environment, the Spark job's properties file, the registry's properties file and the broker's secrets volume.
 */
export function kafkaLogins(outputs: Record<string, string>): Record<'broker' | 'producer' | 'stream' | 'bootstrap' | 'monitoring' | 'schemaRegistry' | 'admin', KafkaLogin> {
  const bootstrap = containerEnv(`${PREFIX}-bootstrap`);
  const sparkJob = docker('exec', `${PREFIX}-spark-job`, 'cat', '/opt/kafka-pipelining/spark-job.conf');
  const stream = {
    username: /^spark\.pipeline\.kafka\.username=(.+)$/m.exec(sparkJob)?.[1] ?? '',
    password: /^spark\.pipeline\.kafka\.password=(.+)$/m.exec(sparkJob)?.[1] ?? '',
  };
  if (!stream.username || !stream.password) throw new Error("no spark.pipeline.kafka.* in the Spark job's properties file");
  return {
    broker: jaasLogin(docker('exec', `${PREFIX}-kafka`, 'cat', '/var/lib/kafka-pipelining/secrets/client.properties'), 'sasl.jaas.config', "the broker's client.properties"),
    producer: { username: outputs.kafka_producer_user, password: outputs.kafka_producer_password },
    stream,
    bootstrap: { username: bootstrap.PIPELINE_KAFKA_USERNAME, password: bootstrap.PIPELINE_KAFKA_PASSWORD },
    monitoring: { username: outputs.kafka_monitoring_user, password: outputs.kafka_monitoring_password },
    schemaRegistry: jaasLogin(
      docker('exec', `${PREFIX}-schema-registry`, 'cat', '/etc/kafka-pipelining/schema-registry.properties'), 'kafkastore.sasl.jaas.config', "the registry's properties",
    ),
    admin: { username: outputs.kafka_admin_user, password: outputs.kafka_admin_password },
  };
}

/** A kafkajs client of the published listener logging in as `login`, or with no login at all; it does not retry. */
function kafkaAs(outputs: Record<string, string>, login: KafkaLogin | undefined): Kafka {
  return new Kafka({
    clientId: 'e2e-authentication',
    brokers: outputs.kafka_bootstrap_servers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 10_000,
    ...(login ? { sasl: { mechanism: 'scram-sha-512' as const, username: login.username, password: login.password } } : {}),
  });
}

/** Runs `use` with a connected admin client of `kafka`, and disconnects it whatever happens. */
async function withAdmin<T>(kafka: Kafka, use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Sends one record to `topic` as the client, with a fresh producer (connected and disconnected around it). */
async function produceOnce(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'e2e-intruder', value: 'refused' }] });
  } finally {
    await producer.disconnect();
  }
}

/** Runs `sql` as `role` (or as it with another password or database) over the published port; resolves to the rows. */
export async function queryAs(postgresDsn: string, role: PostgresRole, sql: string, override: Partial<PostgresRole> = {}): Promise<Record<string, unknown>[]> {
  const { user, password, database } = { ...role, ...override };
  const address = new URL(postgresDsn);
  const client = new PgClient({ host: address.hostname, port: Number(address.port), user, password, database, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** A spark-submit of a one-line application from a container of the Spark image on the platform network. */
function submitProbe(image: string, name: string, conf: string[]): Promise<{ code: number | null; output: string; seconds: number }> {
  const script = 'from pyspark.sql import SparkSession; print("PROBE-ROWS", SparkSession.builder.getOrCreate().range(3).count())';
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('docker', [
      // Spark wants a driver heap of 450 MiB at least.
      'run', '--rm', '--name', name, '--network', `${PREFIX}-net`, '--memory', '1024m', '--entrypoint', 'bash', image, '-c',
      `printf '%s\\n' "$1" > /tmp/probe.py && exec /opt/spark/bin/spark-submit --master spark://${PREFIX}-spark-master:7077 --driver-memory 512m ` +
        `--conf spark.cores.max=1 ${conf.map((c) => `--conf ${c}`).join(' ')} /tmp/probe.py`,
      'probe', script,
    ]);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // Spark's client gives up after three 20 s registration attempts; past that, something else is wrong.
    const timer = setTimeout(() => spawn('docker', ['rm', '-f', name]), 4 * 60 * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

interface MasterStatus {
  activeapps: { id: string; name: string; state: string }[];
}

/** The streaming job's application name in the master. */
const STREAMING_APP = 'stream_users';

async function masterStatus(masterUiUrl: string): Promise<MasterStatus> {
  const response = await fetch(`${masterUiUrl}/json/`);
  if (!response.ok) throw new Error(`the Spark master's UI answered ${response.status}`);
  return (await response.json()) as MasterStatus;
}

/** The tests, on the shared deployment whose outputs `outputs()` gives once it is up. */
export function authenticationTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  describe('authentication: each credential is refused outside its purpose', () => {
    test('the schema registry asks every call for a login; the reader may read but not register, the writer may read', async () => {
      const o = outputs();
      const call = async (path: string, login?: { user: string; password: string }, init: RequestInit = {}) => {
        const headers: Record<string, string> = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };
        if (login) headers.Authorization = `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
        return (await fetch(`${o.schema_registry_url}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) })).status;
      };
      const reader = { user: o.schema_registry_user, password: o.schema_registry_password };
      const writer = { user: o.schema_registry_writer_user, password: o.schema_registry_writer_password };
      // No login, and a wrong password: refused, GET / (Confluent's empty object) included.
      for (const path of ['/', '/subjects']) expect({ path, status: await call(path) }).toEqual({ path, status: 401 });
      expect(await call('/subjects', { ...reader, password: `${reader.password}x` })).toBe(401);
      expect(await call('/subjects', { ...writer, password: `${writer.password}x` })).toBe(401);
      expect(await call('/subjects', reader)).toBe(200);
      expect(await call('/subjects', writer)).toBe(200);
      // The reader's registration is refused: 403 on the host-built image (nginx's readonly role), which the suite runs
      // (KP_IMAGE_SOURCE=host). Confluent's open-source registry has no per-role permissions: there the reader may write.
      const schema = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'ReaderProbe', fields: [{ name: 'a', type: 'string' }] }), schemaType: 'AVRO' });
      expect(await call('/subjects/e2e-reader-probe-value/versions', reader, { method: 'POST', body: schema })).toBe(403);
      expect(await call('/subjects/e2e-reader-probe-value/versions', reader)).toBe(404);
    });

    test("PostgreSQL: the pipeline role only in the pipeline's database, not a superuser, no CREATE DATABASE; Airflow's role not in the pipeline's; wrong passwords refused", async () => {
      const dsn = outputs().postgres_dsn;
      const roles = postgresRoles();
      // The output names the pipeline's role, and it is the role the jobs get.
      expect(new URL(dsn).username).toBe(roles.pipeline.user);
      expect(decodeURIComponent(new URL(dsn).password)).toBe(roles.pipeline.password);
      expect(new URL(containerEnv(`${PREFIX}-bootstrap`).PIPELINE_PG_DSN).username).toBe('pipeline');
      expect(new URL(containerEnv(`${PREFIX}-airflow-scheduler`).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).username).toBe('airflow');

      for (const name of ['airflow', 'pipeline', 'monitoring'] as const) {
        const [attributes] = await queryAs(dsn, roles[name], 'SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user');
        expect({ name, attributes }).toEqual({ name, attributes: { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false } });
      }
      // The pipeline role reads its users; it owns its tables.
      const [users] = await queryAs(dsn, roles.pipeline, 'SELECT count(*)::int AS n FROM users');
      expect(users.n).toBeGreaterThan(0);
      await expect(queryAs(dsn, roles.pipeline, 'SELECT 1', { database: roles.airflow.database })).rejects.toThrow(`permission denied for database "${roles.airflow.database}"`);
      await expect(queryAs(dsn, roles.pipeline, 'CREATE DATABASE e2e_intruder')).rejects.toThrow('permission denied to create database');
      await expect(queryAs(dsn, roles.pipeline, 'CREATE ROLE e2e_intruder')).rejects.toThrow('permission denied to create role');
      await expect(queryAs(dsn, roles.airflow, 'SELECT count(*) FROM users', { database: roles.pipeline.database })).rejects.toThrow(`permission denied for database "${roles.pipeline.database}"`);
      await expect(queryAs(dsn, roles.monitoring, 'SELECT count(*) FROM users', { database: roles.pipeline.database })).rejects.toThrow(`permission denied for database "${roles.pipeline.database}"`);
      for (const name of ['superuser', 'airflow', 'pipeline', 'monitoring'] as const) {
        await expect(queryAs(dsn, roles[name], 'SELECT 1', { password: `${roles[name].password}x` })).rejects.toThrow(`password authentication failed for user "${roles[name].user}"`);
      }
      // The monitoring role, with pg_monitor, is all the exporter needs: it sizes both databases.
      const sizes = await queryAs(dsn, roles.monitoring, `SELECT datname, pg_database_size(datname) > 0 AS sized FROM pg_database WHERE datname IN ('${roles.airflow.database}', '${roles.pipeline.database}') ORDER BY 1`);
      expect(sizes).toEqual([{ datname: roles.airflow.database, sized: true }, { datname: roles.pipeline.database, sized: true }].sort((a, b) => a.datname.localeCompare(b.datname)));
      // The superuser's password is in PostgreSQL's container alone.
      const holders = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}').split('\n').filter(Boolean)
        .filter((name) => docker('inspect', '-f', '{{json .Config}}', name).includes(roles.superuser.password));
      expect(holders).toEqual([`${PREFIX}-postgres`]);
    }, 5 * 60 * 1000);

    test("Cassandra: no login without credentials, with a wrong password or the default one; each role refused outside its job; none a superuser but the platform's", async () => {
      const out = outputs();
      const logins = cassandraLogins(out);
      const table = 'spark_streams.created_users';
      // No credentials: the node asks for them, and the driver has none to give.
      const anonymous = new CassandraClient({ contactPoints: out.cassandra_contact_point.split(','), localDataCenter: out.cassandra_datacenter });
      await expect(anonymous.connect().finally(() => anonymous.shutdown())).rejects.toThrow(/requires authentication/);
      for (const name of ['superuser', 'bootstrap', 'pipeline', 'monitoring'] as const) {
        await expect(cqlAs(out, logins[name], 'SELECT now() FROM system.local', { password: `${logins[name].password}x` })).rejects.toThrow(
          `Provided username ${logins[name].username} and/or password are incorrect`,
        );
      }
      // Cassandra's default superuser is gone.
      await expect(cqlAs(out, { username: 'cassandra', password: 'cassandra' }, 'SELECT now() FROM system.local')).rejects.toThrow('Provided username cassandra and/or password are incorrect');

      // Each role does its job: the pipeline role reads and writes the table, the read-only role reads it.
      const [{ n }] = await cqlAs(out, logins.monitoring, `SELECT count(*) AS n FROM ${table}`);
      expect(Number(n)).toBeGreaterThan(0);
      const probe = '00000000-0000-4000-8000-0000000e2e13';
      await cqlAs(out, logins.pipeline, `DELETE FROM ${table} WHERE id = ${probe}`);
      // And nothing more.
      await expect(cqlAs(out, logins.monitoring, `DELETE FROM ${table} WHERE id = ${probe}`)).rejects.toMatchObject(refusedFor(logins.monitoring.username, 'MODIFY'));
      for (const name of ['pipeline', 'monitoring', 'bootstrap'] as const) {
        const { username } = logins[name];
        await expect(cqlAs(out, logins[name], "CREATE KEYSPACE e2e_intruder WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")).rejects.toMatchObject(refusedFor(username, 'CREATE'));
        await expect(cqlAs(out, logins[name], 'SELECT role, salted_hash FROM system_auth.roles')).rejects.toMatchObject(refusedFor(username, 'SELECT'));
        await expect(cqlAs(out, logins[name], "CREATE ROLE e2e_intruder WITH PASSWORD = 'e2e-intruder-password' AND LOGIN = true")).rejects.toMatchObject(refusedFor(username, 'CREATE'));
        // Unauthorized (0x2100), whichever check refuses it first.
        await expect(cqlAs(out, logins[name], `ALTER ROLE ${logins.superuser.username} WITH PASSWORD = 'e2e-intruder-password'`)).rejects.toMatchObject({ code: 0x2100 });
      }
      for (const name of ['pipeline', 'monitoring'] as const) {
        await expect(cqlAs(out, logins[name], `DROP TABLE ${table}`)).rejects.toMatchObject(refusedFor(logins[name].username, 'DROP'));
        await expect(cqlAs(out, logins[name], `ALTER TABLE ${table} ADD e2e_intruder text`)).rejects.toMatchObject(refusedFor(logins[name].username, 'ALTER'));
      }
      // Only the platform's superuser is one.
      const roles = await cqlAs(out, logins.superuser, 'SELECT role, is_superuser, can_login FROM system_auth.roles');
      expect(roles.map((r) => [r.role, r.is_superuser, r.can_login]).sort()).toEqual(
        [[logins.superuser.username, true, true], ['bootstrap', false, true], ['monitoring', false, true], ['pipeline', false, true]].sort(),
      );
      // system_auth is replicated like the pipeline's keyspace.
      const replication = await cqlAs(out, logins.monitoring, "SELECT keyspace_name, replication FROM system_schema.keyspaces WHERE keyspace_name IN ('system_auth', 'spark_streams')");
      expect(new Set(replication.map((r) => JSON.stringify(r.replication))).size).toBe(1);
      // The passwords travel in files: only the bootstrap job's container shows its role's (README, "Security"); the
      // superuser's volume is mounted by the roles job alone.
      for (const name of ['superuser', 'pipeline', 'monitoring', 'bootstrap'] as const) {
        const holders = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}').split('\n').filter(Boolean)
          .filter((container) => docker('inspect', '-f', '{{json .Config}}', container).includes(logins[name].password));
        expect({ name, holders }).toEqual({ name, holders: name === 'bootstrap' ? [`${PREFIX}-bootstrap`] : [] });
      }
    }, 5 * 60 * 1000);

    test("Kafka: no client without a login or with a wrong password; each user refused outside its ACLs; the passwords in files but the listed ones", async () => {
      const out = outputs();
      const logins = kafkaLogins(out);
      const users = 'users_created';
      // No login: the listener speaks SASL only, so a plain client gets no answer to its first request.
      await expect(withAdmin(kafkaAs(out, undefined), (admin) => admin.listTopics())).rejects.toThrow();
      // A wrong password, for every user (the broker's own and the super user's included).
      for (const [name, login] of Object.entries(logins)) {
        const refused = await withAdmin(kafkaAs(out, { ...login, password: `${login.password}x` }), (admin) => admin.listTopics()).then(() => '', (e: Error) => e.message);
        expect({ name, refused }).toEqual({ name, refused: expect.stringMatching(/authentication failed/i) as string });
      }
      // Each login works, within its ACLs: the producer sees the users topic (its Describe) ...
      const metadata = await withAdmin(kafkaAs(out, logins.producer), (admin) => admin.fetchTopicMetadata({ topics: [users] }));
      expect(metadata.topics.map((t) => t.name)).toEqual([users]);
      // ... but may not write a topic outside its job; the Spark job's user may not write the users topic; the
      // read-only user may write nothing and create no topic; none of them may create topics.
      await expect(produceOnce(kafkaAs(out, logins.producer), 'e2e-intruder')).rejects.toThrow(/authoriz/i);
      await expect(produceOnce(kafkaAs(out, logins.stream), users)).rejects.toThrow(/authoriz/i);
      await expect(produceOnce(kafkaAs(out, logins.monitoring), users)).rejects.toThrow(/authoriz/i);
      for (const name of ['producer', 'stream', 'monitoring', 'schemaRegistry'] as const) {
        const created = await withAdmin(kafkaAs(out, logins[name]), (admin) => admin.createTopics({ topics: [{ topic: 'e2e-intruder', numPartitions: 1 }] })).then(() => true, () => false);
        expect({ name, created }).toEqual({ name, created: false });
      }
      // The read-only user reads the users topic's offsets (what verify and the status do).
      const offsets = await withAdmin(kafkaAs(out, logins.monitoring), (admin) => admin.fetchTopicOffsets(users));
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBeGreaterThan(0);
      // Nothing was created on the way.
      expect(await withAdmin(kafkaAs(out, logins.admin), (admin) => admin.listTopics())).not.toContain('e2e-intruder');

      // The passwords travel in files (README, "Security"): only the jobs that read PIPELINE_KAFKA_PASSWORD show theirs.
      const expected: Record<string, string[]> = {
        producer: [`${PREFIX}-airflow-scheduler`], bootstrap: [`${PREFIX}-bootstrap`], monitoring: [`${PREFIX}-pipeline-metrics`],
      };
      const containers = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}').split('\n').filter(Boolean);
      const configs = new Map(containers.map((container) => [container, docker('inspect', '-f', '{{json .Config}}', container)]));
      for (const [name, login] of Object.entries(logins)) {
        const holders = containers.filter((container) => configs.get(container)!.includes(login.password)).sort();
        expect({ name, holders }).toEqual({ name, holders: expected[name] ?? [] });
      }
    }, 5 * 60 * 1000);

    test("Spark: the master refuses an application without the shared secret and one with a wrong secret; its UI's kill endpoint does nothing", async () => {
      const image = docker('inspect', '-f', '{{.Image}}', `${PREFIX}-spark-master`);
      const since = new Date().toISOString();
      const [without, wrong] = await Promise.all([
        submitProbe(image, `${PREFIX}-e2e-spark-probe-1`, []),
        submitProbe(image, `${PREFIX}-e2e-spark-probe-2`, ['spark.authenticate=true', `spark.authenticate.secret=${'x'.repeat(48)}`]),
      ]);
      figures.sparkRefusalSeconds = { withoutSecret: without.seconds, wrongSecret: wrong.seconds };
      // Spark logs to stderr, which docker() does not capture.
      const masterLog = containerLog(`${PREFIX}-spark-master`, since);
      for (const [attempt, probe] of [['without the secret', without], ['with a wrong secret', wrong]] as const) {
        // The application never ran: no rows counted (a traceback quotes the script's line, not its answer), and the client gave up registering.
        expect({ attempt, ran: /PROBE-ROWS 3\b/.test(probe.output) }).toEqual({ attempt, ran: false });
        expect({ attempt, failed: probe.code !== 0 }).toEqual({ attempt, failed: true });
        expect({ attempt, gaveUp: /All masters are unresponsive|Application has been killed|Failed to connect to master/.test(probe.output) }).toEqual({ attempt, gaveUp: true });
      }
      // The master refused them in its authentication handshake (SASL), and registered no new application.
      expect(masterLog).toContain('Expected SaslMessage, received something else');
      expect(masterLog).toContain('DIGEST-MD5: digest response format violation');
      expect(masterLog).not.toMatch(new RegExp(`Registering app (?!${STREAMING_APP}\\b)`));

      // The streaming job, which holds the secret, is registered and running; the UI's kill endpoint leaves it so.
      // It registers under the name its session gives itself (stream_users.py's appName overrides spark-submit's --name).
      const ui = outputs().spark_master_ui_url;
      const [app] = (await masterStatus(ui)).activeapps.filter((a) => a.name === STREAMING_APP);
      expect(app?.state).toBe('RUNNING');
      const page = await (await fetch(`${ui}/`)).text();
      expect(page).toContain(STREAMING_APP);
      expect(page).not.toContain('app/kill');
      await fetch(`${ui}/app/kill/`, { method: 'POST', body: new URLSearchParams({ id: app.id, terminate: 'true' }) });
      await new Promise((r) => setTimeout(r, 5000));
      expect((await masterStatus(ui)).activeapps.filter((a) => a.name === STREAMING_APP)).toEqual([expect.objectContaining({ id: app.id, state: 'RUNNING' })]);
    }, 10 * 60 * 1000);
  });
}
