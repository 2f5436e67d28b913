/**
 * The in-place upgrade (issue "Day two"): with users delivered, Cassandra, the pipeline's sink, moves to its
 * next patch release in a copy of constructs/versions.ts; the host build makes that image from the copy and
 * `cdktf deploy` applies the copy to the running platform. Only the Cassandra container may be replaced
 * (every other container keeps its id), the data survives, and the pipeline delivers again, ending with
 * exactly the valid users in Cassandra and verify agreeing. A CQL probe from the host measures how long the
 * sink did not answer. The platform stays upgraded: the suite's later cdktf commands synthesize the copy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CASSANDRA_VERSION } from '../../constructs/versions';
import { docker, LOG_DIRECTORY, PREFIX, ROOT, runLogged, waitFor } from '../../ops/deployment';
import { PipelineDriver } from './pipeline-driver';

const UPGRADED = nextPatch(CASSANDRA_VERSION);
const REPLACED = [`${PREFIX}-cassandra`];
// Users fetched after the upgrade: over 1,000 valid ones, as in a fault round.
const BATCH = 1100;

/** The upgrade test, run on the shared deployment whose outputs `outputs()` gives once it is up. */
export function upgradeTest(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  test(`in-place upgrade: Cassandra ${CASSANDRA_VERSION} → ${UPGRADED} by cdktf deploy replaces only the Cassandra container; the data survives and the pipeline delivers again`, async () => {
    const driver = new PipelineDriver(outputs());
    const served = (await driver.validUsers()).length;
    const before = { containers: stackContainers(), cassandra: (await driver.cassandraIds()).sort(), postgres: await postgresCounts(driver) };
    expect(before.cassandra.length).toBe(served);

    const versions = upgradedCheckout({ CASSANDRA_VERSION: UPGRADED });
    const buildSeconds = (await runLogged('upgrade-build', 'bash', [path.join(versions.root, 'scripts', 'build-host-images.sh'), 'cassandra'])) / 1000;
    // cdktf takes its options from CDKTF_* variables too: the upgraded app for this deploy and, once it is
    // applied, for every later cdktf command of the suite (a later deploy must not undo the upgrade).
    const upgraded = { CDKTF_APP: `npx ts-node --transpile-only ${path.join(__dirname, 'upgraded-app.ts')}`, KP_VERSIONS_MODULE: versions.module };
    const probe = new CqlProbe(driver);
    probe.start();
    let deploySeconds: number;
    try {
      deploySeconds = (await runLogged('upgrade-deploy', 'npx', ['cdktf', 'deploy', '--auto-approve'], upgraded)) / 1000;
      // The deploy returns once the new node is healthy, while a probe query sent during the outage may still be
      // waiting on its connection: the probe runs on until it has seen the node answer again.
      await waitFor('the probe to see Cassandra answer again', 5 * 60 * 1000, () => probe.answeredWith(UPGRADED) || undefined, 500);
    } finally {
      await probe.stop();
    }
    Object.assign(process.env, upgraded);

    const after = stackContainers();
    const replaced = [...new Set([...before.containers.keys(), ...after.keys()])].filter((name) => before.containers.get(name) !== after.get(name)).sort();
    expect(replaced).toEqual(REPLACED);
    // The container runs the image built for the new release (the provider starts it by image id, not by tag).
    expect(docker('inspect', '-f', '{{.Image}}', `${PREFIX}-cassandra`)).toBe(docker('image', 'inspect', '-f', '{{.Id}}', `kafka-pipelining/cassandra:${UPGRADED}`));
    expect(await releaseVersion(driver)).toBe(UPGRADED);
    // The probe watched the switch: the old release answered, then the new one.
    expect(probe.figures().releaseVersionsSeen).toEqual([CASSANDRA_VERSION, UPGRADED]);
    // The data survives: the users in Cassandra's kept volume, and PostgreSQL's rows untouched.
    expect((await driver.cassandraIds()).sort()).toEqual(before.cassandra);
    expect(await postgresCounts(driver)).toEqual(before.postgres);

    const round = await driver.startRound(BATCH);
    const delivered = await driver.expectDelivered(round, 'after the upgrade');
    figures.upgrade = {
      component: 'cassandra', from: CASSANDRA_VERSION, to: UPGRADED, replaced, usersKept: before.cassandra.length,
      buildSeconds, deploySeconds, ...probe.figures(), usersAfter: round.newValidIds.length, deliverySeconds: delivered.seconds,
    };
  }, 30 * 60 * 1000);
}

/** 5.0.4 → 5.0.5. */
function nextPatch(version: string): string {
  const parts = version.split('.').map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p))) throw new Error(`not a major.minor.patch version: '${version}'`);
  return [parts[0], parts[1], parts[2] + 1].join('.');
}

/**
 * A copy of constructs/versions.ts with the given constants changed, in a directory laid out like the
 * checkout for scripts/build-host-images.sh (which reads versions from `<its root>/constructs/versions.ts`):
 * the scripts, images, DAG locks and node_modules are links to the checkout's own. It stays with the run's
 * artifacts: the suite's later cdktf commands read it.
 */
function upgradedCheckout(changes: Record<string, string>): { root: string; module: string } {
  const root = path.join(LOG_DIRECTORY, 'upgrade-checkout');
  // Removes the links, not what they point to.
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'constructs'), { recursive: true });
  for (const entry of ['scripts', 'images', 'dags', 'node_modules']) fs.symlinkSync(path.join(ROOT, entry), path.join(root, entry));
  let source = fs.readFileSync(path.join(ROOT, 'constructs', 'versions.ts'), 'utf8');
  for (const [name, value] of Object.entries(changes)) {
    const declaration = new RegExp(`^export const ${name} = '[^']*';$`, 'm');
    if (!declaration.test(source)) throw new Error(`constructs/versions.ts declares no string constant ${name}`);
    source = source.replace(declaration, `export const ${name} = '${value}';`);
  }
  const module = path.join(root, 'constructs', 'versions.ts');
  fs.writeFileSync(module, source);
  return { root, module };
}

/** Every container of the stack (services and one-shots), by name, with its id. */
function stackContainers(): Map<string, string> {
  const rows = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}\t{{.ID}}').split('\n').filter(Boolean);
  return new Map(rows.map((row) => row.split('\t') as [string, string]));
}

/** Rows of the pipeline's PostgreSQL tables, published or not. */
async function postgresCounts(driver: PipelineDriver): Promise<Record<string, number>> {
  return driver.withPostgres(async (pg) => ({
    ...(await pg.query<{ users: number; published: number; rejected: number }>(
      'SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM users WHERE published_at IS NOT NULL) AS published, (SELECT count(*)::int FROM rejected_records) AS rejected',
    )).rows[0],
  }));
}

/** The release Cassandra reports. */
async function releaseVersion(driver: PipelineDriver): Promise<string> {
  return driver.withCassandra(async (c) => (await c.execute('SELECT release_version FROM system.local')).rows[0].release_version as string);
}

/**
 * Asks Cassandra from the host, twice a second with a fresh session each time, for its release version:
 * the spans in which it did not answer are the pause of the pipeline's sink.
 */
class CqlProbe {
  private running = false;
  private loop?: Promise<void>;
  private readonly versions: string[] = [];
  private downSince?: number;
  private readonly outages: number[] = [];

  constructor(private readonly driver: PipelineDriver) {}

  public start(): void {
    this.running = true;
    this.loop = this.run();
  }

  public async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    // An outage still open counts up to now; the test's own query then fails on it.
    if (this.downSince !== undefined) this.outages.push(Date.now() - this.downSince);
    this.downSince = undefined;
  }

  /** Whether Cassandra has answered the probe with this release. */
  public answeredWith(version: string): boolean {
    return this.versions.includes(version);
  }

  /** How long, in all, and how many times Cassandra did not answer, and the versions it answered with, in order. */
  public figures(): { cassandraUnansweredSeconds: number; cassandraOutages: number; releaseVersionsSeen: string[] } {
    return {
      cassandraUnansweredSeconds: Math.round(this.outages.reduce((sum, ms) => sum + ms, 0) / 100) / 10,
      cassandraOutages: this.outages.length,
      releaseVersionsSeen: this.versions,
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const asked = Date.now();
      const version = await this.ask();
      if (version === undefined) {
        this.downSince ??= asked;
      } else {
        if (this.downSince !== undefined) this.outages.push(asked - this.downSince);
        this.downSince = undefined;
        if (this.versions[this.versions.length - 1] !== version) this.versions.push(version);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 500 - (Date.now() - asked))));
    }
  }

  private async ask(): Promise<string | undefined> {
    try {
      return await releaseVersion(this.driver);
    } catch {
      return undefined;
    }
  }
}
