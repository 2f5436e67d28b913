/**
 * Progress a person can follow while `cdktf deploy` runs, which itself stays silent for minutes: each
 * platform container's way from created to healthy (or, for a one-shot container, to its exit), with the
 * seconds since the deploy started and how long it took, and a line every so often naming what is still
 * awaited. Fed by HealthWatcher's polls (ops/deployment.ts); pure, so tests drive it with made-up polls.
 */
import type { ContainerStatus } from './deployment';

/** Where a container is, read from its `docker ps` status. */
export type Phase = 'created' | 'starting' | 'running' | 'healthy' | 'unhealthy' | 'restarting' | 'done' | 'failed' | 'other';

/** The phase a `docker ps` status shows (`Up 2 minutes (health: starting)`, `Exited (0) 3 seconds ago`, ...). */
export function phaseOf(status: string): Phase {
  if (status.startsWith('Up')) {
    if (status.includes('(healthy)')) return 'healthy';
    if (status.includes('(unhealthy)')) return 'unhealthy';
    if (status.includes('(health: starting)')) return 'starting';
    return 'running';
  }
  if (status.startsWith('Exited (0)')) return 'done';
  if (status.startsWith('Exited')) return 'failed';
  if (status.startsWith('Restarting')) return 'restarting';
  if (status.startsWith('Created')) return 'created';
  return 'other';
}

/** Phases after which nothing more is awaited of a container. */
const SETTLED: ReadonlySet<Phase> = new Set<Phase>(['healthy', 'done']);

const seconds = (ms: number) => Math.round(ms / 1000);

export class DeployProgress {
  private readonly phases = new Map<string, Phase>();
  private readonly seenAt = new Map<string, number>();
  private lastLineAt: number;

  /**
   * @param startedAt when the deploy started (ms)
   * @param quietMs after this long without a line, a line says what is still awaited
   */
  constructor(private readonly startedAt: number, private readonly quietMs = 30_000) {
    this.lastLineAt = startedAt;
  }

  /** The lines this poll adds: one per container whose phase changed, or a reminder after a quiet spell. */
  public observe(containers: readonly ContainerStatus[], now: number): string[] {
    const lines: string[] = [];
    for (const { name, status } of containers) {
      const phase = phaseOf(status);
      if (!this.seenAt.has(name)) this.seenAt.set(name, now);
      if (this.phases.get(name) === phase) continue;
      this.phases.set(name, phase);
      lines.push(this.line(now, name, this.describe(name, phase, status, now)));
    }
    if (lines.length === 0 && now - this.lastLineAt >= this.quietMs) lines.push(this.line(now, '', this.awaited(now)));
    if (lines.length > 0) this.lastLineAt = now;
    return lines;
  }

  private describe(name: string, phase: Phase, status: string, now: number): string {
    // Seen in this phase at once (it got there between two polls): no time of its own to give.
    const took = now > this.seenAt.get(name)! ? ` after ${seconds(now - this.seenAt.get(name)!)} s` : '';
    switch (phase) {
      case 'healthy':
        return `healthy${took}`;
      case 'done':
        return `finished${took} (exit 0)`;
      case 'starting':
      case 'created':
      case 'running':
        return `waiting (${status})`;
      case 'unhealthy':
        return `unhealthy${took}: its health check fails, Terraform waits until its timeout`;
      default:
        return status;
    }
  }

  private awaited(now: number): string {
    const waiting = [...this.phases].filter(([, phase]) => !SETTLED.has(phase)).map(([name]) => `${name} (${seconds(now - this.seenAt.get(name)!)} s)`);
    if (this.phases.size === 0) return 'no container yet: Terraform is getting the images (pulling or building them)';
    const ready = this.phases.size - waiting.length;
    return waiting.length > 0 ? `still deploying: ${ready} ready, waiting for ${waiting.join(', ')}` : `still deploying: ${ready} ready, Terraform is creating the next`;
  }

  private line(now: number, name: string, text: string): string {
    const at = `[${String(seconds(now - this.startedAt)).padStart(4)} s]`;
    return name === '' ? `  ${at} ${text}` : `  ${at} ${name.padEnd(24)} ${text}`;
  }
}
