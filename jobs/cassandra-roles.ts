/**
 * The roles of the platform's own Cassandra, applied at every deploy as its superuser, after the node is healthy and
 * before any client starts (constructs/cassandra-roles.ts):
 *   - the superuser: its credential is on a volume of its own (KP_CASSANDRA_SUPERUSER_FILE), made here the first
 *     time and kept with the data (`retainVolumes`), since a new deploy cannot learn a kept node's superuser password
 *     otherwise. It logs in as it; on a new node (or one that ran without authentication) as Cassandra's default
 *     `cassandra`, creates it, and drops `cassandra`;
 *   - system_auth replicated like the pipeline's keyspace; when that adds copies (a ring grown from fewer nodes), its
 *     rows read once at ALL, which copies them to the new replicas before any login depends on them there;
 *   - each client role (KP_CASSANDRA_ROLES_FILE) created if missing, given this deploy's password, no superuser;
 *   - the pipeline's keyspace created when missing, and each role left with exactly its permissions on it.
 * Every statement is idempotent, so a kept data directory (roles with the last deploy's passwords) ends like a new one.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cassandra from 'cassandra-driver';
import {
  clientRoleStatements,
  DEFAULT_SUPERUSER,
  permissionStatements,
  redactStatement,
  superuserStatements,
  systemAuthReplication,
  validateRolesPlan,
  type RolesPlan,
} from './lib/cassandra-roles';
import { keyspaceDdl } from './lib/keyspace';
import { describeError, sleep } from './lib/retry';
import { log, runMain, step } from './lib/run';

interface Credential {
  readonly username: string;
  readonly password: string;
}

const SERVICE_TIMEOUT_MS = 5 * 60 * 1000;
/** A new node creates its default superuser about 10 s after it serves CQL (superuser_setup_delay_ms). */
const DEFAULT_ROLE_WAIT_MS = 2 * 60 * 1000;

/** The superuser's credential from its volume, made there (readable by this job's user alone) when the volume holds none. */
export function superuserCredential(file: string, username: string): Credential {
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Credential;
    if (typeof stored.username !== 'string' || typeof stored.password !== 'string') throw new Error(`${file} holds no username and password`);
    return stored;
  }
  // Letters and digits, as the generated passwords: safe in any CQL literal or configuration file.
  const password = randomBytes(48).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 40);
  const credential = { username, password };
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  fs.writeFileSync(temporary, JSON.stringify(credential), { mode: 0o600 });
  fs.renameSync(temporary, file);
  log(`superuser '${username}': a new password generated into ${file}`);
  return credential;
}

/** Whether connecting failed because every node refused the credential. */
export function refusedCredential(error: unknown): boolean {
  const inner = (error as { innerErrors?: Record<string, unknown> } | null)?.innerErrors;
  const errors = inner ? Object.values(inner) : [];
  return errors.length > 0 && errors.every((e) => e instanceof cassandra.errors.AuthenticationError || (e as Error | null)?.name === 'AuthenticationError');
}

async function connect(plan: RolesPlan, credential: Credential): Promise<cassandra.Client> {
  const client = new cassandra.Client({
    contactPoints: [...plan.contactPoints],
    localDataCenter: plan.datacenter,
    authProvider: new cassandra.auth.PlainTextAuthProvider(credential.username, credential.password),
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.shutdown();
    throw error;
  }
}

/**
 * A session as the superuser. On a node that does not know it yet, as the default superuser first, to create it:
 * a new node makes that one a few seconds after it serves CQL, so a refusal of both is waited out for a while.
 */
async function superuserSession(plan: RolesPlan, superuser: Credential, volume: string): Promise<cassandra.Client> {
  const started = Date.now();
  for (;;) {
    try {
      return await connect(plan, superuser);
    } catch (error) {
      if (!refusedCredential(error)) throw error;
    }
    let client: cassandra.Client;
    try {
      client = await connect(plan, DEFAULT_SUPERUSER);
    } catch (error) {
      if (!refusedCredential(error)) throw error;
      if (Date.now() - started > DEFAULT_ROLE_WAIT_MS) {
        throw new Error(
          `the node refuses both the superuser '${superuser.username}' of ${volume} and Cassandra's default one: its data holds ` +
            "roles of a superuser whose password is lost (was the superuser's volume removed while the data volume was kept?). " +
            'Remove the data volume too, or set a password for the superuser by hand and put it in that volume.',
        );
      }
      log(`neither '${superuser.username}' nor the default superuser logs in yet: waiting for the node to create its default one`);
      await sleep(3000);
      continue;
    }
    try {
      log(`logged in as the default superuser '${DEFAULT_SUPERUSER.username}': creating '${superuser.username}'`);
      for (const cql of superuserStatements(superuser.username, superuser.password)) await client.execute(cql);
    } finally {
      await client.shutdown();
    }
  }
}

/** The part of a Cassandra client the system_auth repair uses. */
export interface AuthSession {
  execute(cql: string, params?: unknown[], options?: cassandra.QueryOptions): Promise<{ rows: Array<{ get(column: string): unknown }>; pageState?: string | null }>;
}

/**
 * How long the repair tries a read again, whatever failed: a node may be restarting, and until `roles` is repaired a
 * node may read the superuser's own row from two new replicas, find nothing and refuse it.
 */
const AUTH_REPAIR_TIMEOUT_MS = 60_000;
const AUTH_REPAIR_RETRY_MS = 2000;

/**
 * Copies every row of system_auth to the replicas an ALTER just added, as `nodetool repair system_auth` would: each
 * table read whole at ALL, since a read at ALL writes to every replica what it lacks (read repair) before it returns.
 * `roles` first, the table every login reads (the superuser's row among them). Tables are tiny: a few rows per role.
 */
export async function repairSystemAuth(client: AuthSession, raisedFrom: number, replication: number, timeoutMs = AUTH_REPAIR_TIMEOUT_MS): Promise<void> {
  const listed = await client.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'system_auth'");
  const tables = listed.rows.map((row) => String(row.get('table_name'))).sort((a, b) => Number(b === 'roles') - Number(a === 'roles') || a.localeCompare(b));
  const deadline = Date.now() + timeoutMs;
  const readAtAll = async (table: string, pageState: string | undefined) => {
    for (;;) {
      try {
        return await client.execute(`SELECT * FROM system_auth.${table}`, [], { consistency: cassandra.types.consistencies.all, fetchSize: 1000, pageState });
      } catch (error) {
        if (Date.now() + AUTH_REPAIR_RETRY_MS > deadline) throw error;
        log(`system_auth.${table} at ALL: ${describeError(error)}; trying again`);
        await sleep(AUTH_REPAIR_RETRY_MS);
      }
    }
  };
  try {
    for (const table of tables) {
      let pageState: string | undefined;
      do pageState = (await readAtAll(table, pageState)).pageState ?? undefined;
      while (pageState !== undefined);
      log(`system_auth.${table}: every row on all ${replication} replicas`);
    }
  } catch (error) {
    // Not transient for the step around it: a retry of the roles would find system_auth altered and skip this.
    throw new Error(
      `system_auth went from ${raisedFrom} to ${replication} copies, but copying its rows to the new replicas failed (${describeError(error)}): ` +
        "run 'nodetool repair -full system_auth' on every node, then deploy again",
    );
  }
}

async function apply(client: cassandra.Client, plan: RolesPlan): Promise<void> {
  const run = async (cql: string) => {
    await client.execute(cql);
    log(redactStatement(cql));
  };
  // A superuser cannot drop the role it is logged in as: this session is the platform's superuser.
  await run(`DROP ROLE IF EXISTS ${DEFAULT_SUPERUSER.username}`);
  const auth = await client.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'system_auth'");
  const change = systemAuthReplication(auth.rows[0]?.get('replication') as Record<string, string> | undefined, plan.datacenter, plan.replication);
  if (change.alter) await run(change.alter);
  if (change.raisedFrom !== undefined) await repairSystemAuth(client, change.raisedFrom, plan.replication);
  for (const cql of clientRoleStatements(plan.roles)) await run(cql);
  await run(keyspaceDdl(plan.keyspace, plan.datacenter, plan.replication));
  for (const role of plan.roles) {
    const granted = await client.execute('SELECT resource, permissions FROM system_auth.role_permissions WHERE role = ?', [role.name], { prepare: true });
    const { statements, unknown } = permissionStatements(
      role,
      plan.keyspace,
      granted.rows.map((row) => ({ resource: String(row.get('resource')), permissions: (row.get('permissions') as string[] | null) ?? [] })),
    );
    for (const cql of statements) await run(cql);
    if (unknown.length > 0) log(`WARNING: role '${role.name}' also holds permissions on ${unknown.join(', ')}, which this job does not revoke`);
    log(`role '${role.name}': login with this deploy's password, ${role.permissions.join(', ')} on keyspace ${plan.keyspace}`);
  }
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const rolesFile = env.KP_CASSANDRA_ROLES_FILE;
  const superuserFile = env.KP_CASSANDRA_SUPERUSER_FILE;
  if (!rolesFile || !superuserFile) throw new Error('KP_CASSANDRA_ROLES_FILE and KP_CASSANDRA_SUPERUSER_FILE must be set');
  const plan = validateRolesPlan(JSON.parse(fs.readFileSync(rolesFile, 'utf8')));
  const superuser = superuserCredential(superuserFile, plan.superuser);
  const client = await step(`Cassandra login as '${superuser.username}'`, SERVICE_TIMEOUT_MS, () => superuserSession(plan, superuser, path.dirname(superuserFile)));
  try {
    await step('roles and permissions', SERVICE_TIMEOUT_MS, () => apply(client, plan));
  } catch (error) {
    throw new Error(`applying the roles failed: ${describeError(error)}`, { cause: error });
  } finally {
    await client.shutdown();
  }
  log('roles applied');
  return 0;
}

if (require.main === module) runMain('cassandra-roles', main);
