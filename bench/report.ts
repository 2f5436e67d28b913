/** The printed report: pure text tables of the repeated figures, the CPU split and the DAG run's phases. */
import { BENCH_PROCESS, HOST, type CpuWindow } from '../ops/cpu';
import type { DagPhases } from './dag';
import { summarize, WIDE_SPREAD, type Summary } from './stats';

/** Cells padded to their column's width: the first column to the left, the others to the right. */
export function textTable(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((cells) => (cells[i] ?? '').length)));
  return rows.map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

function number(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `min / median / max` (a single run's figure marked so), and `!` when the spread is wide. */
export function summaryCell(s: Summary | undefined, digits = 0): string {
  if (s === undefined) return '-';
  const figure = s.runs === 1 ? `${number(s.median, digits)} (1 run)` : `${number(s.min, digits)} / ${number(s.median, digits)} / ${number(s.max, digits)}`;
  return s.wide ? `${figure} !` : figure;
}

/** A figure of a column over its runs (undefined: not measured). */
export interface FigureRow {
  readonly name: string;
  readonly figures: ReadonlyArray<Summary | undefined>;
}

/**
 * A table of summarized figures with, per reference row, the ratio of the first figure's medians; a footnote
 * names each wide spread.
 */
export function summaryTable(title: string, columns: readonly string[], rows: readonly FigureRow[], references: readonly string[] = [], digits = 0): string {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const body = rows.map((row) => [
    row.name,
    ...row.figures.map((f) => summaryCell(f, digits)),
    ...references.map((ref) => {
      const base = byName.get(ref)?.figures[0];
      const own = row.figures[0];
      return base && own && base.median > 0 ? number(own.median / base.median, 2) : '-';
    }),
  ]);
  const wide = rows.flatMap((row) => row.figures.flatMap((f, i) => (f?.wide ? [`${row.name}, ${columns[i]}: max ÷ min = ${number(f.spread, 2)}`] : [])));
  const notes = wide.length === 0 ? [] : [`! spread wider than ${WIDE_SPREAD}× between runs: ${wide.join('; ')}`];
  return [title, textTable(['', ...columns, ...references.map((r) => `÷ ${r}`)], body), ...notes].join('\n');
}

/** A kind of measured window and its runs' CPU. */
export interface CpuColumn {
  readonly label: string;
  readonly windows: readonly CpuWindow[];
}

/**
 * Where the cores went: per name, the median over each column's runs of the cores it used (CPU-seconds ÷ the
 * window's seconds). Names under minCores in every column are summed into one row; the host's total comes last.
 */
export function coresTable(columns: readonly CpuColumn[], minCores = 0.05): string {
  const median = (values: number[]) => (values.length === 0 ? undefined : summarize(values).median);
  const coresOf = (column: CpuColumn, name: string) => median(column.windows.flatMap((w) => (name in w.cores ? [w.cores[name]] : [])));
  const names = [...new Set(columns.flatMap((c) => c.windows.flatMap((w) => Object.keys(w.cores))))].filter((n) => n !== HOST);
  const total = (name: string) => columns.reduce((sum, c) => sum + (coresOf(c, name) ?? 0), 0);
  const shown = names.filter((n) => n === BENCH_PROCESS || columns.some((c) => (coresOf(c, n) ?? 0) >= minCores)).sort((a, b) => total(b) - total(a));
  const rest = names.filter((n) => !shown.includes(n));
  const cell = (v: number | undefined) => (v === undefined ? '-' : number(v, 2));
  const body = shown.map((name) => [name, ...columns.map((c) => cell(coresOf(c, name)))]);
  if (rest.length > 0) {
    body.push([`${rest.length} others`, ...columns.map((c) => cell(rest.reduce((sum, n) => sum + (coresOf(c, n) ?? 0), 0)))]);
  }
  if (columns.some((c) => c.windows.some((w) => HOST in w.cores))) body.push([HOST, ...columns.map((c) => cell(coresOf(c, HOST)))]);
  const seconds = columns.map((c) => cell(median(c.windows.map((w) => w.seconds))));
  return [
    'where the cores went (cores = CPU-seconds ÷ the window\'s seconds, median of the runs)',
    textTable(['', ...columns.map((c) => c.label)], [...body, ['window seconds', ...seconds]]),
  ].join('\n');
}

/** The DAG run's phases, summarized over its runs. */
export function dagTable(users: number, runs: readonly DagPhases[]): string {
  const phases: ReadonlyArray<[keyof DagPhases, string]> = [
    ['taskStart', 'trigger → fetch_and_store running'],
    ['fetch', 'fetch (schema, API, validation)'],
    ['postgres', 'PostgreSQL (store transaction, task end)'],
    ['publish', 'publish (to the last user acknowledged by Kafka)'],
    ['publishTaskStart', '  of which publish_outbox starting'],
    ['stream', 'stream (to the last row in Cassandra)'],
    ['total', 'total: trigger → last row in Cassandra'],
  ];
  return summaryTable(
    `a DAG run of ${number(users)} users, API → Airflow → PostgreSQL → Kafka → Spark → Cassandra: seconds, min / median / max`,
    ['seconds'],
    phases.map(([key, name]) => ({ name, figures: [runs.length === 0 ? undefined : summarize(runs.map((r) => r[key]))] })),
    [],
    1,
  );
}

/** A measured deployment's headline figures, in the order the comparison lists them. */
export interface DeploymentFigures {
  readonly name: string;
  readonly figures: ReadonlyArray<readonly [figure: string, summary: Summary | undefined]>;
}

/**
 * The deployments side by side: a row per headline figure (in the order they first appear), a column per deployment,
 * and the ratio of each later deployment's median to the first's.
 */
export function comparisonTable(deployments: readonly DeploymentFigures[]): string {
  const [first, ...others] = deployments;
  const names = [...new Set(deployments.flatMap((d) => d.figures.map(([name]) => name)))];
  const find = (d: DeploymentFigures, name: string) => d.figures.find(([figure]) => figure === name)?.[1];
  const body = names.map((name) => [
    name,
    ...deployments.map((d) => summaryCell(find(d, name))),
    ...others.map((d) => {
      const base = find(first, name);
      const own = find(d, name);
      return base && own && base.median > 0 ? number(own.median / base.median, 2) : '-';
    }),
  ]);
  return [
    'the deployments side by side: min / median / max',
    textTable(['', ...deployments.map((d) => d.name), ...others.map((d) => `${d.name} ÷ ${first.name}`)], body),
  ].join('\n');
}
