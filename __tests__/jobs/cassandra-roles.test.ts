import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cassandra from 'cassandra-driver';
import { type AuthSession, refusedCredential, repairSystemAuth, superuserCredential } from '../../jobs/cassandra-roles';
import {
  clientRoleStatements,
  permissionStatements,
  redactStatement,
  resourceCql,
  superuserStatements,
  systemAuthReplication,
  validateRolesPlan,
  type ClientRole,
  type RolesPlan,
} from '../../jobs/lib/cassandra-roles';

const PIPELINE: ClientRole = { name: 'pipeline', password: 'P1peline0000000000000000', permissions: ['SELECT', 'MODIFY'] };
const PLAN: RolesPlan = {
  contactPoints: ['kp-cassandra:9042'],
  datacenter: 'datacenter1',
  superuser: 'platform',
  keyspace: 'spark_streams',
  replication: 1,
  roles: [PIPELINE, { name: 'monitoring', password: 'M0nitoring00000000000000', permissions: ['SELECT'] }],
};

describe('the roles as CQL', () => {
  test('the superuser: created if missing, then brought to its password, superuser and login', () => {
    expect(superuserStatements('platform', 'Secret0123456789')).toEqual([
      "CREATE ROLE IF NOT EXISTS platform WITH PASSWORD = 'Secret0123456789' AND SUPERUSER = true AND LOGIN = true",
      "ALTER ROLE platform WITH PASSWORD = 'Secret0123456789' AND SUPERUSER = true AND LOGIN = true",
    ]);
  });

  test('each client role: created if missing, then given this deploy\'s password, a login that is no superuser (a kept role too)', () => {
    expect(clientRoleStatements([PIPELINE])).toEqual([
      "CREATE ROLE IF NOT EXISTS pipeline WITH PASSWORD = 'P1peline0000000000000000' AND SUPERUSER = false AND LOGIN = true",
      "ALTER ROLE pipeline WITH PASSWORD = 'P1peline0000000000000000' AND SUPERUSER = false AND LOGIN = true",
    ]);
  });

  test('a quote in a password is doubled, and a logged statement shows no password', () => {
    const [create] = superuserStatements('platform', "it's");
    expect(create).toContain("PASSWORD = 'it''s'");
    expect(redactStatement(create)).toBe("CREATE ROLE IF NOT EXISTS platform WITH PASSWORD = '***' AND SUPERUSER = true AND LOGIN = true");
    expect(clientRoleStatements(PLAN.roles).map(redactStatement).join('\n')).not.toMatch(/P1peline|M0nitoring/);
  });

  const simple = (factor: number) => ({ class: 'org.apache.cassandra.locator.SimpleStrategy', replication_factor: `${factor}` });
  const nts = (copies: Record<string, string>) => ({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', ...copies });
  const alterTo = (copies: number) => `ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': ${copies}}`;

  test.each([
    ['already so', nts({ datacenter1: '3' }), 3, {}],
    // A new ring made it with a copy on every node (constructs/cassandra.ts): fewer copies lose no row.
    ['a new ring of 5, SimpleStrategy on every node', simple(5), 3, { alter: alterTo(3) }],
    ["a single node's, same copies", simple(1), 1, { alter: alterTo(1) }],
    ['a single node grown to a ring: copies added', simple(1), 3, { alter: alterTo(3), raisedFrom: 1 }],
    ['copies added in the datacenter', nts({ datacenter1: '2' }), 3, { alter: alterTo(3), raisedFrom: 2 }],
    ['another datacenter dropped', nts({ datacenter1: '3', dc2: '1' }), 3, { alter: alterTo(3) }],
    ['no copy in the datacenter', nts({ dc2: '3' }), 3, { alter: alterTo(3), raisedFrom: 0 }],
  ])('system_auth replicated like the keyspace (NetworkTopologyStrategy): %s', (_, current, replication, change) => {
    expect(systemAuthReplication(current, 'datacenter1', replication)).toEqual(change);
  });

  test.each([
    ['data', 'ALL KEYSPACES'],
    ['data/spark_streams', 'KEYSPACE spark_streams'],
    ['data/spark_streams/created_users', 'TABLE spark_streams.created_users'],
    ['roles', 'ALL ROLES'],
    ['roles/pipeline', 'ROLE pipeline'],
    ['functions/spark_streams', undefined],
  ])('resource %s is %s in CQL', (resource, cql) => {
    expect(resourceCql(resource)).toBe(cql);
  });
});

describe('each role left with exactly its permissions on the keyspace', () => {
  test('a new role: each of its permissions granted, nothing revoked', () => {
    expect(permissionStatements(PIPELINE, 'spark_streams', [])).toEqual({
      statements: ['GRANT SELECT ON KEYSPACE spark_streams TO pipeline', 'GRANT MODIFY ON KEYSPACE spark_streams TO pipeline'],
      unknown: [],
    });
  });

  test('a role that has them: nothing to do', () => {
    expect(permissionStatements(PIPELINE, 'spark_streams', [{ resource: 'data/spark_streams', permissions: ['MODIFY', 'SELECT'] }])).toEqual({ statements: [], unknown: [] });
  });

  test('anything more is revoked: another keyspace, a table its creator got, more on the keyspace; other kinds are reported', () => {
    const bootstrap: ClientRole = { name: 'bootstrap', password: 'x'.repeat(16), permissions: ['CREATE', 'ALTER'] };
    expect(
      permissionStatements(bootstrap, 'users_ks', [
        { resource: 'data/spark_streams', permissions: ['CREATE', 'ALTER'] },
        { resource: 'data/users_ks', permissions: ['ALTER', 'DROP'] },
        { resource: 'data/users_ks/created_users', permissions: ['ALTER', 'AUTHORIZE', 'DROP', 'MODIFY', 'SELECT'] },
        { resource: 'data', permissions: ['CREATE'] },
        { resource: 'functions/users_ks', permissions: ['EXECUTE'] },
      ]),
    ).toEqual({
      statements: [
        'GRANT CREATE ON KEYSPACE users_ks TO bootstrap',
        'REVOKE CREATE ON ALL KEYSPACES FROM bootstrap',
        'REVOKE ALTER ON KEYSPACE spark_streams FROM bootstrap',
        'REVOKE CREATE ON KEYSPACE spark_streams FROM bootstrap',
        'REVOKE DROP ON KEYSPACE users_ks FROM bootstrap',
        'REVOKE ALTER ON TABLE users_ks.created_users FROM bootstrap',
        'REVOKE AUTHORIZE ON TABLE users_ks.created_users FROM bootstrap',
        'REVOKE DROP ON TABLE users_ks.created_users FROM bootstrap',
        'REVOKE MODIFY ON TABLE users_ks.created_users FROM bootstrap',
        'REVOKE SELECT ON TABLE users_ks.created_users FROM bootstrap',
      ],
      unknown: ['functions/users_ks'],
    });
  });
});

describe('the roles file', () => {
  test('a valid plan passes as is', () => {
    expect(validateRolesPlan(PLAN)).toBe(PLAN);
  });

  test('every problem at once, naming the field, never a password', () => {
    const bad = {
      ...PLAN,
      contactPoints: [],
      superuser: 'Platform',
      replication: 0,
      roles: [PIPELINE, { ...PIPELINE, password: 'short', permissions: ['READ'] }],
    };
    let message = '';
    try {
      validateRolesPlan(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n').slice(1)).toEqual([
      '  - contactPoints must list host:port',
      '  - superuser must be a lower-case CQL identifier, got "Platform"',
      '  - replication must be a whole number from 1, got 0',
      "  - roles[1].name 'pipeline' is given twice",
      '  - roles[1].password must be a string of 16 characters or more',
      '  - roles[1].permissions must be among CREATE, ALTER, DROP, SELECT, MODIFY, AUTHORIZE, got ["READ"]',
    ]);
    expect(message).not.toContain('P1peline');
  });

  test('a client role may not take a superuser\'s name', () => {
    expect(() => validateRolesPlan({ ...PLAN, roles: [{ ...PIPELINE, name: 'cassandra' }] })).toThrow("roles[0].name must not be a superuser's, got 'cassandra'");
  });
});

describe("the superuser's credential on its volume", () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cassandra-superuser-'));
  const file = path.join(directory, 'credential.json');
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  test('made once, readable by its owner alone, then read back unchanged on every later run', () => {
    const made = superuserCredential(file, 'platform');
    expect(made.username).toBe('platform');
    expect(made.password).toMatch(/^[A-Za-z0-9]{32,}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(superuserCredential(file, 'other')).toEqual(made);
    expect(fs.readdirSync(directory)).toEqual(['credential.json']);
  });
});

describe('a refused login is told apart from a node not serving yet', () => {
  const noHost = (inner: Record<string, Error>) => new cassandra.errors.NoHostAvailableError(inner);

  test('every node refused the credential', () => {
    expect(refusedCredential(noHost({ 'kp-cassandra:9042': new cassandra.errors.AuthenticationError('Provided username platform and/or password are incorrect') }))).toBe(true);
  });

  test('a node that does not answer is not a refusal', () => {
    expect(refusedCredential(noHost({ 'kp-cassandra:9042': Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }))).toBe(false);
    expect(refusedCredential(new Error('other'))).toBe(false);
  });
});

describe("system_auth's rows copied to the replicas an ALTER added, as a repair would", () => {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  /** A node whose system_auth has `tables`, `roles` in two pages; `failures` reads of each table fail first. */
  function node(tables: string[], failures = 0): AuthSession & { reads: string[] } {
    const reads: string[] = [];
    const failed = new Map<string, number>();
    return {
      reads,
      execute: (cql, _params, options) => {
        if (cql.startsWith('SELECT table_name')) return Promise.resolve({ rows: tables.map((t) => ({ get: () => t })) });
        const table = cql.replace('SELECT * FROM system_auth.', '');
        if ((failed.get(table) ?? 0) < failures) {
          failed.set(table, (failed.get(table) ?? 0) + 1);
          return Promise.reject(new Error('Cannot achieve consistency level ALL'));
        }
        const level = options?.consistency === cassandra.types.consistencies.all ? 'ALL' : String(options?.consistency);
        reads.push(`${table} at ${level} from ${String(options?.pageState ?? 'start')}`);
        return Promise.resolve({ rows: [], pageState: table === 'roles' && options?.pageState === undefined ? 'page-2' : null });
      },
    };
  }

  test('every table read whole at ALL (read repair writes what a replica lacks), roles first: every login reads it', async () => {
    const session = node(['role_members', 'role_permissions', 'roles']);
    await repairSystemAuth(session, 1, 3);
    expect(session.reads).toEqual(['roles at ALL from start', 'roles at ALL from page-2', 'role_members at ALL from start', 'role_permissions at ALL from start']);
  });

  test('a refused read is tried again: a node may not know the superuser until roles is repaired', async () => {
    const session = node(['roles'], 1);
    await repairSystemAuth(session, 1, 3, 10_000);
    expect(session.reads).toEqual(['roles at ALL from start', 'roles at ALL from page-2']);
  });

  test('when the reads keep failing, it stops naming the repair to run by hand', async () => {
    await expect(repairSystemAuth(node(['roles'], 5), 1, 3, 0)).rejects.toThrow(
      "system_auth went from 1 to 3 copies, but copying its rows to the new replicas failed (Cannot achieve consistency level ALL): run 'nodetool repair -full system_auth' on every node, then deploy again",
    );
  });
});
