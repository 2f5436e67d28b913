/**
 * Helpers of the end-to-end proof: commands, the deployed stack's outputs, Docker state, Airflow's REST
 * API, and the oracle that says what a source user must look like in Cassandra.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
export const STACK_DIRECTORY = path.join(ROOT, 'cdktf.out', 'stacks', 'kafka-pipelining');
export const ARTIFACTS = path.join(ROOT, 'artifacts', 'e2e');
export const PREFIX = 'kp';

/** Runs a command to completion, its output appended to a log under artifacts/e2e; throws with the log's tail. */
export function runLogged(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, `${name}.log`);
  const log = fs.openSync(logFile, 'w');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    child.on('error', reject);
    child.on('exit', (code) => {
      fs.closeSync(log);
      if (code === 0) return resolve(Date.now() - started);
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n');
      reject(new Error(`${command} ${args.join(' ')} exited ${code}; last lines of ${logFile}:\n${tail}`));
    });
  });
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** The stack's outputs, sensitive ones included (read from state, as `terraform output` does). */
export function stackOutputs(): Record<string, string> {
  const json = JSON.parse(
    execFileSync(process.env.TERRAFORM_BINARY_NAME ?? 'terraform', [`-chdir=${STACK_DIRECTORY}`, 'output', '-json'], { encoding: 'utf8' }),
  );
  return Object.fromEntries(Object.entries(json).map(([k, v]: [string, any]) => [k, v.value]));
}

/** Which of the given containers, and of the stack's network and named volumes, are still on the engine. */
export function leftovers(containers: string[]): { containers: string[]; networks: string[]; volumes: string[] } {
  const list = (args: string[]) => docker(...args).split('\n').filter(Boolean);
  const present = new Set(list(['ps', '-a', '--format', '{{.Names}}']));
  return {
    containers: containers.filter((name) => present.has(name)),
    networks: list(['network', 'ls', '--format', '{{.Name}}']).filter((name) => name === `${PREFIX}-net`),
    volumes: list(['volume', 'ls', '--format', '{{.Name}}']).filter((name) => name.startsWith(`${PREFIX}-`)),
  };
}

/**
 * Watches `docker ps` while a deploy runs and records when each platform container first appeared and
 * first reported healthy (or, for one-shot containers, exited 0).
 */
export class HealthWatcher {
  public readonly firstSeen = new Map<string, number>();
  public readonly ready = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  public start(): void {
    this.timer = setInterval(() => this.poll(), 1000);
  }

  public stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.poll();
  }

  /** Seconds from first sight to healthy, per container. */
  public secondsToReady(): Record<string, number> {
    return Object.fromEntries(
      [...this.ready.entries()].map(([name, at]) => [name, Math.round((at - (this.firstSeen.get(name) ?? at)) / 100) / 10]),
    );
  }

  private poll(): void {
    let rows: string[];
    try {
      rows = docker('ps', '-a', '--filter', `network=${PREFIX}-net`, '--format', '{{.Names}}\t{{.Status}}').split('\n').filter(Boolean);
    } catch {
      return;
    }
    const now = Date.now();
    for (const row of rows) {
      const [name, status] = row.split('\t');
      if (!this.firstSeen.has(name)) this.firstSeen.set(name, now);
      if (!this.ready.has(name) && (status.includes('(healthy)') || status.startsWith('Exited (0)'))) this.ready.set(name, now);
    }
  }
}

/** `cdktf deploy` under a HealthWatcher: the seconds it took and what the watcher saw. */
export async function deployWatched(logName: string): Promise<{ seconds: number; watcher: HealthWatcher }> {
  const watcher = new HealthWatcher();
  watcher.start();
  try {
    return { seconds: (await runLogged(logName, 'npx', ['cdktf', 'deploy', '--auto-approve'])) / 1000, watcher };
  } finally {
    watcher.stop();
  }
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
}

/** Airflow 3's public REST API with a token from the FAB auth manager. */
export class AirflowApi {
  private token?: string;

  constructor(private readonly baseUrl: string, private readonly username: string, private readonly password: string) {}

  public async request(method: string, apiPath: string, body?: unknown): Promise<any> {
    if (!this.token) {
      const response = await fetch(`${this.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: this.username, password: this.password }),
      });
      if (!response.ok) throw new Error(`Airflow /auth/token answered ${response.status}: ${await response.text()}`);
      this.token = ((await response.json()) as any).access_token;
    }
    const response = await fetch(`${this.baseUrl}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`Airflow ${method} ${apiPath} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }

  /** Triggers a run now, with the given params (`conf`), and returns its id. */
  public async trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
    const run = await this.request('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf });
    return run.dag_run_id;
  }

  public async runState(dagId: string, runId: string): Promise<string> {
    return (await this.request('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`)).state;
  }

  /** Waits for the run to end and returns its final state. */
  public async runEnd(dagId: string, runId: string, timeoutMs = 10 * 60 * 1000): Promise<string> {
    return waitFor(`DAG run ${runId}`, timeoutMs, async () => {
      const state = await this.runState(dagId, runId);
      return state === 'success' || state === 'failed' ? state : undefined;
    }, 1000);
  }

  /** A task instance of a run: its state, try_number and id (the id a LocalExecutor process is titled with). */
  public async taskInstance(dagId: string, runId: string, taskId: string): Promise<{ id: string; state: string | null; try_number: number }> {
    return this.request('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
  }

  /** Clears a failed task of a run, so the scheduler runs it again (its next try) and the run resumes. */
  public async clearFailedTask(dagId: string, runId: string, taskId: string): Promise<void> {
    await this.request('POST', `/api/v2/dags/${dagId}/clearTaskInstances`, {
      dry_run: false, dag_run_id: runId, task_ids: [taskId], only_failed: true, reset_dag_runs: true,
    });
  }

  /** The log of one try of a task, as text. */
  public async taskLog(dagId: string, runId: string, taskId: string, tryNumber: number): Promise<string> {
    return JSON.stringify(await this.request('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}`));
  }
}

/** What a valid source user must be in Cassandra, field by field (docs/pipeline.md), independently of the jobs' code. */
export function expectedRow(user: any): Record<string, string> {
  const l = user.location;
  return {
    id: user.login.uuid.toLowerCase(),
    first_name: user.name.first,
    last_name: user.name.last,
    gender: user.gender,
    address: `${l.street.number} ${l.street.name}, ${l.city}, ${l.state}, ${l.country}`,
    post_code: String(l.postcode),
    email: user.email,
    username: user.login.username,
    dob: user.dob.date,
    registered_date: user.registered.date,
    phone: user.phone,
    picture: user.picture.medium,
  };
}
