/**
 * The Cassandra container's scripts (constructs/assets): the start script's cassandra.yaml, on the host-built image's
 * file and on one in the official image's form, and the health check's verdicts, with cqlsh and nodetool replaced by
 * stubs that answer as a node does.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ASSETS = path.join(__dirname, '..', '..', 'constructs', 'assets');
const HOST_IMAGE_YAML = path.join(__dirname, '..', '..', 'images', 'cassandra', 'host', 'conf', 'cassandra.yaml');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cassandra-scripts-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'conf'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stub command on the scripts' PATH: prints `output` (and records that it ran), exits with `status`. */
function stub(name: string, output: string, status = 0): void {
  const file = path.join(dir, 'bin', name);
  fs.writeFileSync(file, `#!/bin/sh\necho "${name}" >>"${dir}/ran"\ncat <<'OUT'\n${output}\nOUT\nexit ${status}\n`, { mode: 0o755 });
}

const ran = (): string[] => (fs.existsSync(path.join(dir, 'ran')) ? fs.readFileSync(path.join(dir, 'ran'), 'utf8').trim().split('\n') : []);

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('bash', [path.join(ASSETS, script), ...args], {
    env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH ?? ''}`, CASSANDRA_CONF: path.join(dir, 'conf'), ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cassandra-start.sh: authentication and the commit log sync in cassandra.yaml, then the entrypoint', () => {
  const yaml = () => fs.readFileSync(path.join(dir, 'conf', 'cassandra.yaml'), 'utf8');
  /** The top-level lines of these keys, as Cassandra reads them. */
  const topLevel = (keys: string[]) => yaml().split('\n').filter((line) => keys.some((key) => line.startsWith(`${key}:`)));
  const SYNC_KEYS = ['commitlog_sync', 'commitlog_sync_period', 'commitlog_sync_group_window', 'commitlog_sync_batch_window_in_ms'];

  beforeEach(() => stub('docker-entrypoint.sh', 'entrypoint ran'));

  test.each([
    ['periodic', '10000ms', ['commitlog_sync: periodic', 'commitlog_sync_period: 10000ms']],
    ['group', '15ms', ['commitlog_sync: group', 'commitlog_sync_group_window: 15ms']],
  ])("%s on the host-built image's file: the mode and its window alone (Cassandra refuses a period beside group)", (mode, window, lines) => {
    fs.copyFileSync(HOST_IMAGE_YAML, path.join(dir, 'conf', 'cassandra.yaml'));
    const { status, stdout } = run('cassandra-start.sh', [], { KP_CASSANDRA_COMMITLOG_SYNC: mode, KP_CASSANDRA_COMMITLOG_SYNC_WINDOW: window });
    expect(status).toBe(0);
    expect(stdout).toContain('entrypoint ran');
    expect(topLevel(SYNC_KEYS)).toEqual(lines);
    expect(yaml()).toMatch(/^authenticator:\n {2}class_name: PasswordAuthenticator\nauthorizer: CassandraAuthorizer\nrole_manager: CassandraRoleManager$/m);
  });

  test("the official image's form (class_name blocks, a commented group window, the legacy _in_ms keys), and a restart changes nothing", () => {
    const official = [
      'cluster_name: Test Cluster',
      'authenticator:',
      '  class_name : org.apache.cassandra.auth.AllowAllAuthenticator',
      'authorizer:',
      '  class_name: AllowAllAuthorizer',
      'commitlog_sync: periodic',
      'commitlog_sync_period_in_ms: 10000',
      '# commitlog_sync_group_window: 1000ms',
      'num_tokens: 16',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'conf', 'cassandra.yaml'), official);
    const env = { KP_CASSANDRA_COMMITLOG_SYNC: 'group', KP_CASSANDRA_COMMITLOG_SYNC_WINDOW: '15ms' };
    expect(run('cassandra-start.sh', [], env).status).toBe(0);
    const first = yaml();
    expect(run('cassandra-start.sh', [], env).status).toBe(0);
    expect(yaml()).toBe(first);
    expect(topLevel([...SYNC_KEYS, 'commitlog_sync_period_in_ms', 'authenticator', 'authorizer', 'cluster_name', 'num_tokens'])).toEqual([
      'cluster_name: Test Cluster', 'num_tokens: 16', 'authenticator:', 'authorizer: CassandraAuthorizer', 'commitlog_sync: group', 'commitlog_sync_group_window: 15ms',
    ]);
    expect(first).not.toContain('AllowAll');
    expect(first).toContain('# commitlog_sync_group_window: 1000ms');
  });

  test.each([
    [{ KP_CASSANDRA_COMMITLOG_SYNC: 'batch' }, "KP_CASSANDRA_COMMITLOG_SYNC must be periodic or group, got 'batch'"],
    [{ KP_CASSANDRA_COMMITLOG_SYNC: 'group', KP_CASSANDRA_COMMITLOG_SYNC_WINDOW: '15' }, "KP_CASSANDRA_COMMITLOG_SYNC_WINDOW must be milliseconds such as 15ms, got '15'"],
  ])('refuses %j before touching the file or starting the node', (env, message) => {
    fs.copyFileSync(HOST_IMAGE_YAML, path.join(dir, 'conf', 'cassandra.yaml'));
    const { status, stderr } = run('cassandra-start.sh', [], env);
    expect(status).toBe(64);
    expect(stderr).toContain(message);
    expect(yaml()).toBe(fs.readFileSync(HOST_IMAGE_YAML, 'utf8'));
    expect(ran()).toEqual([]);
  });
});

describe('cassandra-health.sh: healthy when the node has joined the ring and serves CQL', () => {
  const check = () => run('cassandra-health.sh', [path.join(dir, 'credentials')]);
  const CQLSH_FAILED = (message: string) => `Connection error: ('Unable to connect to any servers', {'127.0.0.1:9042': AuthenticationFailed('Failed to authenticate to 127.0.0.1:9042: Error from server: code=0100 [Bad credentials] message="${message}"')})`;

  test('a login that reads a completed bootstrap: healthy, with no JVM started for nodetool', () => {
    stub('cqlsh', '\n bootstrapped\n--------------\n    COMPLETED\n\n(1 rows)');
    stub('nodetool', 'Mode: NORMAL');
    expect(check().status).toBe(0);
    expect(ran()).toEqual(['cqlsh']);
  });

  test('serving CQL but not bootstrapped: unhealthy', () => {
    stub('cqlsh', '\n bootstrapped\n--------------\n  IN_PROGRESS\n\n(1 rows)');
    const { status, stdout } = check();
    expect(status).toBe(1);
    expect(stdout).toContain('has not completed its bootstrap');
  });

  test.each([
    ['the role has no password of this deploy yet', 'Provided username monitoring and/or password are incorrect'],
    ['system_auth has more copies than nodes up while the ring forms', 'Unable to perform authentication: Cannot achieve consistency level LOCAL_QUORUM'],
  ])('a refused login (%s): the node\'s own mode decides, NORMAL is healthy', (_, message) => {
    stub('cqlsh', CQLSH_FAILED(message), 1);
    stub('nodetool', 'Mode: NORMAL\nNot sending any streams.');
    expect(check().status).toBe(0);
    expect(ran()).toEqual(['cqlsh', 'nodetool']);
  });

  test('a refused login on a node still joining: unhealthy, naming its mode', () => {
    stub('cqlsh', CQLSH_FAILED('Provided username monitoring and/or password are incorrect'), 1);
    stub('nodetool', 'Mode: JOINING\nBootstrap 1a2b');
    const { status, stdout } = check();
    expect(status).toBe(1);
    expect(stdout).toContain('the node refuses the login and its mode is JOINING, not NORMAL');
  });

  test('no CQL answer at all: unhealthy, without asking nodetool', () => {
    stub('cqlsh', "Connection error: ('Unable to connect to any servers', {'127.0.0.1:9042': ConnectionRefusedError(111, 'Connection refused')})", 1);
    stub('nodetool', 'Mode: NORMAL');
    const { status, stdout } = check();
    expect(status).toBe(1);
    expect(stdout).toContain('Connection refused');
    expect(ran()).toEqual(['cqlsh']);
  });
});
