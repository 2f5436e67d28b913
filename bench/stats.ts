/** Pure figures of a benchmark run: percentiles, rates and the comparison table. */

/** The p-th percentile (0-100) by nearest rank; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (p < 0 || p > 100) throw new Error(`percentile must be between 0 and 100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Items per second over the span from the first start to the last finish (epoch milliseconds). */
export function ratePerSecond(items: number, startMs: number, endMs: number): number {
  if (endMs <= startMs) throw new Error(`the end (${endMs}) must come after the start (${startMs})`);
  return items / ((endMs - startMs) / 1000);
}

export interface Row {
  readonly name: string;
  readonly usersPerSecond: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** A fixed-width text table of the rows, with each rate's ratio to the named reference rows. */
export function comparisonTable(rows: readonly Row[], references: readonly string[]): string {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const header = ['', 'users/s', 'p50 ms', 'p99 ms', ...references.map((r) => `÷ ${r}`)];
  const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));
  const body = rows.map((row) => [
    row.name,
    fmt(row.usersPerSecond),
    fmt(row.p50Ms),
    fmt(row.p99Ms),
    ...references.map((ref) => {
      const base = byName.get(ref);
      return base ? fmt(row.usersPerSecond / base.usersPerSecond, 2) : '-';
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i].length)));
  return [header, ...body].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}
