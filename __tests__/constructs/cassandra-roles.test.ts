import { TerraformVariable } from 'cdktf';
import { Cassandra } from '../../constructs';
import type { RolesPlan } from '../../jobs/lib/cassandra-roles';
import { addressOf, dependenciesOf, synthPlatform, type PlanResource } from '../helpers/synth';

// Cassandra authenticates every client: a role per client, each with its own generated password, applied by the
// cassandra-roles job as the platform's superuser, whose credential lives on a volume of its own.
const plan = synthPlatform();
const passwordOf = (id: string) => {
  const [address] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith(`Platform_Cassandra_${id}_`));
  return `\${random_password.${address}.result}`;
};
const upload = (name: string, file: string): PlanResource => (plan.container(name).upload as PlanResource[]).find((u) => u.file === file)!;
const envOf = (name: string): Record<string, string> => Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const rolesFile = (): RolesPlan => JSON.parse(upload('kp-cassandra-roles', '/run/kafka-pipelining/cassandra-roles.json').content as string) as RolesPlan;

describe('the node turns authentication on in either image', () => {
  test('its command is the start script, which sets PasswordAuthenticator and CassandraAuthorizer before the entrypoint', () => {
    expect(plan.container('kp-cassandra').command).toEqual(['bash', '/opt/kafka-pipelining/cassandra-start.sh']);
    expect(upload('kp-cassandra', '/opt/kafka-pipelining/cassandra-start.sh').source).toMatch(/cassandra-start\.sh$/);
  });

  test("the health check logs in as the read-only role from a credentials file readable by root alone: no password on a command line", () => {
    expect(plan.container('kp-cassandra').healthcheck.test).toEqual(['CMD', 'bash', '/opt/kafka-pipelining/cassandra-health.sh', '/opt/kafka-pipelining/cassandra-health.credentials']);
    const credentials = upload('kp-cassandra', '/opt/kafka-pipelining/cassandra-health.credentials');
    expect(credentials.content).toBe(`[plain_text_auth]\nusername = monitoring\npassword = ${passwordOf('MonitoringPassword')}\n`);
    expect(credentials.permissions).toBe('0600');
    expect(JSON.stringify(plan.container('kp-cassandra').env)).not.toContain('random_password');
  });
});

describe('the roles job', () => {
  test('applies a role per client with its generated password and exactly its permissions on the keyspace', () => {
    expect(rolesFile()).toEqual({
      contactPoints: [`\${${addressOf(plan, 'kp-cassandra')}.name}:9042`],
      datacenter: 'datacenter1',
      superuser: 'platform',
      keyspace: 'spark_streams',
      replication: 1,
      roles: [
        { name: 'bootstrap', password: passwordOf('BootstrapPassword'), permissions: ['CREATE', 'ALTER'] },
        { name: 'pipeline', password: passwordOf('PipelinePassword'), permissions: ['SELECT', 'MODIFY'] },
        { name: 'monitoring', password: passwordOf('MonitoringPassword'), permissions: ['SELECT'] },
      ],
    });
  });

  test('the file is readable by root alone; the environment names only the files', () => {
    expect(upload('kp-cassandra-roles', '/run/kafka-pipelining/cassandra-roles.json').permissions).toBe('0600');
    expect(envOf('kp-cassandra-roles')).toEqual({
      KP_CASSANDRA_ROLES_FILE: '/run/kafka-pipelining/cassandra-roles.json',
      KP_CASSANDRA_SUPERUSER_FILE: '/var/lib/kafka-pipelining/cassandra-superuser/credential.json',
    });
  });

  test("the superuser's credential: on a volume of its own that the job alone mounts, as root; no generated secret for it", () => {
    const job = plan.container('kp-cassandra-roles');
    expect(job.user).toBe('0');
    expect(job.volumes).toEqual([{ container_path: '/var/lib/kafka-pipelining/cassandra-superuser', volume_name: expect.stringContaining('Platform_CassandraRoles_Superuser_Volume') }]);
    const mounting = plan.containers().filter((c) => JSON.stringify(c.volumes ?? []).includes('CassandraRoles_Superuser')).map((c) => c.name);
    expect(mounting).toEqual(['kp-cassandra-roles']);
    expect(Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith('Platform_Cassandra')).sort()).toEqual([
      expect.stringMatching(/^Platform_Cassandra_BootstrapPassword_/),
      expect.stringMatching(/^Platform_Cassandra_MonitoringPassword_/),
      expect.stringMatching(/^Platform_Cassandra_PipelinePassword_/),
    ]);
  });

  test('runs once the node is healthy, and every client after it: the bootstrap, then the rest after the bootstrap', () => {
    expect(dependenciesOf(plan, 'kp-cassandra-roles')).toContain(addressOf(plan, 'kp-cassandra'));
    expect(dependenciesOf(plan, 'kp-bootstrap')).toContain(addressOf(plan, 'kp-cassandra-roles'));
  });

  test("with retainVolumes the superuser's volume is kept like the data, whose roles it opens", () => {
    const kept = synthPlatform({ retainVolumes: true });
    expect(kept.container('kp-cassandra-roles').volumes[0].volume_name).toBe('kp-cassandra-superuser');
  });
});

describe('each client gets its own login', () => {
  test('the bootstrap job: its role, in the variables it reads', () => {
    expect(envOf('kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_CASSANDRA_USERNAME: 'bootstrap', PIPELINE_CASSANDRA_PASSWORD: passwordOf('BootstrapPassword') }));
  });

  test("the Spark job: the pipeline role, in its properties file only", () => {
    const properties = upload('kp-spark-job', '/opt/kafka-pipelining/spark-job.conf').content as string;
    expect(properties).toContain(`spark.cassandra.auth.username=pipeline\n`);
    expect(properties).toContain(`spark.cassandra.auth.password=${passwordOf('PipelinePassword')}\n`);
    expect(JSON.stringify([plan.container('kp-spark-job').env, plan.container('kp-spark-job').command])).not.toContain('Cassandra_PipelinePassword');
  });

  test('each password reaches the containers that log in with it, and no other', () => {
    const holders = (id: string) => plan.containers().filter((c) => JSON.stringify(c).includes(`Platform_Cassandra_${id}_`)).map((c) => c.name).sort();
    expect(holders('BootstrapPassword')).toEqual(['kp-bootstrap', 'kp-cassandra-roles']);
    expect(holders('PipelinePassword')).toEqual(['kp-cassandra-roles', 'kp-spark-job']);
    expect(holders('MonitoringPassword')).toEqual(['kp-cassandra', 'kp-cassandra-roles']);
  });

  test('the outputs: the pipeline and the read-only role, their passwords sensitive', () => {
    const outputs = plan.json.output;
    expect(outputs.cassandra_password).toEqual(expect.objectContaining({ sensitive: true, value: passwordOf('PipelinePassword') }));
    expect(outputs.cassandra_monitoring_password).toEqual(expect.objectContaining({ sensitive: true, value: passwordOf('MonitoringPassword') }));
  });
});

describe('a brought cluster', () => {
  test('takes a login per purpose, the pipeline\'s for those not given, and no roles job runs', () => {
    const brought = synthPlatform({
      cassandra: Cassandra.fromExisting({
        contactPoints: ['cassandra.internal:9042'], datacenter: 'dc1', hostContactPoints: ['cassandra.example.org:9042'],
        credentials: { pipeline: { username: 'etl', password: 'etl-password' }, bootstrap: { username: 'etl_admin', password: 'admin-password' } },
      }),
    });
    expect(brought.containers().map((c) => c.name)).not.toContain('kp-cassandra-roles');
    const env = Object.fromEntries(brought.container('kp-bootstrap').env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
    expect([env.PIPELINE_CASSANDRA_USERNAME, env.PIPELINE_CASSANDRA_PASSWORD]).toEqual(['etl_admin', 'admin-password']);
    expect((brought.container('kp-spark-job').upload as PlanResource[]).find((u) => u.file === '/opt/kafka-pipelining/spark-job.conf')!.content).toContain('spark.cassandra.auth.username=etl\n');
    expect([brought.json.output.cassandra_user.value, brought.json.output.cassandra_monitoring_user.value]).toEqual(['etl', 'etl']);
  });

  test('a password given as a sensitive variable stays out of the plan', () => {
    const stack = synthPlatform({
      cassandra: Cassandra.fromExisting({ contactPoints: ['c:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password: 'placeholder' } } }),
    }).stack;
    const password = new TerraformVariable(stack, 'cassandra_password', { type: 'string', sensitive: true }).stringValue;
    expect(() => Cassandra.fromExisting({ contactPoints: ['c:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password } } })).not.toThrow();
  });

  test.each([
    [{ pipeline: { username: 'etl-user', password: 'etl-password' } }, "credentials.pipeline.username must be a role name (a letter, then letters, digits or '_', at most 48), got 'etl-user'"],
    [{ pipeline: { username: 'etl', password: 'short' } }, 'credentials.pipeline.password must be 8 or more of letters, digits and ._~- (it goes into properties and credentials files as is)'],
    [{ pipeline: { username: 'etl', password: 'etl-password' }, monitoring: { username: 'stats', password: 'a b c d e f' } }, 'credentials.monitoring.password must be 8 or more'],
  ])('refuses %j, naming the prop', (credentials, message) => {
    expect(() => Cassandra.fromExisting({ contactPoints: ['c:9042'], datacenter: 'dc1', credentials })).toThrow(message);
  });
});

describe('the single node starts without waiting for peers', () => {
  test('ring delay and gossip settling cut, which only wait for other nodes', () => {
    expect(envOf('kp-cassandra').JVM_EXTRA_OPTS.split(' ')).toEqual(
      expect.arrayContaining(['-Dcassandra.ring_delay_ms=1000', '-Dcassandra.skip_wait_for_gossip_to_settle=0']),
    );
  });
});
