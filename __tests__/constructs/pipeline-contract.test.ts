import * as path from 'path';
import { ShippedFiles } from '../../constructs';
import { PIPELINE_CONTRACT_PYTHONPATH } from '../../constructs/pipeline-contract';
import { COMPONENTS, type Component, declaredDefault, PIPELINE_VARIABLES } from '../../jobs/lib/contract';
import { CONTAINERS_OF, containersReading } from '../helpers/pipeline-containers';
import { type PlanResource, synthPlatform } from '../helpers/synth';

const REPO = path.join(__dirname, '..', '..');
const plan = synthPlatform();

/** Container path → source_hash of every file uploaded into the container. */
const uploads = (name: string): Map<string, string> =>
  new Map(plan.container(name).upload.map((u: PlanResource) => [u.file, u.source_hash]));
const environment = (name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));

describe('the Python contract package ships into every container that runs Python pipeline code', () => {
  // The package finds the declaration relative to itself, so the layout must be the repository's.
  const expected = ShippedFiles.fromDirectory(path.join(REPO, 'jobs', 'contract'), PIPELINE_CONTRACT_PYTHONPATH).map((f) => f.target);

  test('the package and the declaration are among the files', () => {
    expect(expected).toEqual(
      expect.arrayContaining([
        `${PIPELINE_CONTRACT_PYTHONPATH}/pipeline_contract/__init__.py`,
        `${PIPELINE_CONTRACT_PYTHONPATH}/pipeline_contract/environment.py`,
        `${PIPELINE_CONTRACT_PYTHONPATH}/pipeline_contract/record.py`,
        `${PIPELINE_CONTRACT_PYTHONPATH}/pipeline_contract/registry.py`,
        `${PIPELINE_CONTRACT_PYTHONPATH}/pipeline_contract/schema.py`,
        `${PIPELINE_CONTRACT_PYTHONPATH}/variables.json`,
      ]),
    );
  });

  test('the Avro schema is not: only the bootstrap job gets it, and the others read the registry', () => {
    for (const container of plan.containers()) {
      const schemas = (container.upload ?? []).map((u: { file: string }) => u.file).filter((file: string) => file.endsWith('.avsc'));
      expect([container.name, schemas]).toEqual([container.name, container.name === 'kp-bootstrap' ? ['/opt/kafka-pipelining/job/schemas/user.avsc'] : []]);
    }
  });

  test.each(['kp-airflow-dag-processor', 'kp-airflow-scheduler', 'kp-spark-job'])('%s gets them, on its PYTHONPATH', (name) => {
    const files = uploads(name);
    for (const target of expected) expect(files.has(target)).toBe(true);
    expect(environment(name).PYTHONPATH.split(':')).toContain(PIPELINE_CONTRACT_PYTHONPATH);
  });

  test('the Spark driver keeps its own folder on the Python path too', () => {
    expect(environment('kp-spark-job').PYTHONPATH).toBe(`/opt/kafka-pipelining/jobs/spark:${PIPELINE_CONTRACT_PYTHONPATH}`);
  });

  test('the DAG processor, the scheduler and the Spark driver get the same bytes', () => {
    const contract = (name: string) => expected.map((target) => uploads(name).get(target));
    expect(contract('kp-airflow-scheduler')).toEqual(contract('kp-airflow-dag-processor'));
    expect(contract('kp-spark-job')).toEqual(contract('kp-airflow-dag-processor'));
  });
});

describe('the constructs set the variables jobs/contract/variables.json declares, each container exactly those it reads', () => {
  const containers = [...new Set(Object.values(CONTAINERS_OF).flat())].sort();
  const componentsOf = (name: string) => (Object.keys(CONTAINERS_OF) as Component[]).filter((c) => containersReading([c]).includes(name));
  const pipelineVariables = (name: string) => Object.keys(environment(name)).filter((key) => key.startsWith('PIPELINE_')).sort();
  const setByPlatform = PIPELINE_VARIABLES.filter((v) => v.setByPlatform);

  test('exactly the variables declared as set by the platform, over all containers', () => {
    const set = new Set(plan.containers().flatMap((c) => pipelineVariables(c.name)));
    expect([...set].sort()).toEqual(setByPlatform.map((v) => v.name).sort());
  });

  test('every component but verify and replay (run from the host) runs in a container of the plan', () => {
    expect(Object.keys(COMPONENTS).filter((c) => containersReading([c as Component]).length === 0)).toEqual(['verify', 'replay']);
  });

  test.each(containers)('%s gets exactly what its code reads and the platform sets', (name) => {
    const components = componentsOf(name);
    const wanted = setByPlatform.filter((v) => v.readBy.some((c) => components.includes(c))).map((v) => v.name).sort();
    expect(wanted.length).toBeGreaterThan(0);
    expect(pipelineVariables(name)).toEqual(wanted);
  });

  test('no other container gets a PIPELINE_ variable: Airflow init and API server, the services', () => {
    const others = plan.containers().map((c) => c.name as string).filter((name) => !containers.includes(name));
    expect(others).toEqual(expect.arrayContaining(['kp-airflow-init', 'kp-airflow-api-server', 'kp-kafka', 'kp-cassandra']));
    for (const name of others) expect({ name, variables: pipelineVariables(name) }).toEqual({ name, variables: [] });
  });

  test('the dag-processor gets no service address or secret: the DAG file reads none while it is parsed', () => {
    expect(pipelineVariables('kp-airflow-dag-processor')).toEqual(['PIPELINE_BATCH_SIZE', 'PIPELINE_RETRY_DELAY_SECONDS', 'PIPELINE_SCHEDULE']);
  });

  test('with default settings, the declared defaults', () => {
    const env: Record<string, string> = Object.assign({}, ...plan.containers().map((c) => environment(c.name)));
    for (const variable of setByPlatform.filter((v) => v.default !== undefined)) {
      expect([variable.name, env[variable.name]]).toEqual([variable.name, declaredDefault(variable.name, env)]);
    }
  });
});
