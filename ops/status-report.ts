/**
 * `npm run status`'s verdict and its two forms, a table for a person and JSON for scripts. Pure: the
 * figures come in (ops/service-status.ts, ops/pipeline-status.ts), the verdict and the text go out.
 */
import type { PipelineStatus } from './pipeline-status';
import type { ServiceStatus } from './service-status';

/** How far behind the pipeline may be before the status fails. */
export interface StatusBounds {
  /** Records of the users topic the Spark job has not finished. */
  readonly maxLagRecords: number;
  /** Seconds the oldest user waiting in the outbox may have waited. */
  readonly maxOutboxAgeSeconds: number;
}

export const DEFAULT_BOUNDS: StatusBounds = { maxLagRecords: 10_000, maxOutboxAgeSeconds: 600 };

export interface StatusReport {
  readonly ok: boolean;
  readonly services: readonly ServiceStatus[];
  readonly pipeline: Omit<PipelineStatus, 'errors'>;
  readonly bounds: StatusBounds;
  /** Why the status is not ok, one line each. */
  readonly problems: readonly string[];
}

const FIGURE_NAMES: Readonly<Record<string, string>> = {
  configuration: 'the pipeline settings',
  postgres: 'PostgreSQL',
  cassandra: 'Cassandra',
  lag: "the Spark job's lag",
  deadLetters: 'the dead-letter topic',
};

/** Everything that makes the status fail: a service not healthy (a one-shot not finished with 0), a figure unreadable, a bound passed. */
export function assessStatus(services: readonly ServiceStatus[], pipeline: PipelineStatus, bounds: StatusBounds): StatusReport {
  const problems: string[] = [];
  for (const service of services.filter((s) => !s.ok)) {
    const exit = service.health === 'failed' || service.health === 'stopped' ? ` (exit ${service.exitCode})` : '';
    const expected = service.oneShot ? 'finished with exit 0' : 'healthy';
    problems.push(`${service.name} is ${service.health}${exit}, not ${expected}`);
  }
  for (const [figure, error] of Object.entries(pipeline.errors)) problems.push(`${FIGURE_NAMES[figure] ?? figure} could not be read: ${error}`);
  if (pipeline.lag && pipeline.lag.records > bounds.maxLagRecords) {
    problems.push(`the Spark job is ${pipeline.lag.records} records behind on ${pipeline.lag.topic}, over the bound of ${bounds.maxLagRecords} (--max-lag)`);
  }
  const oldest = pipeline.outbox?.oldestSeconds;
  if (oldest !== undefined && oldest !== null && oldest > bounds.maxOutboxAgeSeconds) {
    problems.push(`the oldest user waiting in the outbox has waited ${oldest} s, over the bound of ${bounds.maxOutboxAgeSeconds} s (--max-outbox-age)`);
  }
  const { errors: _errors, ...figures } = pipeline;
  return { ok: problems.length === 0, services, pipeline: figures, bounds, problems };
}

// ---- Text ----

/** `42 s`, `12 min`, `3 h 05 min`, `2 d 4 h`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

const MIB = 1024 * 1024;

/** `612 MiB / 1536 MiB (40%)`; `-` for a container that is not running. */
export function formatMemory(used: number | null, limit: number | null): string {
  if (used === null) return '-';
  const usedText = `${Math.round(used / MIB)} MiB`;
  if (limit === null) return `${usedText} (no limit)`;
  return `${usedText} / ${Math.round(limit / MIB)} MiB (${Math.round((100 * used) / limit)}%)`;
}

/** Rows of cells as left-aligned columns (numbers right-aligned), two spaces apart. */
export function columns(rows: readonly string[][], numeric: ReadonlySet<number> = new Set()): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

function serviceLines(services: readonly ServiceStatus[]): string[] {
  const rows = services.map((s) => [
    s.name,
    s.health,
    s.uptimeSeconds === null ? '-' : formatDuration(s.uptimeSeconds),
    formatMemory(s.memoryBytes, s.memoryLimitBytes),
    String(s.restarts),
  ]);
  return columns([['service', 'health', 'up', 'memory / limit', 'restarts'], ...rows], new Set([4]));
}

const shown = (value: number | null | undefined) => (value === null || value === undefined ? 'unknown' : String(value));

function pipelineLines(pipeline: StatusReport['pipeline']): string[] {
  const { lag, outbox, deadLetters } = pipeline;
  const oldest = outbox?.oldestSeconds;
  const rows: string[][] = [
    ['users stored in PostgreSQL', shown(pipeline.usersInPostgres), ''],
    ['waiting in the outbox', shown(outbox?.waiting), oldest === null || oldest === undefined ? '' : `oldest waiting ${formatDuration(oldest)}`],
    [
      `Spark job lag on ${lag?.topic ?? 'the users topic'}`,
      shown(lag?.records),
      lag ? `records: topic end offsets minus the checkpoint's ${lag.batch === null ? '(no batch committed yet)' : `batch ${lag.batch}`}` : '',
    ],
    ['rows in Cassandra', shown(pipeline.cassandraRows), ''],
    ['dead letters', shown(deadLetters?.total), ''],
    ...(deadLetters?.byReason ?? []).map((r) => [`  ${r.stage}: ${r.reason.length > 60 ? `${r.reason.slice(0, 57)}...` : r.reason}`, String(r.count), '']),
  ];
  return columns([['pipeline', 'count', ''], ...rows], new Set([1]));
}

/** The table a person reads, ending with the verdict. */
export function formatStatus(report: StatusReport): string {
  const verdict = report.ok ? ['status: ok'] : ['status: NOT OK', ...report.problems.map((p) => `  - ${p}`)];
  return [...serviceLines(report.services), '', ...pipelineLines(report.pipeline), '', ...verdict].join('\n');
}

/** One JSON document for scripts (no secret is in the report). */
export function statusJson(report: StatusReport): string {
  return JSON.stringify(report);
}
