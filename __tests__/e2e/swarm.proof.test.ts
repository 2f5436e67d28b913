/**
 * The swarm target's proof (`npm run test:swarm`, scripts/e2e-swarm.sh): the replicated profile deployed through the
 * manager of a three-host swarm made on this machine (scripts/swarm-hosts.sh), one broker and one Cassandra node per
 * host, images pulled by digest from the registry on the manager. It converges by itself, delivers over 1,000 users
 * exactly, serves the Airflow UI on its published port, keeps delivering while a worker host is cut off, takes a
 * third Spark worker from a prop change without restarting anything else, and leaves nothing on the swarm when
 * destroyed. Figures land in artifacts/e2e-swarm/figures.json.
 */
import { execFileSync } from 'child_process';
import { policies } from 'cassandra-driver';
import * as fs from 'fs';
import * as path from 'path';
import { destroy, docker, runLogged, stackOutputs, waitFor } from '../../ops/deployment';
import { airflowDagRunsInBrowser } from './browser';
import { PipelineDriver } from './pipeline-driver';
import { stallAround } from './replicated';

const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts', 'e2e-swarm');
const figures: Record<string, unknown> = {};
const ROUND_USERS = 1100;
const BAD_EVERY = 50;
/** The host cut off: a worker (the manager holds the registry and the swarm's state), with broker 3 and Cassandra node 3. */
const CUT_HOST = 3;
/** The stack's objects are named kp-…; the swarm's own registry (scripts/swarm-hosts.sh) is not the stack's. */
const ofStack = (name: string) => name.startsWith('kp-') && !name.startsWith('kp-swarm-');
const swarmScript = (...args: string[]) => execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'swarm-hosts.sh'), ...args], { encoding: 'utf8' }).trim();

interface ServiceRow {
  readonly name: string;
  readonly replicas: string;
}

/** The swarm's services of this stack with their `running/desired` replicas. */
function services(): ServiceRow[] {
  return docker('service', 'ls', '--format', '{{.Name}}\t{{.Replicas}}').split('\n').filter(Boolean)
    .map((row) => row.split('\t')).map(([name, replicas]) => ({ name, replicas: replicas.split(' ')[0] }))
    .filter((s) => ofStack(s.name));
}

/** A service restarted whatever its exit: a long-running one (a one-shot job is restarted only on failure, and ends Complete). */
function isLongRunning(name: string): boolean {
  return docker('service', 'inspect', '-f', '{{.Spec.TaskTemplate.RestartPolicy.Condition}}', name) === 'any';
}

/** Each service's spec version: it moves only when the service is updated. */
function specVersions(): Record<string, string> {
  return Object.fromEntries(services().map((s) => [s.name, docker('service', 'inspect', '-f', '{{.Version.Index}} {{.UpdatedAt}}', s.name)]));
}

/** The hosts (kp.host labels) of a service's running tasks. */
function hostsOf(service: string): string[] {
  const nodes = docker('service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}').split('\n').filter((l) => /Running/.test(l)).map((l) => l.split(' ')[0]);
  return nodes.map((node) => docker('node', 'inspect', '-f', '{{index .Spec.Labels "kp.host"}}', node));
}

/** What this stack left on the swarm: services, secrets, configs, networks. */
function leftOnSwarm(): Record<string, string[]> {
  const names = (...args: string[]) => docker(...args, '--format', '{{.Name}}').split('\n').filter(ofStack);
  return { services: names('service', 'ls'), secrets: names('secret', 'ls'), configs: names('config', 'ls'), networks: names('network', 'ls') };
}

/**
 * Each Cassandra node's overlay address (what it tells clients) with its host's address (where its CQL port is
 * published), from its running task.
 */
function cassandraHosts(): Map<string, string> {
  const addresses = (process.env.KP_SWARM_ADDRESSES ?? '').split(',');
  const hosts = (process.env.KP_SWARM_HOSTS ?? '').split(',');
  const map = new Map<string, string>();
  for (const { name } of services().filter((s) => /^kp-cassandra(-\d+)?$/.test(s.name))) {
    const task = docker('service', 'ps', name, '--filter', 'desired-state=running', '-q').split('\n')[0];
    const overlay = docker('inspect', task, '--format', '{{range .NetworksAttachments}}{{range .Addresses}}{{.}} {{end}}{{end}}').split(' ')[0].split('/')[0];
    const [host] = hostsOf(name);
    map.set(overlay, addresses[hosts.indexOf(host)]);
  }
  return map;
}

/** The driver's translator class: its types call it an interface, but the driver checks `instanceof` it. */
const AddressTranslatorBase = (policies.addressResolution as unknown as { AddressTranslator: new () => policies.addressResolution.AddressTranslator }).AddressTranslator;

/** Dials a node at its host's address, where the node names its overlay address. */
class HostAddressTranslator extends AddressTranslatorBase {
  constructor(private readonly hosts: ReadonlyMap<string, string>) {
    super();
  }

  public translate(address: string, port: number, callback: (endpoint: string) => void): void {
    callback(`${this.hosts.get(address) ?? address}:${port}`);
  }
}

async function masterStatus(): Promise<{ workers: Array<{ state: string }>; activeapps: Array<{ name: string; cores: number }> }> {
  const response = await fetch(`${outputs.spark_master_ui_url}/json/`);
  if (!response.ok) throw new Error(`the Spark master's UI answered ${response.status}`);
  return (await response.json()) as { workers: Array<{ state: string }>; activeapps: Array<{ name: string; cores: number }> };
}

async function deploy(logName: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return (await runLogged(logName, 'npx', ['cdktf', 'deploy', '--auto-approve'], env, ARTIFACTS)) / 1000;
}

let outputs: Record<string, string>;
let driver: PipelineDriver;

beforeAll(() => {
  expect(process.env.KP_SWARM_HOSTS).toBe('host-1,host-2,host-3');
  expect(leftOnSwarm()).toEqual({ services: [], secrets: [], configs: [], networks: [] });
});

afterAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2));
  swarmScript('mend', String(CUT_HOST));
  if (leftOnSwarm().services.length > 0) await destroy('swarm-destroy-after-failure', ARTIFACTS).catch(() => undefined);
});

test('cdktf deploy to the manager converges by itself: every service at its replicas, every job complete, one broker and one Cassandra node per host', async () => {
  figures.deploySeconds = await deploy('swarm-deploy');
  const rows = services();
  expect(rows.length).toBeGreaterThan(15);
  for (const { name, replicas } of rows) {
    if (isLongRunning(name)) {
      expect({ name, replicas }).toEqual({ name, replicas: replicas.split('/')[1] + '/' + replicas.split('/')[1] });
    } else {
      const states = docker('service', 'ps', name, '--format', '{{.CurrentState}}');
      expect({ name, complete: /^Complete/m.test(states) }).toEqual({ name, complete: true });
    }
  }
  expect(['kp-kafka', 'kp-kafka-2', 'kp-kafka-3'].map(hostsOf)).toEqual([['host-1'], ['host-2'], ['host-3']]);
  expect(['kp-cassandra', 'kp-cassandra-2', 'kp-cassandra-3'].map(hostsOf)).toEqual([['host-1'], ['host-2'], ['host-3']]);
  // Every image by digest from the registry: what the plan read is what every node runs.
  for (const { name } of rows) expect(docker('service', 'inspect', '-f', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', name)).toMatch(/^10\.231\.0\.11:5000\/.+@sha256:[0-9a-f]{64}$/);

  outputs = stackOutputs();
  driver = new PipelineDriver(outputs, [], { addressTranslator: new HostAddressTranslator(cassandraHosts()) });
  await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 0, malformed: 0 });
}, 60 * 60 * 1000);

test('the pipeline delivers over 1,000 users across the hosts, exactly the valid ones', async () => {
  const round = await driver.startRound(ROUND_USERS);
  expect(round.newValidIds.length).toBeGreaterThanOrEqual(1000);
  const delivered = await driver.expectDelivered(round, 'swarm first round');
  figures.firstRound = { users: round.newValidIds.length, seconds: delivered.seconds };
}, 30 * 60 * 1000);

test('the Airflow UI answers on its published port, on the host it is pinned to: log in, find the DAG and its successful run', async () => {
  expect(outputs.airflow_url).toBe('http://10.231.0.11:8080');
  const screenshot = path.join(ARTIFACTS, 'airflow-dag-runs.png');
  await airflowDagRunsInBrowser(outputs, screenshot);
  expect(fs.statSync(screenshot).size).toBeGreaterThan(10000);
}, 5 * 60 * 1000);

test(`host ${CUT_HOST} cut off mid-stream (its link down): the stream keeps delivering on the other two; mended, every valid user once`, async () => {
  const round = await driver.startRound(ROUND_USERS);
  expect(round.newValidIds.length).toBeGreaterThanOrEqual(1000);
  await driver.partwayThrough(round);
  const struck = Date.now();
  swarmScript('cut', String(CUT_HOST));
  try {
    await waitFor(`host-${CUT_HOST} Down`, 3 * 60 * 1000, () => (docker('node', 'inspect', '-f', '{{.Status.State}}', `host-${CUT_HOST}`) === 'down' ? true : undefined), 2000);
    // Delivered while it is still cut off: two brokers in sync and two Cassandra replicas of three suffice.
    await waitFor(`the round's ${round.target} users in Cassandra with host-${CUT_HOST} cut off`, 10 * 60 * 1000, async () =>
      ((await driver.cassandraIds()).length >= round.target ? true : undefined), 2000);
    expect(docker('node', 'inspect', '-f', '{{.Status.State}}', `host-${CUT_HOST}`)).toBe('down');
  } finally {
    swarmScript('mend', String(CUT_HOST));
  }
  await waitFor(`host-${CUT_HOST} Ready again`, 3 * 60 * 1000, () => (docker('node', 'inspect', '-f', '{{.Status.State}}', `host-${CUT_HOST}`) === 'ready' ? true : undefined), 2000);
  await waitFor('every service at its replicas again', 10 * 60 * 1000, () =>
    (services().filter((s) => isLongRunning(s.name)).every((s) => s.replicas.split('/')[0] === s.replicas.split('/')[1]) ? true : undefined), 5000);
  const delivered = await driver.expectDelivered(round, `host-${CUT_HOST} cut off`);
  figures.hostCut = { host: `host-${CUT_HOST}`, users: round.newValidIds.length, ...(await stallAround(driver, round, struck)), recoverySeconds: delivered.seconds };
}, 40 * 60 * 1000);

test('a third Spark worker from a prop change (KP_SPARK_WORKERS=3): it joins the master and the running job, and only Prometheus, which scrapes it, is updated', async () => {
  const before = specVersions();
  const streamCores = async () => (await masterStatus()).activeapps.filter((app) => app.name === 'stream_users').reduce((sum, app) => sum + app.cores, 0);
  const coresBefore = await streamCores();
  figures.scaleDeploySeconds = await deploy('swarm-scale-workers', { KP_SPARK_WORKERS: '3' });
  const after = specVersions();
  expect(Object.keys(after).filter((name) => !(name in before))).toEqual(['kp-spark-worker-3']);
  // The stream is not restarted: it takes no more cores than the workers offer, so the new worker's executors join it.
  expect(Object.keys(before).filter((name) => before[name] !== after[name])).toEqual(['kp-prometheus']);
  expect(services().find((s) => s.name === 'kp-spark-worker-3')?.replicas).toBe('1/1');
  expect((await masterStatus()).workers.filter((w) => w.state === 'ALIVE')).toHaveLength(3);
  // The running stream took executors on it.
  const coresAfter = await waitFor('the stream to take the new worker\'s cores', 5 * 60 * 1000, async () => {
    const cores = await streamCores();
    return cores > coresBefore ? cores : undefined;
  }, 5000);
  figures.streamCores = { before: coresBefore, after: coresAfter };
  // The stream goes on with it.
  const round = await driver.startRound(ROUND_USERS);
  await driver.expectDelivered(round, 'three spark workers');
}, 30 * 60 * 1000);

test('cdktf destroy leaves no service, secret, config or network of the stack on the swarm', async () => {
  figures.destroySeconds = (await runLogged('swarm-destroy', 'npx', ['cdktf', 'destroy', '--auto-approve'], { KP_SPARK_WORKERS: '3' }, ARTIFACTS)) / 1000;
  expect(leftOnSwarm()).toEqual({ services: [], secrets: [], configs: [], networks: [] });
}, 30 * 60 * 1000);
