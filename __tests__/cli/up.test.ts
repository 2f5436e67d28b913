import { formatSummary, withEngine } from '../../cli/up';
import { LOCAL_SOCKET, type EngineChoice } from '../../ops/engine';

const OWN = 'unix:///root/.cache/kafka-pipelining/docker/docker.sock';
const ownStarted: EngineChoice = { dockerHost: OWN, origin: 'project engine', startedNow: true, notes: [] };
const SECRET = 'Zq8v-generated-password-of-32-chars';
const outputs = {
  airflow_url: { value: 'http://127.0.0.1:8080', sensitive: false },
  airflow_admin_user: { value: 'admin', sensitive: false },
  airflow_admin_password: { value: SECRET, sensitive: true },
  kafka_bootstrap_servers: { value: '127.0.0.1:9092', sensitive: false },
  postgres_dsn: { value: `postgresql://pipeline:${SECRET}@127.0.0.1:5432/pipeline`, sensitive: true },
  source_api_url: { value: 'http://127.0.0.1:8000', sensitive: false },
};
const TF = '/root/.cache/kafka-pipelining/terraform/bin/terraform';

describe("up's closing summary", () => {
  const text = formatSummary({ outputs, engine: ownStarted, downStopsEngine: true, userDockerHost: undefined, terraformBinary: TF, deploySeconds: 412.4 });

  test('every output; a sensitive one only as the command that reads it; never a secret', () => {
    expect(text).not.toContain(SECRET);
    expect(text.split('\n').slice(0, 9)).toEqual([
      'The platform is up (cdktf deploy took 412 s).',
      '',
      `  airflow_admin_password   (sensitive) ${TF} -chdir=cdktf.out/stacks/kafka-pipelining output -raw airflow_admin_password`,
      '  airflow_admin_user       admin',
      '  airflow_url              http://127.0.0.1:8080',
      '  kafka_bootstrap_servers  127.0.0.1:9092',
      `  postgres_dsn             (sensitive) ${TF} -chdir=cdktf.out/stacks/kafka-pipelining output -raw postgres_dsn`,
      '  source_api_url           http://127.0.0.1:8000',
      '',
    ]);
  });

  test('the Airflow login, the engine left running and how to stop it, and what to try next', () => {
    expect(text.split('\n').slice(9)).toEqual([
      'Airflow: http://127.0.0.1:8080, user admin; its password:',
      `  ${TF} -chdir=cdktf.out/stacks/kafka-pipelining output -raw airflow_admin_password`,
      '',
      `Docker engine: the project's own at ${OWN}, left running (started by this command).`,
      '  Use it from your shell with: eval "$(bash scripts/docker-engine.sh env)"',
      '  `npm run down` stops it with the platform; by hand: bash scripts/docker-engine.sh stop',
      '',
      'Next:',
      `  trigger the DAG:      DOCKER_HOST=${OWN} docker exec kp-airflow-scheduler airflow dags trigger randomuser_pipeline`,
      '                        (or the Trigger button on the DAG in the Airflow UI)',
      '  watch users arrive:   npm run status',
      '  remove everything:    npm run down',
    ]);
  });

  test("an engine of the user's own gets no engine paragraph, and commands need no DOCKER_HOST", () => {
    const local: EngineChoice = { dockerHost: LOCAL_SOCKET, origin: 'local socket', startedNow: false, notes: [] };
    const summary = formatSummary({ outputs, engine: local, downStopsEngine: false, userDockerHost: undefined, terraformBinary: TF, deploySeconds: 1 });
    expect(summary).not.toContain('Docker engine:');
    expect(summary).toContain('  trigger the DAG:      docker exec kp-airflow-scheduler');
  });
});

test('withEngine prefixes DOCKER_HOST only when the shell would talk to another engine', () => {
  expect(withEngine('docker ps', ownStarted, OWN)).toBe('docker ps');
  expect(withEngine('docker ps', ownStarted, undefined)).toBe(`DOCKER_HOST=${OWN} docker ps`);
  expect(withEngine('docker ps', { ...ownStarted, dockerHost: LOCAL_SOCKET }, '')).toBe('docker ps');
});
