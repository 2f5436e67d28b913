/**
 * The roles of the platform's own Cassandra as CQL: what the cassandra-roles job (jobs/cassandra-roles.ts) runs as
 * the superuser at every deploy. Pure functions of the wanted state and what the node holds, so that each
 * statement is tested without a node; a role's password is in no message or log line built here.
 */
import { cqlString, networkTopology, replicationCopies, type KeyspaceReplication } from './keyspace';

/** A permission CQL grants on a keyspace (and so on its tables). */
export type KeyspacePermission = 'CREATE' | 'ALTER' | 'DROP' | 'SELECT' | 'MODIFY' | 'AUTHORIZE';

/** A login role the platform's clients use: never a superuser, with exactly `permissions` on the pipeline's keyspace. */
export interface ClientRole {
  readonly name: string;
  readonly password: string;
  readonly permissions: readonly KeyspacePermission[];
}

/** What the job applies: its file (KP_CASSANDRA_ROLES_FILE), written by constructs/cassandra-roles.ts. */
export interface RolesPlan {
  /** `host:port` of each node. */
  readonly contactPoints: readonly string[];
  readonly datacenter: string;
  /** The superuser the job logs in as; its password is on the superuser volume, not here. */
  readonly superuser: string;
  /** The pipeline's keyspace: created when missing, so that its grants can name it. */
  readonly keyspace: string;
  /** Replication factor of the pipeline's keyspace, which system_auth follows. */
  readonly replication: number;
  readonly roles: readonly ClientRole[];
}

/** Cassandra's own superuser on a new node (and on one that ran without authentication). */
export const DEFAULT_SUPERUSER = { username: 'cassandra', password: 'cassandra' } as const;

const IDENTIFIER = /^[a-z][a-z0-9_]{0,47}$/;
const PERMISSIONS: readonly KeyspacePermission[] = ['CREATE', 'ALTER', 'DROP', 'SELECT', 'MODIFY', 'AUTHORIZE'];

/** Checks a plan read from the job's file: every problem in one error, no password in it. */
export function validateRolesPlan(value: unknown): RolesPlan {
  const plan = value as RolesPlan;
  const problems: string[] = [];
  const identifier = (what: string, name: unknown) => {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) problems.push(`${what} must be a lower-case CQL identifier, got ${JSON.stringify(name)}`);
  };
  if (!Array.isArray(plan?.contactPoints) || plan.contactPoints.length === 0) problems.push('contactPoints must list host:port');
  if (typeof plan?.datacenter !== 'string' || plan.datacenter === '') problems.push('datacenter must be a name');
  identifier('superuser', plan?.superuser);
  identifier('keyspace', plan?.keyspace);
  if (!Number.isInteger(plan?.replication) || plan.replication < 1) problems.push(`replication must be a whole number from 1, got ${JSON.stringify(plan?.replication)}`);
  const names = new Set<string>();
  const roles: readonly Partial<ClientRole>[] = Array.isArray(plan?.roles) ? plan.roles : [];
  for (const [i, role] of roles.entries()) {
    identifier(`roles[${i}].name`, role?.name);
    const name = String(role?.name);
    if (name === plan.superuser || name === DEFAULT_SUPERUSER.username) problems.push(`roles[${i}].name must not be a superuser's, got '${name}'`);
    if (names.has(name)) problems.push(`roles[${i}].name '${name}' is given twice`);
    names.add(name);
    if (typeof role?.password !== 'string' || role.password.length < 16) problems.push(`roles[${i}].password must be a string of 16 characters or more`);
    const unknown = (Array.isArray(role?.permissions) ? (role.permissions as unknown[]) : [undefined]).filter((p: unknown) => !PERMISSIONS.includes(p as KeyspacePermission));
    if (unknown.length > 0) problems.push(`roles[${i}].permissions must be among ${PERMISSIONS.join(', ')}, got ${JSON.stringify(role?.permissions)}`);
  }
  if (!Array.isArray(plan?.roles) || plan.roles.length === 0) problems.push('roles must list the client roles');
  if (problems.length > 0) throw new Error(`invalid roles file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return plan;
}

/**
 * The superuser, created by whoever is logged in (the default superuser on a new node) or brought to its password
 * (it may exist from an interrupted first run). A role cannot change its own superuser status, so this is for
 * another login than `superuser`.
 */
export function superuserStatements(superuser: string, password: string): string[] {
  const options = `PASSWORD = ${cqlString(password)} AND SUPERUSER = true AND LOGIN = true`;
  return [`CREATE ROLE IF NOT EXISTS ${superuser} WITH ${options}`, `ALTER ROLE ${superuser} WITH ${options}`];
}

/** Each client role created if missing and brought to its password, as a login that is no superuser. */
export function clientRoleStatements(roles: readonly ClientRole[]): string[] {
  return roles.flatMap((role) => {
    const options = `PASSWORD = ${cqlString(role.password)} AND SUPERUSER = false AND LOGIN = true`;
    return [`CREATE ROLE IF NOT EXISTS ${role.name} WITH ${options}`, `ALTER ROLE ${role.name} WITH ${options}`];
  });
}

/** What brings system_auth to the keyspace's replication. */
export interface SystemAuthChange {
  readonly alter?: string;
  /**
   * The copies it had in the datacenter, when the ALTER adds copies: until they are repaired, its rows are on the old
   * replicas alone, and a login read at LOCAL_QUORUM from new replicas finds no role.
   */
  readonly raisedFrom?: number;
}

/**
 * system_auth replicated like the pipeline's keyspace (NetworkTopologyStrategy, `replication` copies in `datacenter`),
 * unless it already is: its rows are every login, and a node holding none of them refuses every client.
 */
export function systemAuthReplication(current: KeyspaceReplication | undefined, datacenter: string, replication: number): SystemAuthChange {
  const copies = (current && replicationCopies(current, datacenter)) ?? 0;
  const otherOptions = Object.keys(current ?? {}).filter((key) => key !== 'class' && key !== datacenter);
  if (current?.class?.endsWith('NetworkTopologyStrategy') && copies === replication && otherOptions.length === 0) return {};
  const alter = `ALTER KEYSPACE system_auth WITH replication = ${networkTopology(datacenter, replication)}`;
  return copies < replication ? { alter, raisedFrom: copies } : { alter };
}

/** A row of system_auth.role_permissions: a resource as Cassandra names it (`data/ks`, `data/ks/table`, `roles/r`) and what is granted on it. */
export interface GrantedPermissions {
  readonly resource: string;
  readonly permissions: readonly string[];
}

/** A resource name of system_auth.role_permissions as CQL names it, undefined for kinds the platform never grants. */
export function resourceCql(resource: string): string | undefined {
  const [kind, ...rest] = resource.split('/');
  if (kind === 'data') {
    if (rest.length === 0) return 'ALL KEYSPACES';
    if (rest.length === 1) return `KEYSPACE ${rest[0]}`;
    if (rest.length === 2) return `TABLE ${rest[0]}.${rest[1]}`;
  }
  if (kind === 'roles') return rest.length === 0 ? 'ALL ROLES' : `ROLE ${rest[0]}`;
  return undefined;
}

/**
 * The GRANTs and REVOKEs that leave `role` with exactly its permissions on `keyspace`: what it lacks is granted,
 * anything else it holds is revoked (e.g. what its creator's rights gave the bootstrap role on a table it made, or
 * a keyspace the pipeline used before). Resources of other kinds (functions, MBeans) are returned apart, to report.
 */
export function permissionStatements(role: ClientRole, keyspace: string, granted: readonly GrantedPermissions[]): { statements: string[]; unknown: string[] } {
  const target = `data/${keyspace}`;
  const held = new Set(granted.find((g) => g.resource === target)?.permissions ?? []);
  const statements = role.permissions.filter((p) => !held.has(p)).map((p) => `GRANT ${p} ON KEYSPACE ${keyspace} TO ${role.name}`);
  const unknown: string[] = [];
  for (const { resource, permissions } of [...granted].sort((a, b) => a.resource.localeCompare(b.resource))) {
    const extra = [...permissions].filter((p) => resource !== target || !role.permissions.includes(p as KeyspacePermission)).sort();
    if (extra.length === 0) continue;
    const cql = resourceCql(resource);
    if (cql === undefined) unknown.push(resource);
    else statements.push(...extra.map((p) => `REVOKE ${p} ON ${cql} FROM ${role.name}`));
  }
  return { statements, unknown };
}

/** A statement as it may be logged: passwords replaced. */
export function redactStatement(cql: string): string {
  return cql.replace(/PASSWORD = '(?:[^']|'')*'/g, "PASSWORD = '***'");
}
