/**
 * Each container of the stack as the engine sees it: health, uptime, memory against its limit, restarts.
 * Read with `docker inspect` and `docker stats --no-stream`; the reading of their answers is pure.
 */
import { execFileSync } from 'child_process';
import type { StackContainer } from './stack-containers';

/** What a service is doing, as far as the status report judges it. */
export type Health = 'healthy' | 'starting' | 'unhealthy' | 'running' | 'restarting' | 'stopped' | 'done' | 'failed' | 'missing';

export interface ServiceStatus {
  readonly name: string;
  readonly oneShot: boolean;
  readonly health: Health;
  /** A long-running service is healthy; a one-shot container exited 0. */
  readonly ok: boolean;
  /** Since the container (re)started; null when it is not running. */
  readonly uptimeSeconds: number | null;
  readonly memoryBytes: number | null;
  /** The container's memory limit; null when it has none. */
  readonly memoryLimitBytes: number | null;
  readonly restarts: number;
  /** The exit code of a container that is not running. */
  readonly exitCode: number | null;
}

/** The fields of `docker inspect` that the report reads. */
export interface InspectedContainer {
  readonly Name: string;
  readonly RestartCount: number;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly Restarting: boolean;
    readonly ExitCode: number;
    readonly StartedAt: string;
    readonly Health?: { readonly Status: string };
  };
  readonly HostConfig: { readonly Memory: number };
  readonly Config: { readonly Env: readonly string[] | null; readonly Cmd: readonly string[] | null };
}

function healthOf(state: InspectedContainer['State'], oneShot: boolean): Health {
  if (state.Restarting) return 'restarting';
  if (!state.Running) {
    if (oneShot && state.Status === 'exited') return state.ExitCode === 0 ? 'done' : 'failed';
    return state.Status === 'exited' && state.ExitCode !== 0 ? 'failed' : 'stopped';
  }
  const health = state.Health?.Status;
  if (health === 'healthy' || health === 'starting' || health === 'unhealthy') return health;
  return 'running';
}

/** One container's status from its inspection (undefined: not on the engine) and its memory use. */
export function serviceStatus(
  container: StackContainer,
  inspected: InspectedContainer | undefined,
  memoryBytes: number | undefined,
  now: Date,
): ServiceStatus {
  if (inspected === undefined) {
    return { ...container, health: 'missing', ok: false, uptimeSeconds: null, memoryBytes: null, memoryLimitBytes: null, restarts: 0, exitCode: null };
  }
  const state = inspected.State;
  const health = healthOf(state, container.oneShot);
  const started = Date.parse(state.StartedAt);
  return {
    ...container,
    health,
    ok: container.oneShot ? health === 'done' : health === 'healthy',
    uptimeSeconds: state.Running && !Number.isNaN(started) ? Math.max(0, Math.round((now.getTime() - started) / 1000)) : null,
    memoryBytes: state.Running ? memoryBytes ?? null : null,
    memoryLimitBytes: inspected.HostConfig.Memory > 0 ? inspected.HostConfig.Memory : null,
    restarts: inspected.RestartCount,
    exitCode: state.Running ? null : state.ExitCode,
  };
}

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4,
};

/** Bytes of a size as `docker stats` prints it (`512.3MiB`, `1.5GiB`, `0B`); undefined if unreadable. */
export function parseSize(text: string): number | undefined {
  const match = /^([\d.]+)\s*([A-Za-z]+)$/.exec(text.trim());
  const unit = match ? UNITS[match[2]] : undefined;
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : undefined;
}

/** Memory in use per container name, from `docker stats --format '{{.Name}}\t{{.MemUsage}}'` (`used / limit`). */
export function parseMemoryUsage(text: string): Map<string, number> {
  const usage = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, memUsage] = line.split('\t');
    const used = memUsage === undefined ? undefined : parseSize(memUsage.split('/')[0]);
    if (name && used !== undefined) usage.set(name, used);
  }
  return usage;
}

function dockerText(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** `docker inspect` of the named containers that exist, by name. */
export function inspectContainers(names: readonly string[]): Map<string, InspectedContainer> {
  const present = new Set(dockerText(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean));
  const wanted = names.filter((name) => present.has(name));
  if (wanted.length === 0) return new Map();
  const inspected = JSON.parse(dockerText(['inspect', ...wanted])) as InspectedContainer[];
  return new Map(inspected.map((c) => [c.Name.replace(/^\//, ''), c]));
}

/** Every service's status, as the engine reports it now. */
export function readServices(containers: readonly StackContainer[], now = new Date()): { services: ServiceStatus[]; inspected: Map<string, InspectedContainer> } {
  const inspected = inspectContainers(containers.map((c) => c.name));
  const running = [...inspected.values()].filter((c) => c.State.Running).map((c) => c.Name.replace(/^\//, ''));
  let memory = new Map<string, number>();
  try {
    if (running.length > 0) memory = parseMemoryUsage(dockerText(['stats', '--no-stream', '--format', '{{.Name}}\t{{.MemUsage}}', ...running]));
  } catch {
    // A container that stopped since the inspection makes stats fail; its memory shows as unknown.
  }
  return { services: containers.map((c) => serviceStatus(c, inspected.get(c.name), memory.get(c.name), now)), inspected };
}
