import { TerraformStack, Testing } from 'cdktf';
import { HealthCheck, PlatformNetwork, Postgres, ServiceContainer } from '../../constructs';
import { addressOf, dependenciesOf, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

// What `cdktf destroy` then `cdktf deploy` must keep: the data volumes, the key that encrypts Airflow's
// stored secrets, and working logins with the passwords the new deploy generates.
const dropped = synthPlatform();
const kept = synthPlatform({ retainVolumes: true });
const AIRFLOW_COMPONENTS = ['kp-airflow-init', 'kp-airflow-api-server', 'kp-airflow-dag-processor', 'kp-airflow-scheduler'];
const KEY_DIRECTORY = '/opt/airflow/fernet';

const envOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));

interface Mount {
  container_path: string;
  volume_name: string;
  read_only?: boolean;
}

/** Every container's mounts as `container:path` → volume name, a volume resource's reference resolved to its name. */
function mountedNames(plan: SynthesizedPlan): Record<string, string> {
  const volumes = plan.resourcesOfType('docker_volume');
  const resolve = (name: string) => name.replace(/^\$\{docker_volume\.([A-Za-z0-9_-]+)\.name\}$/, (_, id: string) => volumes[id].name);
  return Object.fromEntries(
    plan.containers().flatMap((c) => ((c.volumes ?? []) as Mount[]).map((v) => [`${c.name}:${v.container_path}`, resolve(v.volume_name)])),
  );
}

const mountOf = (plan: SynthesizedPlan, name: string, path: string): Mount => {
  const mount = (plan.container(name).volumes as Mount[]).find((v) => v.container_path === path);
  if (!mount) throw new Error(`${name} mounts nothing at ${path}`);
  return mount;
};

describe('retainVolumes: the data outlives destroy, under the same names', () => {
  test('no volume is a Terraform resource, so destroy removes none of them', () => {
    expect(kept.resourcesOfType('docker_volume')).toEqual({});
    for (const v of Object.values(mountedNames(kept))) expect(v).toMatch(/^kp-[a-z0-9-]+$/);
  });

  test('every container mounts the same names as without retainVolumes, so a redeploy finds the data', () => {
    expect(mountedNames(kept)).toEqual(mountedNames(dropped));
  });

  test('the volumes are the ones the README lists for removing them for good', () => {
    expect([...new Set(Object.values(mountedNames(kept)))].sort()).toEqual([
      'kp-airflow-fernet-key', 'kp-airflow-logs', 'kp-cassandra-data', 'kp-cassandra-superuser', 'kp-control-center-data', 'kp-kafka-data', 'kp-kafka-secrets',
      'kp-postgres-data', 'kp-prometheus-data', 'kp-spark-checkpoints', 'kp-zookeeper-data', 'kp-zookeeper-log',
    ]);
  });

  test('the generated secrets stay Terraform resources: a redeploy makes new ones, which the services take over', () => {
    expect(Object.keys(kept.resourcesOfType('random_password')).sort()).toEqual(Object.keys(dropped.resourcesOfType('random_password')).sort());
  });
});

describe("Airflow's Fernet key lives on a volume of its own, in no plan, state or environment", () => {
  test('no container has the key in its environment: every Airflow component runs a command that reads it', () => {
    for (const c of dropped.containers()) expect(c.env.filter((e: string) => e.startsWith('AIRFLOW__CORE__FERNET_KEY='))).toEqual([]);
    for (const name of AIRFLOW_COMPONENTS) expect(envOf(dropped, name).AIRFLOW__CORE__FERNET_KEY_CMD).toBe(`cat ${KEY_DIRECTORY}/key`);
    expect(dropped.resourcesOfType('random_bytes')).toEqual({});
  });

  test('the components mount the key read-only; only the one-shot that makes it may write', () => {
    for (const name of AIRFLOW_COMPONENTS) expect(mountOf(dropped, name, KEY_DIRECTORY).read_only).toBe(true);
    const generator = dropped.container('kp-airflow-fernet-key');
    expect(mountOf(dropped, 'kp-airflow-fernet-key', KEY_DIRECTORY).read_only).toBeUndefined();
    expect(generator.must_run).toBe(false);
    // Root only to hand the new volume's directory to the Airflow user.
    expect(generator.user).toBe('0');
    expect(generator.command).toEqual(['bash', '/opt/kafka-pipelining/fernet-key.sh', `${KEY_DIRECTORY}/key`, 'airflow']);
    expect(generator.upload.map((u: { file: string }) => u.file)).toEqual(['/opt/kafka-pipelining/fernet-key.sh']);
  });

  test('airflow-init, and so every component after it, starts once the key exists', () => {
    expect(dependenciesOf(dropped, 'kp-airflow-init')).toContain(addressOf(dropped, 'kp-airflow-fernet-key'));
  });

  test('the key is kept exactly when the metadata database is: with retainVolumes, or on a brought PostgreSQL', () => {
    expect(mountOf(dropped, 'kp-airflow-api-server', KEY_DIRECTORY).volume_name).toMatch(/^\$\{docker_volume\./);
    expect(mountOf(kept, 'kp-airflow-api-server', KEY_DIRECTORY).volume_name).toBe('kp-airflow-fernet-key');
    const brought = synthPlatform({ postgres: Postgres.fromExisting({ host: 'db.internal', airflow: { user: 'airflow', password: 'from-vault-1' }, pipeline: { user: 'etl', password: 'from-vault-2' } }) });
    expect(mountOf(brought, 'kp-airflow-api-server', KEY_DIRECTORY).volume_name).toBe('kp-airflow-fernet-key');
    expect(mountOf(brought, 'kp-airflow-api-server', '/opt/airflow/logs').volume_name).toMatch(/^\$\{docker_volume\./);
  });
});

describe('PostgreSQL takes the passwords of the current deploy at every start (postgres-roles.test.ts: which)', () => {
  test('the server starts through postgres-start.sh, which hands the server command on to the image entrypoint', () => {
    const postgres = dropped.container('kp-postgres');
    expect(postgres.command.slice(0, 3)).toEqual(['bash', '/opt/kafka-pipelining/postgres-start.sh', 'postgres']);
    expect(postgres.command.slice(3)).toEqual(['-c', 'max_connections=200', '-c', 'shared_buffers=128MB']);
    expect(postgres.upload).toEqual(expect.arrayContaining([expect.objectContaining({ file: '/opt/kafka-pipelining/postgres-start.sh', source_hash: expect.any(String) })]));
    expect(envOf(dropped, 'kp-postgres').POSTGRES_PASSWORD).toMatch(/^\$\{random_password\.[A-Za-z0-9_-]+\.result\}$/);
  });
});

describe('services stop cleanly when destroy or a replacement removes them', () => {
  test('every long-running container gets 30 s after its stop signal before it is killed', () => {
    const services = dropped.containers().filter((c) => c.must_run !== false);
    expect(services.length).toBe(16);
    for (const c of services) expect({ name: c.name, grace: c.destroy_grace_seconds }).toEqual({ name: c.name, grace: 30 });
  });

  test.each([0, 601, 2.5])('stopGraceSeconds %p is refused, naming the prop and the range', (stopGraceSeconds) => {
    const stack = new TerraformStack(Testing.app(), 'leaf');
    const network = new PlatformNetwork(stack, 'Network', { name: 'net' });
    expect(() => new ServiceContainer(stack, 'S', {
      name: 's', image: 'img', network, memoryMiB: 128, healthCheck: HealthCheck.command(['true']), stopGraceSeconds,
    })).toThrow(`stopGraceSeconds must be an integer between 1 and 600, got ${stopGraceSeconds}`);
  });
});
