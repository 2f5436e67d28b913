/**
 * Operating a deployment of the stack from this host: `cdktf deploy` and `destroy` with their logs, the
 * stack's outputs, Docker state, and waiting for a condition. Used by the end-to-end proof
 * (__tests__/e2e) and the benchmarks (bench/).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeError } from '../jobs/lib/retry';

export const ROOT = path.join(__dirname, '..');
export const STACK_DIRECTORY = path.join(ROOT, 'cdktf.out', 'stacks', 'kafka-pipelining');
/** Where runLogged writes each command's log: the end-to-end proof's artifacts (the bench's command logs go there too). */
export const LOG_DIRECTORY = path.join(ROOT, 'artifacts', 'e2e');
export const PREFIX = 'kp';
/** The pipeline's DAG (dags/). */
export const DAG_ID = 'randomuser_pipeline';

/**
 * Runs a command to completion, its output written to `<logDirectory>/<name>.log`; throws with the log's tail.
 * Resolves to the milliseconds it took.
 */
export function runLogged(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}, logDirectory = LOG_DIRECTORY): Promise<number> {
  fs.mkdirSync(logDirectory, { recursive: true });
  const logFile = path.join(logDirectory, `${name}.log`);
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

/** A container's whole log (or since an RFC 3339 time), both streams (the jobs and the JVMs log to stderr), running or exited. */
export function containerLog(name: string, since?: string): string {
  const { stdout, stderr } = spawnSync('docker', ['logs', ...(since === undefined ? [] : ['--since', since]), name], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return `${stdout}${stderr}`;
}

/**
 * A failed `cdktf deploy`'s message as one line: Terraform draws a diagnostic in a box, coloured and wrapped at the
 * terminal's width, so a phrase can be split across lines and box characters.
 */
export function deployErrorText(error: Error | undefined): string {
  const escape = String.fromCharCode(27);
  return (error?.message ?? '').replace(new RegExp(`${escape}\\[[0-9;]*m`, 'g'), '').replace(/[│╷╵]/g, ' ').replace(/\s+/g, ' ');
}

/** A stack output as `terraform output -json` gives it. */
export interface StackOutput {
  readonly value: string;
  readonly sensitive: boolean;
}

/** The stack's outputs with whether each is sensitive (read from state, as `terraform output` does). */
export function stackOutputEntries(): Record<string, StackOutput> {
  const json = JSON.parse(
    execFileSync(process.env.TERRAFORM_BINARY_NAME ?? 'terraform', [`-chdir=${STACK_DIRECTORY}`, 'output', '-json'], { encoding: 'utf8' }),
  ) as Record<string, { value: string; sensitive?: boolean }>;
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, { value: v.value, sensitive: v.sensitive === true }]));
}

/** The stack's outputs, sensitive ones included. */
export function stackOutputs(): Record<string, string> {
  return Object.fromEntries(Object.entries(stackOutputEntries()).map(([k, v]) => [k, v.value]));
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

/** Removes named volumes for good: what `cdktf destroy` leaves of a stack deployed with retainVolumes. */
export function removeVolumes(names: string[]): void {
  if (names.length > 0) docker('volume', 'rm', ...names);
}

/** A platform container's name and its `docker ps` status (e.g. `Up 3 minutes (healthy)`). */
export interface ContainerStatus {
  readonly name: string;
  readonly status: string;
}

/**
 * Watches `docker ps` while a deploy runs and records when each platform container first appeared and
 * first reported healthy (or, for one-shot containers, exited 0). `onPoll`, if given, sees every poll's
 * statuses (e.g. to show progress).
 */
export class HealthWatcher {
  public readonly firstSeen = new Map<string, number>();
  public readonly ready = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly onPoll?: (containers: ContainerStatus[], now: number) => void) {}

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
    const containers = rows.map((row) => {
      const [name, status] = row.split('\t');
      return { name, status };
    });
    for (const { name, status } of containers) {
      if (!this.firstSeen.has(name)) this.firstSeen.set(name, now);
      if (!this.ready.has(name) && (status.includes('(healthy)') || status.startsWith('Exited (0)'))) this.ready.set(name, now);
    }
    this.onPoll?.(containers, now);
  }
}

/** Where a deploy's or destroy's log goes, and who sees the watcher's polls. */
export interface WatchedOptions {
  /** @default LOG_DIRECTORY */
  readonly logDirectory?: string;
  /** @default - nobody */
  readonly onPoll?: (containers: ContainerStatus[], now: number) => void;
}

/** `cdktf deploy` under a HealthWatcher: the seconds it took and what the watcher saw. */
export async function deployWatched(logName: string, options: WatchedOptions = {}): Promise<{ seconds: number; watcher: HealthWatcher }> {
  const watcher = new HealthWatcher(options.onPoll);
  watcher.start();
  try {
    return { seconds: (await runLogged(logName, 'npx', ['cdktf', 'deploy', '--auto-approve'], {}, options.logDirectory)) / 1000, watcher };
  } finally {
    watcher.stop();
  }
}

/** `cdktf destroy`: the seconds it took. */
export async function destroy(logName: string, logDirectory = LOG_DIRECTORY): Promise<number> {
  return (await runLogged(logName, 'npx', ['cdktf', 'destroy', '--auto-approve'], {}, logDirectory)) / 1000;
}

/** Polls probe until it returns a value, retrying on throws, and fails naming what it waited for and its last error. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>, intervalMs = 3000): Promise<T> {
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
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError === undefined ? '' : `: ${describeError(lastError)}`}`);
}
