import { TerraformStack, Testing } from 'cdktf';
import { PlatformNetwork, Postgres } from '../../constructs';
import { addressOf, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

// PostgreSQL with one role per purpose: the superuser's password for its start script alone, and each
// container given the credential of the one role it uses. scripts/check-postgres-roles.sh runs the start
// script itself on a real PostgreSQL; here, what the plan hands it and every client.
const plan = synthPlatform();

const envOf = (p: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries((p.container(name).env as string[]).map((e) => e.split(/=(.*)/s).slice(0, 2)));
/** The `${random_password.<id>.result}` reference of the Postgres construct's generated secret `id`. */
function secretOf(id: string): string {
  const [address] = Object.keys(plan.resourcesOfType('random_password')).filter((a) => a.startsWith(`Platform_Postgres_${id}_`));
  if (!address) throw new Error(`no random_password for Postgres ${id}`);
  return `\${random_password.${address}.result}`;
}
const SECRETS = { superuser: secretOf('Password'), airflow: secretOf('AirflowPassword'), pipeline: secretOf('PipelinePassword'), monitoring: secretOf('MonitoringPassword') };
const SERVER = '${' + addressOf(plan, 'kp-postgres') + '.name}:5432';

describe('PostgreSQL: one role per purpose, each with its own generated password', () => {
  test('four distinct random_password resources: the superuser and the airflow, pipeline and monitoring roles', () => {
    expect(new Set(Object.values(SECRETS)).size).toBe(4);
    for (const id of ['Password', 'AirflowPassword', 'PipelinePassword', 'MonitoringPassword']) {
      const [resource] = Object.entries(plan.resourcesOfType('random_password')).filter(([a]) => a.startsWith(`Platform_Postgres_${id}_`)).map(([, r]) => r);
      expect(resource).toEqual(expect.objectContaining({ length: 32, special: false }));
    }
  });

  test('the server gets every role, database and password, to apply them at each start; the entrypoint makes no database', () => {
    expect(envOf(plan, 'kp-postgres')).toEqual({
      POSTGRES_USER: 'platform',
      POSTGRES_PASSWORD: SECRETS.superuser,
      POSTGRES_DB: 'postgres',
      KP_PG_AIRFLOW_ROLE: 'airflow',
      KP_PG_AIRFLOW_DATABASE: 'airflow',
      KP_PG_AIRFLOW_PASSWORD: SECRETS.airflow,
      KP_PG_PIPELINE_ROLE: 'pipeline',
      KP_PG_PIPELINE_DATABASE: 'pipeline',
      KP_PG_PIPELINE_PASSWORD: SECRETS.pipeline,
      KP_PG_MONITORING_ROLE: 'monitoring',
      KP_PG_MONITORING_PASSWORD: SECRETS.monitoring,
    });
  });

  test('the start script, its SQL, its secret-file reader and the new cluster\'s initdb.d hook are shipped with content hashes', () => {
    const files = (plan.container('kp-postgres').upload as { file: string; source_hash: string; executable: boolean }[]).map((u) => [u.file, u.executable]);
    expect(files.sort()).toEqual([
      ['/docker-entrypoint-initdb.d/50-kafka-pipelining-roles.sh', false],
      ['/opt/kafka-pipelining/postgres-adopt-objects.sql', false],
      ['/opt/kafka-pipelining/postgres-roles.sql', false],
      ['/opt/kafka-pipelining/postgres-start.sh', false],
      ['/opt/kafka-pipelining/secret-files.sh', false],
    ]);
    expect(plan.container('kp-postgres').healthcheck.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'platform', '-d', 'postgres']);
  });

  test("the superuser's password is in no container but PostgreSQL's, and in no output", () => {
    const holders = plan.containers().filter((c) => JSON.stringify(c).includes(SECRETS.superuser)).map((c) => c.name);
    expect(holders).toEqual(['kp-postgres']);
    expect(JSON.stringify(plan.json.output)).not.toContain(SECRETS.superuser);
  });

  test.each([
    ['airflow', ['kp-airflow-api-server', 'kp-airflow-dag-processor', 'kp-airflow-init', 'kp-airflow-scheduler']],
    // The scheduler runs the DAG's tasks (LocalExecutor), which write the pipeline's tables.
    ['pipeline', ['kp-airflow-scheduler', 'kp-bootstrap', 'kp-pipeline-metrics']],
    ['monitoring', ['kp-postgres-exporter']],
  ] as const)("the %s role's password reaches exactly the containers that connect as it (and PostgreSQL)", (role, containers) => {
    const holders = plan.containers().filter((c) => c.name !== 'kp-postgres' && JSON.stringify(c).includes(SECRETS[role])).map((c) => c.name).sort();
    expect(holders).toEqual(containers);
  });

  test("each client connects as its role to its database: Airflow to Airflow's, the jobs to the pipeline's, the exporter to the maintenance database", () => {
    for (const name of ['kp-airflow-init', 'kp-airflow-api-server', 'kp-airflow-dag-processor', 'kp-airflow-scheduler']) {
      expect(envOf(plan, name).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toBe(`postgresql+psycopg2://airflow:${SECRETS.airflow}@${SERVER}/airflow`);
    }
    for (const name of ['kp-airflow-scheduler', 'kp-bootstrap', 'kp-pipeline-metrics']) {
      expect(envOf(plan, name).PIPELINE_PG_DSN).toBe(`postgresql://pipeline:${SECRETS.pipeline}@${SERVER}/pipeline`);
    }
    expect(envOf(plan, 'kp-postgres-exporter')).toEqual(expect.objectContaining({
      DATA_SOURCE_URI: `${SERVER}/postgres?sslmode=disable`,
      DATA_SOURCE_USER: 'monitoring',
      DATA_SOURCE_PASS: SECRETS.monitoring,
    }));
  });

  test("the postgres_dsn output names the pipeline's role and database", () => {
    expect(plan.json.output.postgres_dsn).toEqual(expect.objectContaining({
      value: `postgresql://pipeline:${SECRETS.pipeline}@127.0.0.1:5432/pipeline`,
      sensitive: true,
    }));
  });
});

describe('Postgres refuses props the start script could not apply', () => {
  const build = (props: Record<string, string>) => () => {
    const stack = new TerraformStack(Testing.app(), 'leaf');
    new Postgres(stack, 'P', { network: new PlatformNetwork(stack, 'Network', { name: 'net' }), ...props });
  };
  test.each([
    [{ user: 'pipeline' }, "user must not be one of the client roles (airflow, pipeline, monitoring): the superuser is apart from them, got 'pipeline'"],
    [{ user: 'pg_admin' }, "user must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit or pg_), got 'pg_admin'"],
    [{ user: 'Admin' }, "user must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit or pg_), got 'Admin'"],
    [{ airflowDatabase: 'meta-data' }, "airflowDatabase must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit), got 'meta-data'"],
    [{ pipelineDatabase: 'postgres' }, "pipelineDatabase must not be PostgreSQL's own database 'postgres'"],
    [{ airflowDatabase: 'shared', pipelineDatabase: 'shared' }, "pipelineDatabase must differ from airflowDatabase, got 'shared' for both"],
  ])('%j', (props, message) => {
    expect(build(props)).toThrow(message);
  });

  test('other database names reach the start script and the DSNs', () => {
    const stack = new TerraformStack(Testing.app(), 'leaf');
    const postgres = new Postgres(stack, 'P', { network: new PlatformNetwork(stack, 'Network', { name: 'net' }), airflowDatabase: 'meta', pipelineDatabase: 'staging' });
    expect(postgres.dsn('airflow')).toMatch(/^postgresql:\/\/airflow:.+\/meta$/);
    expect(postgres.dsn('pipeline')).toMatch(/^postgresql:\/\/pipeline:.+\/staging$/);
    expect(postgres.hostDsn('monitoring')).toMatch(/^postgresql:\/\/monitoring:.+@127\.0\.0\.1:5432\/postgres$/);
    const env = JSON.parse(Testing.synth(stack)).resource.docker_container;
    const server = Object.values(env as Record<string, { env: string[] }>)[0].env;
    expect(server).toEqual(expect.arrayContaining(['KP_PG_AIRFLOW_DATABASE=meta', 'KP_PG_PIPELINE_DATABASE=staging']));
  });
});
