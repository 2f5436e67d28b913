import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const WRAPPER = path.join(__dirname, '..', '..', 'images', 'cp-schema-registry', 'host', 'bin', 'schema-registry-start');
const BASE = ['listeners=http://0.0.0.0:8081', 'kafkastore.bootstrap.servers=PLAINTEXT://kafka:29092'];
const AUTH = ['authentication.method=BASIC', 'authentication.realm=SchemaRegistry', 'authentication.roles=writer,readonly'];

/** Runs the wrapper's DRY_RUN on these properties, JAAS file and password lines, in a fresh directory. */
function dryRun(properties: string[], passwords = ['writer: writer-s3cret,writer', 'reader: reader-s3cret,readonly'], jaasSection = 'SchemaRegistry') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-auth-'));
  fs.writeFileSync(path.join(dir, 'sr.properties'), [...BASE, ...properties].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'passwords'), passwords.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'jaas'), `${jaasSection} {\n  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required\n  file="${dir}/passwords"\n  debug="false";\n};\n`);
  const run = spawnSync('bash', [WRAPPER, path.join(dir, 'sr.properties')], {
    env: { ...process.env, SCHEMA_REGISTRY_DRY_RUN: '1', SCHEMA_REGISTRY_RUN_DIR: path.join(dir, 'run'), SCHEMA_REGISTRY_OPTS: `-Djava.security.auth.login.config=${dir}/jaas` },
    encoding: 'utf8',
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the host-built registry maps Confluent basic auth onto nginx', () => {
  it('asks every call for a login, GET / included, and limits the readonly role to GET and HEAD', () => {
    const { status, stdout, stderr } = dryRun(AUTH);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^ {4}auth_basic "SchemaRegistry";$/m);
    expect(stdout).toMatch(/^ {4}auth_basic_user_file .*\/htpasswd;$/m);
    expect(stdout).toContain('    "reader" 1;');
    expect(stdout).not.toContain('"writer" 1;');
    expect(stdout).toContain('"~^1:(?!GET$|HEAD$)" 1;');
    expect(stdout).toMatch(/if \(\$sr_refused\) \{\n\s+return 403 /);
    // GET / goes through the access phase: no `return` answers it before the login is checked.
    expect(stdout).toMatch(/location = \/ \{\n\s+try_files \/\.none @root;\n\s+\}/);
    expect(stderr).toContain('user reader -> readonly: GET and HEAD only');
    expect(stderr).toContain('user writer -> may read and write');
    // No password in what it prints.
    expect(stdout + stderr).not.toMatch(/s3cret/);
  });

  it('has no login without authentication.method, as Confluent', () => {
    const { status, stdout } = dryRun([]);
    expect(status).toBe(0);
    expect(stdout).not.toContain('auth_basic');
  });

  it('leaves out a user none of whose roles is allowed', () => {
    const { stderr, stdout } = dryRun(AUTH, ['writer: writer-s3cret,writer', 'other: other-s3cret,admin']);
    expect(stderr).toContain('user other -> refused');
    expect(stdout).not.toContain('"other"');
  });

  it.each([
    [['authentication.method=DIGEST'], undefined, undefined, "authentication.method: 'DIGEST' is not supported"],
    [['authentication.method=BASIC'], undefined, undefined, 'authentication.realm'],
    [AUTH, undefined, 'Other', "authentication.realm: no section 'SchemaRegistry'"],
    [AUTH, ['writer writer-s3cret'], undefined, "is not 'user: password[,role...]'"],
    [AUTH, ['writer: MD5:abcdef,writer'], undefined, 'only plain passwords'],
    [AUTH, ['other: other-s3cret,admin'], undefined, 'no user with a role in authentication.roles'],
  ])('refuses %j (passwords %j, JAAS section %j), naming the property', (properties, passwords, section, message) => {
    const { status, stderr } = dryRun(properties, passwords, section);
    expect(status).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/s3cret/);
  });

  it('refuses BASIC without a JAAS file in SCHEMA_REGISTRY_OPTS', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-auth-'));
    fs.writeFileSync(path.join(dir, 'sr.properties'), [...BASE, ...AUTH].join('\n'));
    let failure = '';
    try {
      execFileSync('bash', [WRAPPER, path.join(dir, 'sr.properties')], { env: { ...process.env, SCHEMA_REGISTRY_DRY_RUN: '1', SCHEMA_REGISTRY_OPTS: '' }, stdio: 'pipe' });
    } catch (error) {
      failure = String((error as { stderr: Buffer }).stderr);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(failure).toContain('set SCHEMA_REGISTRY_OPTS=-Djava.security.auth.login.config=FILE');
  });
});

describe("the host-built registry's replication factor: Apicurio's own, min(3, live brokers)", () => {
  it.each(['1', '2', '3'])('takes %s without passing it on (the broker would refuse it as a topic config), saying what Apicurio makes', (factor) => {
    const { status, stdout, stderr } = dryRun([`kafkastore.topic.replication.factor=${factor}`]);
    expect(status).toBe(0);
    expect(stderr).toContain(`kafkastore.topic.replication.factor=${factor} -> not passed (Apicurio cannot take it); Apicurio creates its topics with min(3, live brokers) replicas, min.insync.replicas max(replicas - 1, 1), partitions 1`);
    expect(stdout).not.toContain('replication');
  });

  it.each([
    ['4', 'kafkastore.topic.replication.factor: 4: this image\'s Apicurio creates its topics with min(3, brokers) replicas, never more'],
    ['0', "kafkastore.topic.replication.factor: '0' is not a positive integer"],
  ])('refuses %s, which Apicurio would not make', (factor, message) => {
    const { status, stderr } = dryRun([`kafkastore.topic.replication.factor=${factor}`]);
    expect(status).toBe(1);
    expect(stderr).toContain(message);
  });
});

describe('the host-built registry starts Apicurio again when it never gets ready', () => {
  it('stops an Apicurio not ready after SCHEMA_REGISTRY_READY_SECONDS and starts it again, three attempts in all, then fails', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-ready-'));
    // A `java` that runs and never answers on the management port, counting its starts.
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'java'), `#!/usr/bin/env bash\necho started >>"${dir}/starts"\nexec sleep 60\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'sr.properties'), [...BASE, 'authentication.method=NONE'].join('\n') + '\n');
    const run = spawnSync('bash', [WRAPPER, path.join(dir, 'sr.properties')], {
      env: {
        ...process.env, JAVA_HOME: dir, APICURIO_HOME: dir, SCHEMA_REGISTRY_RUN_DIR: path.join(dir, 'run'), SCHEMA_REGISTRY_READY_SECONDS: '1',
        SCHEMA_REGISTRY_MANAGEMENT_PORT: '1', SCHEMA_REGISTRY_OPTS: '',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const starts = fs.readFileSync(path.join(dir, 'starts'), 'utf8').trim().split('\n').length;
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(starts).toBe(3);
    expect(run.stderr).toContain('starting Apicurio Registry (attempt 3 of 3)');
    expect(run.stderr).toContain('Apicurio is not ready after 1s: stopping it');
    expect(run.stderr).toContain('Apicurio never got ready in 3 attempts');
  });
});
