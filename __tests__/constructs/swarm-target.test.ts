import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, TerraformStack } from 'cdktf';
import { DeploymentTarget, HealthCheck, ImageRegistry, ImageSource, OneShotContainer, PlatformNetwork, Postgres, ServiceContainer, ShippedFiles } from '../../constructs';
import { isSecretVariable } from '../../constructs/swarm-target';
import { PIPELINE_VARIABLES } from '../../jobs/lib/contract';
import { type PlanResource, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

const HOSTS = ['host-1', 'host-2', 'host-3'];
const swarm = (hosts = HOSTS) => DeploymentTarget.swarm({ hosts });
// Synthesizing bundles the jobs and hashes every shipped file: once per configuration.
const single = synthPlatform({ profile: 'replicated' });
const plan = synthPlatform({ profile: 'replicated', target: swarm(), acceptUnencryptedNetworkAccess: true });
const services = (p: SynthesizedPlan = plan): PlanResource[] => Object.values(p.resourcesOfType('docker_service'));
const service = (name: string): PlanResource => {
  const found = services().find((s) => s.name === name);
  if (!found) throw new Error(`no service named ${name}`);
  return found;
};
const writesToVolume = (s: PlanResource): boolean => (s.task_spec.container_spec.mounts ?? []).some((m: PlanResource) => m.type === 'volume' && !m.read_only);
const pinnedHost = (s: PlanResource): string | undefined => {
  const constraints: string[] = s.task_spec.placement?.constraints ?? [];
  const hosts = constraints.map((c) => /^node\.labels\.kp\.host == (.+)$/.exec(c)?.[1]).filter((h) => h !== undefined);
  return hosts.length === 1 && constraints.length === 1 ? hosts[0] : undefined;
};

describe('the swarm target', () => {
  test("renders every service of the single-host plan as a swarm service (and the brokers' files job once per broker host), and no container or Terraform volume", () => {
    expect(services().map((s) => s.name).sort()).toEqual([...single.containers().map((c) => c.name), 'kp-kafka-access-2', 'kp-kafka-access-3'].sort());
    expect(plan.resourcesOfType('docker_container')).toEqual({});
    expect(plan.resourcesOfType('docker_volume')).toEqual({});
    expect(Object.values(plan.resourcesOfType('docker_network'))).toEqual([expect.objectContaining({ driver: 'overlay', attachable: true })]);
  });

  test('leaves the single-host plan as it was: containers on a bridge, no service, secret or config', () => {
    expect(single.containers().length).toBeGreaterThan(20);
    for (const type of ['docker_service', 'docker_secret', 'docker_config']) expect(single.resourcesOfType(type)).toEqual({});
    expect(Object.values(single.resourcesOfType('docker_network'))).toEqual([expect.objectContaining({ driver: 'bridge' })]);
  });

  test('puts no secret in any service environment: each is a Docker secret file the variable names', () => {
    for (const s of services()) {
      const env: Record<string, string> = s.task_spec.container_spec.env ?? {};
      for (const [name, value] of Object.entries(env)) {
        expect({ service: s.name, name, secret: /random_password/.test(value) }).toEqual({ service: s.name, name, secret: false });
        expect({ service: s.name, name, secretName: isSecretVariable(name) }).toEqual({ service: s.name, name, secretName: false });
      }
    }
    const scheduler = service('kp-airflow-scheduler').task_spec.container_spec;
    expect(scheduler.env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD).toBe('cat /run/secrets/AIRFLOW__DATABASE__SQL_ALCHEMY_CONN');
    expect(scheduler.env.PIPELINE_KAFKA_PASSWORD_FILE).toBe('/run/secrets/PIPELINE_KAFKA_PASSWORD');
    expect(scheduler.secrets.map((s: PlanResource) => s.file_name)).toContain('/run/secrets/PIPELINE_KAFKA_PASSWORD');
    expect(service('kp-postgres').task_spec.container_spec.env.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/POSTGRES_PASSWORD');
  });

  test("points each service only at secret files its own program reads: every <NAME>_FILE has a reader", () => {
    // The names a shipped start script reads through secret-files.sh.
    const scriptReads = (script: string): string[] => {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', 'constructs', 'assets', script), 'utf8');
      return /^read_secret_files (.+)$/m.exec(text)?.[1].split(' ') ?? [];
    };
    const jobSecrets = PIPELINE_VARIABLES.filter((v) => v.secret).map((v) => v.name);
    const readers: Record<string, readonly string[]> = {
      'kp-postgres': scriptReads('postgres-start.sh'),
      'kp-airflow-init': scriptReads('airflow-init.sh'),
      // The exporter reads DATA_SOURCE_PASS_FILE itself.
      'kp-postgres-exporter': ['DATA_SOURCE_PASS'],
    };
    let files = 0;
    for (const s of services()) {
      for (const name of Object.keys(s.task_spec.container_spec.env ?? {})) {
        const variable = /^(.+)_FILE$/.exec(name)?.[1];
        if (variable === undefined || !isSecretVariable(variable)) continue;
        files++;
        expect({ service: s.name, variable, read: (readers[s.name] ?? jobSecrets).includes(variable) }).toEqual({ service: s.name, variable, read: true });
      }
    }
    expect(readers['kp-postgres']).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'KP_PG_PIPELINE_PASSWORD']));
    expect(files).toBeGreaterThan(10);
  });

  test('keeps every file that holds a password a secret, not a config', () => {
    const configs = Object.values(plan.resourcesOfType('docker_config'));
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) expect({ name: config.name, password: /random_password/.test(config.data) }).toEqual({ name: config.name, password: false });
    const secretData = Object.values(plan.resourcesOfType('docker_secret')).map((s) => s.data as string);
    expect(secretData.some((data) => data.includes('random_password.Platform_Kafka_BrokerPassword'))).toBe(true);
  });

  test('gives a file the mode a container upload gives it, secret or not: the service\'s own user reads it as on one host', () => {
    // The Spark daemons run as uid 185 and read the cluster's secret; a first swarm deploy found it 0600, root's.
    const master = service('kp-spark-master').task_spec.container_spec;
    const security = (master.secrets as PlanResource[]).find((s) => s.file_name === '/opt/kafka-pipelining/spark-security.conf');
    expect(security?.file_mode).toBe(0o644);
    const shipped = Object.values(plan.resourcesOfType('docker_service')).flatMap((s) => [...(s.task_spec.container_spec.secrets ?? []), ...(s.task_spec.container_spec.configs ?? [])] as PlanResource[]);
    expect(shipped.filter((f) => f.file_mode === 0o600).length).toBeGreaterThan(0);
  });

  test("keeps a brought service's literal password out of every environment and config", () => {
    const brought = synthPlatform({
      target: swarm(),
      acceptUnencryptedNetworkAccess: true,
      postgres: Postgres.fromExisting({ host: 'db.internal', airflow: { user: 'meta', password: 'literal-a-9f3' }, pipeline: { user: 'etl', password: 'literal-p-9f3' } }),
    });
    const exposed = [
      ...Object.values(brought.resourcesOfType('docker_service')).map((s) => JSON.stringify(s.task_spec.container_spec.env ?? {})),
      ...Object.values(brought.resourcesOfType('docker_config')).map((c) => Buffer.from(String(c.data), 'base64').toString('utf8') + String(c.data)),
    ];
    expect(exposed.filter((text) => text.includes('literal-'))).toEqual([]);
    expect(brought.text).toContain(Buffer.from('postgresql+psycopg2://meta:literal-a-9f3@db.internal:5432/airflow').toString('base64'));
  });

  test('pins each stateful service to one labelled host: one broker and one Cassandra node per host', () => {
    const stateful = services().filter(writesToVolume);
    expect(stateful.map((s) => s.name)).toEqual(expect.arrayContaining(['kp-kafka', 'kp-kafka-2', 'kp-kafka-3', 'kp-cassandra', 'kp-cassandra-2', 'kp-cassandra-3', 'kp-postgres']));
    for (const s of stateful) expect({ service: s.name, host: HOSTS.includes(pinnedHost(s) ?? '') }).toEqual({ service: s.name, host: true });
    expect(['kp-kafka', 'kp-kafka-2', 'kp-kafka-3'].map((name) => pinnedHost(service(name)))).toEqual(HOSTS);
    expect(['kp-cassandra', 'kp-cassandra-2', 'kp-cassandra-3'].map((name) => pinnedHost(service(name)))).toEqual(HOSTS);
    // Stateless services that publish no port and read no volume go wherever there is room, spread over the hosts.
    const free = services().filter((s) => (s.endpoint_spec?.ports ?? []).length === 0 && (s.task_spec.container_spec.mounts ?? []).length === 0);
    expect(free.map((s) => s.name)).toEqual(expect.arrayContaining(['kp-spark-worker-1', 'kp-spark-worker-2', 'kp-postgres-exporter']));
    for (const s of free) expect({ name: s.name, placement: s.task_spec.placement }).toEqual({ name: s.name, placement: { prefs: ['spread=node.labels.kp.host'] } });
  });

  test("pins a service that publishes a port to its host, whose address the stack's outputs and a broker's advertised listener give", () => {
    const addressed = synthPlatform({
      profile: 'replicated', acceptUnencryptedNetworkAccess: true,
      target: DeploymentTarget.swarm({ hosts: HOSTS, addresses: ['10.9.0.11', '10.9.0.12', '10.9.0.13'] }),
    });
    const inPlan = (name: string) => Object.values(addressed.resourcesOfType('docker_service')).find((s) => s.name === name)!;
    // Without the routing mesh a port is on its task's node: the service stays on the host its address names.
    for (const name of ['kp-schema-registry', 'kp-airflow-api-server', 'kp-spark-master']) expect({ name, host: pinnedHost(inPlan(name)) }).toEqual({ name, host: 'host-1' });
    const output = (name: string) => String(addressed.json.output[name].value);
    const hostsOf = (addresses: string) => addresses.split(',').map((address) => address.split(':')[0]);
    expect(output('airflow_url')).toBe('http://10.9.0.11:8080');
    expect(hostsOf(output('kafka_bootstrap_servers'))).toEqual(['10.9.0.11', '10.9.0.12', '10.9.0.13']);
    expect(hostsOf(output('cassandra_contact_point'))).toEqual(['10.9.0.11', '10.9.0.12', '10.9.0.13']);
    // Broker i runs on host i and tells clients outside the swarm to dial host i.
    const configs = Object.values(addressed.resourcesOfType('docker_config')).map((c) => Buffer.from(String(c.data), 'base64').toString('utf8'));
    const advertised = configs.flatMap((text) => [...text.matchAll(/^advertised\.listeners=INTERNAL:\/\/([a-z0-9-]+):\d+,EXTERNAL:\/\/([0-9.]+):/gm)].map((m) => `${m[1]} ${m[2]}`));
    expect(advertised.sort()).toEqual(['kp-kafka 10.9.0.11', 'kp-kafka-2 10.9.0.12', 'kp-kafka-3 10.9.0.13']);
    expect(() => DeploymentTarget.swarm({ hosts: HOSTS, addresses: ['10.9.0.11'] })).toThrow(/addresses must give one address per host \(3\), got 1/);
  });

  test("checks a KRaft voter by its controller listener and a Spark worker or driver by its UI: a task is found by name only once healthy", () => {
    const test = (s: PlanResource) => (s.task_spec.container_spec.healthcheck.test as string[]).join(' ');
    for (const name of ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3']) expect(test(service(name))).toContain('/dev/tcp/127.0.0.1/29093');
    // One Docker host keeps the check that the broker serves clients: its containers wait for it, and no DNS does.
    for (const name of ['kp-kafka', 'kp-kafka-2', 'kp-kafka-3']) {
      expect((single.containers().find((c) => c.name === name)!.healthcheck.test as string[]).join(' ')).toContain('kafka-health.sh 29092');
    }
    // The master answers a worker's or a driver's registration at its name: each is checked by its UI, up before that.
    for (const name of ['kp-spark-worker-1', 'kp-spark-worker-2']) expect(test(service(name))).toBe('CMD bash -c exec 3<>/dev/tcp/127.0.0.1/8081');
    expect(test(service('kp-spark-job'))).toBe('CMD bash -c exec 3<>/dev/tcp/127.0.0.1/4040');
    expect((single.containers().find((c) => c.name === 'kp-spark-job')!.healthcheck.test as string[]).join(' ')).toContain('spark_health.py driver');
    // Services that no peer has to reach back keep their whole check on a swarm too.
    expect(test(service('kp-schema-registry'))).toContain('/subjects');
    const dedicated = synthPlatform({ profile: 'replicated', kafkaControllers: 'dedicated', target: swarm(), acceptUnencryptedNetworkAccess: true });
    const dedicatedServices = Object.values(dedicated.resourcesOfType('docker_service'));
    for (const s of dedicatedServices.filter((s) => /-kafka-controller-/.test(s.name))) expect(test(s)).toContain('/dev/tcp/127.0.0.1/29093');
    // Brokers that are no voters wait for the controllers, which need no broker: their whole check.
    for (const s of dedicatedServices.filter((s) => /^kp-kafka(-\d)?$/.test(s.name))) expect(test(s)).toContain('kafka-health.sh 29092');
  });

  test("places a service that reads a volume beside the service that writes it, and each broker's files on the broker's host", () => {
    // pipeline-metrics reads the stream's offsets from the Spark job's checkpoint volume.
    expect(pinnedHost(service('kp-pipeline-metrics'))).toBe(pinnedHost(service('kp-spark-job')));
    expect(['kp-kafka-access', 'kp-kafka-access-2', 'kp-kafka-access-3'].map((name) => pinnedHost(service(name)))).toEqual(HOSTS);
    // The monitoring's node exporter reads volumes of every host: it sees its own node's, wherever it runs.
    expect(service('kp-node-exporter').task_spec.placement).toEqual({ prefs: ['spread=node.labels.kp.host'] });
    // One Docker host keeps its one job.
    expect(single.containers().filter((c) => /^kp-kafka-access/.test(c.name)).map((c) => c.name)).toEqual(['kp-kafka-access']);
  });

  test("pins the Spark driver (it writes the stream's checkpoint) but not the workers, which keep nothing of the stream", () => {
    expect(HOSTS).toContain(pinnedHost(service('kp-spark-job')));
    for (const name of ['kp-spark-worker-1', 'kp-spark-worker-2']) {
      expect(service(name).task_spec.container_spec.mounts ?? []).toEqual([]);
      expect(service(name).task_spec.placement).toEqual({ prefs: ['spread=node.labels.kp.host'] });
    }
  });

  test('spreads the dedicated KRaft controllers over the hosts too', () => {
    const dedicated = synthPlatform({ profile: 'replicated', kafkaControllers: 'dedicated', target: swarm(), acceptUnencryptedNetworkAccess: true });
    const hosts = Object.values(dedicated.resourcesOfType('docker_service')).filter((s) => /-kafka-controller-/.test(s.name)).map(pinnedHost);
    expect(new Set(hosts)).toEqual(new Set(HOSTS));
  });

  const published = (p: SynthesizedPlan) =>
    services(p).flatMap((s) => (s.endpoint_spec?.ports ?? []).map((port: PlanResource) => `${s.name} ${port.target_port}->${port.published_port} ${port.publish_mode}`));
  const containerPorts = (mode: string) => single.containers().flatMap((c) => (c.ports ?? []).map((port: PlanResource) => `${c.name} ${port.internal}->${port.external} ${mode}`));

  test("publishes every port the single-host plan publishes, on the node of the service's task; names resolve to tasks", () => {
    expect(published(plan).sort()).toEqual(containerPorts('host').sort());
    expect(published(plan)).toContain('kp-airflow-api-server 8080->8080 host');
    for (const s of services()) expect({ service: s.name, mode: s.endpoint_spec.mode }).toEqual({ service: s.name, mode: 'dnsrr' });
  });

  test('with routingMesh, publishes them on every node, and names resolve to a virtual IP', () => {
    const mesh = synthPlatform({ profile: 'replicated', target: DeploymentTarget.swarm({ hosts: HOSTS, routingMesh: true }), acceptUnencryptedNetworkAccess: true });
    expect(published(mesh).sort()).toEqual(containerPorts('ingress').sort());
    for (const s of services(mesh)) expect({ service: s.name, mode: s.endpoint_spec.mode }).toEqual({ service: s.name, mode: 'vip' });
  });

  test('rolls updates one task at a time, healthy or rolled back; a stateful service stops before its successor starts', () => {
    expect(service('kp-kafka-2').update_config).toEqual(expect.objectContaining({ parallelism: 1, failure_action: 'rollback', order: 'stop-first' }));
    expect(service('kp-schema-registry').update_config).toEqual(expect.objectContaining({ parallelism: 1, failure_action: 'rollback', order: 'start-first' }));
    expect(service('kp-kafka-2').task_spec.container_spec.healthcheck.test[0]).toBe('CMD');
    expect(service('kp-kafka-2').converge_config).toEqual({ delay: '5s', timeout: '600s' });
    expect(service('kp-kafka-2').task_spec.restart_policy).toEqual({ condition: 'any', delay: '5s', window: '0s' });
  });

  test('reserves the memory it limits, so a host never takes more than it holds', () => {
    for (const s of services()) {
      const { limits, reservation } = s.task_spec.resources;
      expect({ service: s.name, reserved: reservation.memory_bytes }).toEqual({ service: s.name, reserved: limits.memory_bytes });
    }
    expect(service('kp-kafka').task_spec.resources.limits.memory_bytes).toBe(single.container('kp-kafka').memory * 1024 * 1024);
  });

  test("joins every service to the overlay network by the network's id, under the service's name (by name, each deploy would replace it)", () => {
    const [networkId] = Object.keys(plan.resourcesOfType('docker_network'));
    for (const s of services()) {
      expect({ name: s.name, networks: s.task_spec.networks_advanced }).toEqual({ name: s.name, networks: [{ id: `\${docker_network.${networkId}.id}`, aliases: [s.name] }] });
    }
  });

  test('writes every field as the provider reads a service back, so a redeploy of the same plan changes no service', () => {
    for (const s of services()) {
      const spec = s.task_spec;
      const durations = [spec.container_spec.healthcheck?.interval, spec.container_spec.healthcheck?.timeout, spec.container_spec.healthcheck?.start_period, spec.container_spec.stop_grace_period];
      // Go's duration text with a whole minute or hour shortened (`2m`, not `2m0s`), as the provider prints it.
      for (const d of durations.filter((x) => x !== undefined)) expect({ name: s.name, duration: d }).toEqual({ name: s.name, duration: expect.stringMatching(/^(\d+h)?(\d+m)?(\d+s)?$/) });
      expect({ name: s.name, durations: durations.filter((d) => d !== undefined && /m0s$|h0m$/.test(d)) }).toEqual({ name: s.name, durations: [] });
      expect({ name: s.name, window: spec.restart_policy.window }).toEqual({ name: s.name, window: '0s' });
      // The swarm fills in the image's platforms.
      expect({ name: s.name, ignored: s.lifecycle?.ignore_changes }).toEqual({ name: s.name, ignored: ['task_spec[0].placement[0].platforms'] });
    }
    expect(service('kp-kafka').task_spec.container_spec.healthcheck.start_period).toBe('2m');
  });

  test('runs a one-shot job as a service restarted only on failure', () => {
    const job = service('kp-bootstrap');
    expect(job.task_spec.restart_policy.condition).toBe('on-failure');
    expect(job.converge_config).toBeUndefined();
  });

  test('ships files as configs, path kept and the mode the same file has on one Docker host', () => {
    const registry = service('kp-schema-registry').task_spec.container_spec;
    expect(registry.configs.map((c: PlanResource) => c.file_name)).toContain('/etc/kafka-pipelining/log4j.properties');
    const uploads = single.container('kp-schema-registry').upload as PlanResource[];
    const singleMode = (file: string) => {
      const upload = uploads.find((u) => u.file === file);
      return parseInt(upload?.permissions ?? (upload?.executable === true ? '0744' : '0644'), 8);
    };
    for (const c of registry.configs) expect({ file: c.file_name, mode: c.file_mode }).toEqual({ file: c.file_name, mode: singleMode(c.file_name) });
  });
});

describe('the swarm target refuses', () => {
  test.each([
    [{ hosts: [] }, 'hosts must name 1 to 64 hosts, got 0'],
    [{ hosts: ['host-1', 'host-1'] }, "hosts must name each host once, got 'host-1' twice"],
    [{ hosts: ['host 1'] }, "hosts must be node label values (letters, digits, '.', '_', '-'), got 'host 1'"],
    [{ hosts: ['host-1'], nodeLabel: 'Kp Host' }, "nodeLabel must be a label key (lower-case letters, digits, '.', '_', '-'), got 'Kp Host'"],
  ])('%j', (props, message) => {
    expect(() => DeploymentTarget.swarm(props)).toThrow(message);
  });

  test('a bindAddress, which only one Docker host has', () => {
    expect(() => synthPlatform({ target: swarm(), acceptUnencryptedNetworkAccess: true, bindAddress: '127.0.0.1' })).toThrow(
      "bindAddress is for one Docker host: a swarm publishes ports on its nodes' addresses; leave it unset",
    );
  });

  test('a service that would read a volume written only on another host, naming both', () => {
    const target = DeploymentTarget.swarm({ hosts: HOSTS });
    const app = Testing.app();
    const stack = new TerraformStack(app, 'volumes');
    DeploymentTarget.use(stack, target);
    const network = new PlatformNetwork(stack, 'Network', { name: 'n' });
    const image = 'node';
    const check = HealthCheck.command(['true']);
    new OneShotContainer(stack, 'Writer', { name: 'writer', image, network, memoryMiB: 64, volumes: [{ volumeName: 'shared', containerPath: '/s' }] });
    new ServiceContainer(stack, 'Reader', {
      name: 'reader', image, network, memoryMiB: 64, healthCheck: check, spreadOrdinal: 1,
      volumes: [{ volumeName: 'own', containerPath: '/o' }, { volumeName: 'shared', containerPath: '/s', readOnly: true }],
    });
    expect(() => Testing.synth(stack)).toThrow('reader runs on host-2 and reads the volume shared, which only host-1 write(s)');
  });

  test('a file larger than a swarm config or secret holds, naming the file, its size and the limit', () => {
    const stack = new TerraformStack(Testing.app(), 'sizes');
    DeploymentTarget.use(stack, DeploymentTarget.swarm({ hosts: HOSTS }));
    const network = new PlatformNetwork(stack, 'Network', { name: 'n' });
    const big = 'x'.repeat(1_100_000);
    const job = (id: string, permissions: string, content: string) =>
      new OneShotContainer(stack, id, { name: id.toLowerCase(), image: 'node', network, memoryMiB: 64, files: [{ file: '/opt/big.js', content, permissions }] });
    expect(() => job('Config', '0644', big)).toThrow('files config: /opt/big.js is 1100000 bytes; a swarm config holds at most 1023999');
    expect(() => job('Secret', '0600', big.slice(0, 600_000))).toThrow('files secret: /opt/big.js is 600000 bytes; a swarm secret holds at most 511999');
    const source = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kp-big-')), 'big.js');
    fs.writeFileSync(source, big);
    expect(() => new ShippedFiles(stack, 'Shipped', { files: [{ source, target: '/opt/big.js' }] })).toThrow(`ShippedFiles: '${source}' is 1100000 bytes; the deployment target ships a file of at most 1023999`);
  });

  test('to publish on every node without acceptUnencryptedNetworkAccess', () => {
    expect(() => synthPlatform({ target: swarm() })).toThrow('target is a swarm, which publishes ports on its nodes\' addresses');
  });
});

describe('secret variable names', () => {
  test.each(['POSTGRES_PASSWORD', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', 'PIPELINE_PG_DSN', 'DATA_SOURCE_NAME', 'DATA_SOURCE_PASS'])(
    '%s holds a secret',
    (name) => expect(isSecretVariable(name)).toBe(true),
  );
  test.each(['AIRFLOW__CORE__FERNET_KEY_CMD', 'PIPELINE_KAFKA_USERNAME', 'KAFKA_HEAP_OPTS', 'FERNET_KEY_VOLUME', 'PIPELINE_CASSANDRA_KEYSPACE', 'DATA_SOURCE_USER', 'DATA_SOURCE_URI'])('%s does not', (name) =>
    expect(isSecretVariable(name)).toBe(false),
  );
});

describe('a swarm whose nodes pull from a registry', () => {
  const REGISTRY = '10.231.0.11:5000';
  const registry = new ImageRegistry({ address: REGISTRY, insecureSkipVerify: true });
  const pulling = synthPlatform({ profile: 'replicated', imageSource: ImageSource.builtOnHost(), target: DeploymentTarget.swarm({ hosts: HOSTS, registry }), acceptUnencryptedNetworkAccess: true });
  const digests = (pulling.json.data as Record<string, Record<string, PlanResource>>).docker_registry_image;

  test("starts every service from the registry's copy of its image, by the digest read when the plan is made", () => {
    const images = Object.values(pulling.resourcesOfType('docker_service')).map((s) => s.task_spec.container_spec.image as string);
    expect(images.length).toBeGreaterThan(20);
    for (const image of images) {
      expect(image).toMatch(new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/kafka-pipelining/[a-z-]+:[^@]+@\\$\\{data\\.docker_registry_image\\.[A-Za-z0-9_]+\\.sha256_digest\\}$`));
    }
    expect(Object.values(digests).map((d) => d.name)).toContain(`${REGISTRY}/kafka-pipelining/cassandra:5.0.4`);
    for (const lookup of Object.values(digests)) expect(lookup.insecure_skip_verify).toBe(true);
  });

  test('pulls nothing onto the manager itself, and gives the provider the registry (no login: authentication disabled)', () => {
    expect(pulling.resourcesOfType('docker_image')).toEqual({});
    expect((pulling.json.provider as Record<string, PlanResource[]>).docker[0].registry_auth).toEqual([{ address: REGISTRY, auth_disabled: true }]);
  });

  test('pushes an image the manager builds (a public image plus the pipeline\'s additions) and starts from the pushed digest', () => {
    const derived = synthPlatform({ target: DeploymentTarget.swarm({ hosts: HOSTS, registry }), acceptUnencryptedNetworkAccess: true, controlCenter: false });
    const pushes = Object.entries(derived.resourcesOfType('docker_registry_image'));
    expect(pushes.length).toBeGreaterThan(0);
    const builds = Object.values(derived.resourcesOfType('docker_image')).filter((i) => i.build !== undefined);
    expect(builds.map((b) => b.name).sort()).toEqual(pushes.map(([, p]) => p.name).sort());
    for (const [id, push] of pushes) {
      expect(push.name.startsWith(`${REGISTRY}/`)).toBe(true);
      expect(push.keep_remotely).toBe(true);
      const users = Object.values(derived.resourcesOfType('docker_service')).filter((s) => s.task_spec.container_spec.image === `${push.name}@\${docker_registry_image.${id}.sha256_digest}`);
      expect({ image: push.name, services: users.length > 0 }).toEqual({ image: push.name, services: true });
    }
  });

  test.each([
    ['https://registry.example.com', 'must be host or host:port, no scheme or path'],
    ['registry.example.com/team', 'must be host or host:port, no scheme or path'],
    ['', 'must be host or host:port'],
  ])("refuses the address '%s'", (address, message) => {
    expect(() => new ImageRegistry({ address })).toThrow(message);
  });

  test('passes a login on to the provider, for a registry that asks for one', () => {
    expect(new ImageRegistry({ address: 'registry.example.com', login: { username: 'ci', password: 'p' } }).providerAuth()).toEqual({ address: 'registry.example.com', username: 'ci', password: 'p' });
  });
});
