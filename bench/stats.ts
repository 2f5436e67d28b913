/** Pure figures of a benchmark run: percentiles, rates, deliveries measured from write times, repeats. */

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

/** What one measured window delivered, from when each user was handed over and when its row was written. */
export interface Delivery {
  readonly users: number;
  /** Users over the span from the first hand-over to the last write. */
  readonly usersPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstSendMs: number;
  readonly lastWriteMs: number;
  /** [seconds since the first hand-over, latency ms] per user, for the chart. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/**
 * The delivery of the users in sendTimes (id → epoch ms it was produced, or handed to the driver) whose rows
 * have the write times in writeTimes (id → epoch ms): latency per user is write time − send time.
 */
export function delivery(sendTimes: ReadonlyMap<string, number>, writeTimes: ReadonlyMap<string, number>): Delivery {
  if (sendTimes.size === 0) throw new Error('a delivery needs at least one user');
  const missing = [...sendTimes.keys()].filter((id) => !writeTimes.has(id));
  if (missing.length > 0) throw new Error(`${missing.length} of ${sendTimes.size} users have no write time, e.g. ${missing[0]}`);
  let firstSendMs = Infinity;
  let lastWriteMs = -Infinity;
  const latencies: number[] = [];
  const sends: number[] = [];
  for (const [id, sent] of sendTimes) {
    const written = writeTimes.get(id)!;
    firstSendMs = Math.min(firstSendMs, sent);
    lastWriteMs = Math.max(lastWriteMs, written);
    latencies.push(written - sent);
    sends.push(sent);
  }
  return {
    users: sendTimes.size,
    // A window as short as the clocks' resolution still has a rate, not a division by zero.
    usersPerSecond: ratePerSecond(sendTimes.size, firstSendMs, Math.max(lastWriteMs, firstSendMs + 1)),
    p50Ms: percentile(latencies, 50)!,
    p99Ms: percentile(latencies, 99)!,
    firstSendMs,
    lastWriteMs,
    points: sends.map((sent, i) => [(sent - firstSendMs) / 1000, latencies[i]] as const),
  };
}

/** The spread (max ÷ min) above which a figure's runs disagree too much to steer by without a look. */
export const WIDE_SPREAD = 1.5;

/** One figure over its repeated runs. */
export interface Summary {
  readonly runs: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** max ÷ min (1 for a single run; Infinity when the minimum is 0 and the maximum is not). */
  readonly spread: number;
  /** More than one run, and the spread above the threshold. */
  readonly wide: boolean;
}

/** min / median (the mean of the middle two for an even count) / max of the runs, and their spread. */
export function summarize(samples: readonly number[], wideAbove = WIDE_SPREAD): Summary {
  if (samples.length === 0) throw new Error('a summary needs at least one run');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const spread = max === min ? 1 : min === 0 ? Infinity : max / min;
  return { runs: sorted.length, min, median, max, spread, wide: sorted.length > 1 && spread > wideAbove };
}
