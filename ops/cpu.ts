/**
 * CPU time per container over a measured window, from the cumulative counters of the containers' cgroups
 * (read before and after, so nothing samples while the window runs), plus this process and the host as a
 * whole. The parsing and the arithmetic are pure; sampleCpu reads the counters.
 */
import * as fs from 'fs';
import { docker, PREFIX } from './deployment';

/** The host's busy CPU time (all processes), beside the containers'. */
export const HOST = 'host (all processes)';
/** This process: the producer, the plain consumer, the raw writes and the observer. */
export const BENCH_PROCESS = 'bench (this process)';

/** Cumulative CPU-seconds per name at one moment. */
export interface CpuSample {
  readonly atMs: number;
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

/** CPU use over a window: CPU-seconds and cores (CPU-seconds ÷ the window's seconds) per name. */
export interface CpuWindow {
  readonly seconds: number;
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly cores: Readonly<Record<string, number>>;
  /** Names whose counter is missing from a sample or went backwards (a restarted container): not counted. */
  readonly unaccounted: readonly string[];
}

/**
 * The file with the cumulative CPU time of the cgroup a process is in, from its /proc/PID/cgroup: cgroup v1's
 * cpuacct.usage (nanoseconds) when the cpuacct controller is mounted, else cgroup v2's cpu.stat.
 */
export function cgroupCpuFile(procCgroup: string, root = '/sys/fs/cgroup'): string {
  let unified: string | undefined;
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, controllers, cgroupPath] = match;
    if (controllers.split(',').includes('cpuacct')) return `${root}/${controllers}${cgroupPath === '/' ? '' : cgroupPath}/cpuacct.usage`;
    if (controllers === '') unified = cgroupPath;
  }
  if (unified === undefined) throw new Error(`no cpuacct or cgroup v2 line in /proc/PID/cgroup: '${procCgroup.trim()}'`);
  return `${root}${unified === '/' ? '' : unified}/cpu.stat`;
}

/** CPU-seconds from a counter file's content: cpu.stat's usage_usec, or cpuacct.usage's bare nanoseconds. */
export function parseCpuCounter(content: string): number {
  const usec = /^usage_usec (\d+)$/m.exec(content);
  if (usec) return Number(usec[1]) / 1e6;
  const trimmed = content.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) / 1e9;
  throw new Error(`not a CPU counter (cpu.stat with usage_usec, or cpuacct.usage): '${trimmed.slice(0, 80)}'`);
}

/** The busy CPU-seconds of the whole host from /proc/stat's `cpu` line (all but idle and iowait), in USER_HZ ticks. */
export function hostBusySeconds(procStat: string, ticksPerSecond = 100): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error("no 'cpu ' line in /proc/stat");
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [, , , idle, iowait] = ticks;
  return (ticks.reduce((a, b) => a + b, 0) - idle - (iowait ?? 0)) / ticksPerSecond;
}

/** What each name used between two samples. */
export function cpuOverWindow(before: CpuSample, after: CpuSample): CpuWindow {
  const seconds = (after.atMs - before.atMs) / 1000;
  if (seconds <= 0) throw new Error(`the second sample (${after.atMs}) must come after the first (${before.atMs})`);
  const cpuSeconds: Record<string, number> = {};
  const cores: Record<string, number> = {};
  const unaccounted: string[] = [];
  for (const name of new Set([...Object.keys(before.cpuSeconds), ...Object.keys(after.cpuSeconds)])) {
    const used = (after.cpuSeconds[name] ?? NaN) - (before.cpuSeconds[name] ?? NaN);
    if (!(used >= 0)) {
      unaccounted.push(name);
      continue;
    }
    cpuSeconds[name] = used;
    cores[name] = used / seconds;
  }
  return { seconds, cpuSeconds, cores, unaccounted: unaccounted.sort() };
}

/** A container's counter read from the host through its main process's cgroup, else from inside it. */
function containerCpuSeconds(name: string, pid: number): number | undefined {
  try {
    return parseCpuCounter(fs.readFileSync(cgroupCpuFile(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')), 'utf8'));
  } catch {
    // An engine on another host (or another pid namespace): the container sees its own cgroup.
  }
  try {
    return parseCpuCounter(docker('exec', name, 'sh', '-c', 'cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpuacct/cpuacct.usage'));
  } catch {
    return undefined;
  }
}

/** One reading of the counters of the platform's running containers, of this process and of the host. */
export function sampleCpu(): CpuSample {
  const cpuSeconds: Record<string, number> = {};
  const ids = docker('ps', '-q', '--filter', `network=${PREFIX}-net`).split('\n').filter(Boolean);
  const pids = ids.length === 0 ? [] : docker('inspect', '-f', '{{.Name}} {{.State.Pid}}', ...ids).split('\n');
  for (const line of pids) {
    const [slashName, pid] = line.trim().split(' ');
    const name = slashName.replace(/^\//, '');
    // Pid 0: the container is not running at this moment.
    const used = Number(pid) > 0 ? containerCpuSeconds(name, Number(pid)) : undefined;
    if (used !== undefined) cpuSeconds[name] = used;
  }
  const own = process.cpuUsage();
  cpuSeconds[BENCH_PROCESS] = (own.user + own.system) / 1e6;
  try {
    cpuSeconds[HOST] = hostBusySeconds(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    // Not Linux: the containers' and this process's figures stand alone.
  }
  return { atMs: Date.now(), cpuSeconds };
}

/**
 * CPU-seconds per container over a deploy, from counters read every `everyPolls` polls of the deploy's watcher (pass
 * `onPoll`): a container's counter starts at zero when the deploy creates it, and a one-shot job's last reading is
 * its last poll before it exited (its cgroup goes with it). The host's busy time is over the whole deploy, so what the
 * containers do not account for (terraform, the engine, the jobs' last seconds) is its difference.
 */
export class DeployCpu {
  private readonly start: CpuSample;
  private readonly latest: Record<string, number> = {};
  private polls = 0;

  constructor(private readonly sample: () => CpuSample = sampleCpu, private readonly everyPolls = 5) {
    this.start = sample();
  }

  public readonly onPoll = (): void => {
    if (this.polls++ % this.everyPolls === 0) this.record(this.sample());
  };

  /** The final reading, taken once the deploy has returned. */
  public result(): CpuWindow {
    const end = this.sample();
    this.record(end);
    const fromZero = Object.fromEntries(Object.keys(this.latest).map((name) => [name, 0]));
    return cpuOverWindow({ ...this.start, cpuSeconds: { ...fromZero, ...this.start.cpuSeconds } }, { ...end, cpuSeconds: { ...this.latest } });
  }

  private record(sample: CpuSample): void {
    for (const [name, seconds] of Object.entries(sample.cpuSeconds)) this.latest[name] = Math.max(this.latest[name] ?? 0, seconds);
  }
}

/** A window's CPU-seconds per name to a tenth, most first, for a report. */
export function roundedCpuSeconds(window: CpuWindow): Record<string, number> {
  return Object.fromEntries(Object.entries(window.cpuSeconds).sort(([, a], [, b]) => b - a).map(([name, seconds]) => [name, Math.round(seconds * 10) / 10]));
}
