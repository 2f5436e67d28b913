/**
 * The benchmark's observer, built to disturb what it measures as little as it can, and the same for every
 * column: while a window runs it sends one small query every interval, whether the latest-produced users it
 * still waits for have rows (a few single-partition reads, however big the table); only once they all have does
 * it read every pending row's write time, once. Latencies and rates come from those write times, so how late the
 * observer notices the end changes no figure.
 */
import type { Client as CassandraClient, types } from 'cassandra-driver';
import { percentile } from './stats';

/** Ids per probe: the last ones produced, which are the last to arrive (each Kafka partition's tail is among them). */
export const PROBE_IDS = 64;
export const PROBE_INTERVAL_MS = 2000;
/** Ids per IN list of the write-time read, and such reads in flight. */
const READ_CHUNK = 200;
const READS_IN_FLIGHT = 4;

/** What the observer did in a window. */
export interface ObserverRecord {
  readonly probes: number;
  readonly probeP50Ms: number;
  readonly probeMaxMs: number;
  /** Reads of all pending write times (1 unless a probe saw its sample complete while others were missing). */
  readonly sweeps: number;
}

/** The ids a probe asks for: the last `size` of those still pending, in produce order. */
export function probeIds(pending: readonly string[], size = PROBE_IDS): string[] {
  return pending.slice(Math.max(0, pending.length - size));
}

/** The ids in lists of at most size. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  if (size < 1) throw new Error(`a chunk size must be at least 1, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export class Observer {
  constructor(private readonly cassandra: CassandraClient, private readonly intervalMs = PROBE_INTERVAL_MS) {}

  /** One probe: which of ids have a row in table, and how long the query took. */
  public async probe(table: string, ids: readonly string[]): Promise<{ present: Set<string>; ms: number }> {
    const started = performance.now();
    const result = await this.cassandra.execute(`SELECT id FROM ${table} WHERE id IN ?`, [ids], { prepare: true });
    return { present: new Set(result.rows.map((row) => (row.id as types.Uuid).toString())), ms: performance.now() - started };
  }

  /**
   * Waits until every id (in produce order) is a row of table and returns each row's write time (epoch ms).
   * beforeSweep runs each time the probe finds its sample complete, just before the write times are read: the
   * caller ends its CPU window there.
   */
  public async awaitRows(
    table: string,
    ids: readonly string[],
    beforeSweep: () => void,
    timeoutMs = 20 * 60 * 1000,
  ): Promise<{ writeTimes: Map<string, number>; record: ObserverRecord }> {
    if (ids.length === 0) throw new Error(`nothing to wait for in ${table}: no ids`);
    const deadline = Date.now() + timeoutMs;
    const writeTimes = new Map<string, number>();
    let pending = [...ids];
    const probeMs: number[] = [];
    let sweeps = 0;
    while (pending.length > 0) {
      const { present, ms } = await this.probe(table, probeIds(pending));
      probeMs.push(ms);
      if (present.size === Math.min(PROBE_IDS, pending.length)) {
        beforeSweep();
        sweeps++;
        await this.readWriteTimes(table, pending, writeTimes);
        pending = pending.filter((id) => !writeTimes.has(id));
        if (pending.length === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`${pending.length} of ${ids.length} rows still missing from ${table} after ${timeoutMs / 1000} s, e.g. ${pending[0]}`);
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
    return { writeTimes, record: { probes: probeMs.length, probeP50Ms: percentile(probeMs, 50)!, probeMaxMs: Math.max(...probeMs), sweeps } };
  }

  /** Adds the write time (epoch ms) of each of ids that has a row in table. */
  private async readWriteTimes(table: string, ids: readonly string[], into: Map<string, number>): Promise<void> {
    const chunks = chunked(ids, READ_CHUNK);
    const worker = async () => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
        const result = await this.cassandra.execute(`SELECT id, WRITETIME(first_name) AS w FROM ${table} WHERE id IN ?`, [chunk], { prepare: true });
        // WRITETIME is in microseconds since the epoch: the writer's clock when it issued the write (cassandra-driver and
        // the Spark connector's Java driver both stamp writes on the client), the host clock every container shares.
        for (const row of result.rows) into.set((row.id as types.Uuid).toString(), Number(row.w) / 1000);
      }
    };
    await Promise.all(Array.from({ length: READS_IN_FLIGHT }, worker));
  }
}
