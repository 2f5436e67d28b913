/**
 * Where the Spark job's micro-batches spend their time, from the driver's log: Spark's own progress report of each
 * batch (MicroBatchExecution's "Streaming query made progress", whose durationMs.addBatch is the foreachBatch call)
 * and the job's line for the same batch, which splits addBatch into its phases (stream_users.write_batch). Reading
 * the log after a window costs the window nothing. The parsing and the arithmetic are pure.
 */
import { summarize, type Summary } from './stats';

/** One micro-batch as the driver reported it. */
export interface SparkBatch {
  readonly batchId: number;
  readonly rows: number;
  /** When the trigger started (epoch ms), from the progress report's timestamp. */
  readonly startedMs: number;
  /** Spark's durationMs: addBatch, triggerExecution, queryPlanning, walCommit, commitOffsets, ... */
  readonly durationMs: Readonly<Record<string, number>>;
  /** The job's own split of addBatch (ms), when its line for the batch is in the log. */
  readonly phasesMs?: Readonly<Record<BatchPhase, number>>;
}

export const BATCH_PHASES = ['rows', 'new schema ids', 'dead letters'] as const;
export type BatchPhase = (typeof BATCH_PHASES)[number];

const PROGRESS_MARK = 'Streaming query made progress: ';
// stream_users.write_batch's line: "batch 7 written (schema ids [1], 0 dead letters) in 812 ms: rows 530 ms, new schema ids 0 ms, dead letters 160 ms"
// (the rows and the rejections read with the ids met before; again when the batch brought ids the registry knows now)
const PHASES_LINE = /batch (\d+) written \(schema ids [^)]*\) in \d+ ms: rows (\d+) ms, new schema ids (\d+) ms, dead letters (\d+) ms/g;

/** The progress reports and the job's phase lines of a driver log, joined by batch id, in log order. */
export function parseSparkBatches(log: string): SparkBatch[] {
  const phases = new Map<number, Record<BatchPhase, number>>();
  for (const match of log.matchAll(PHASES_LINE)) {
    const [, id, rows, newIds, deadLetters] = match.map(Number);
    phases.set(id, { rows, 'new schema ids': newIds, 'dead letters': deadLetters });
  }
  const batches: SparkBatch[] = [];
  for (let at = log.indexOf(PROGRESS_MARK); at >= 0; at = log.indexOf(PROGRESS_MARK, at + 1)) {
    const json = balancedObject(log, at + PROGRESS_MARK.length);
    if (json === undefined) continue; // cut off at the end of the log read
    const progress = JSON.parse(json) as { batchId: number; numInputRows: number; timestamp: string; durationMs: Record<string, number> };
    const phasesMs = phases.get(progress.batchId);
    batches.push({
      batchId: progress.batchId,
      rows: progress.numInputRows,
      startedMs: Date.parse(progress.timestamp),
      durationMs: progress.durationMs,
      ...(phasesMs ? { phasesMs } : {}),
    });
  }
  return batches;
}

/** The JSON object starting at `from` (Spark pretty-prints it over many lines), or undefined if it does not close. */
function balancedObject(text: string, from: number): string | undefined {
  if (text[from] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  return undefined;
}

/** A window's batches in figures: how many, their rows, and min / median / max of addBatch and of each phase. */
export interface BatchProfile {
  readonly batches: number;
  readonly rows: Summary;
  readonly addBatchMs: Summary;
  readonly triggerMs: Summary;
  /** ms of addBatch per 1,000 rows, over the window's batches together. */
  readonly addBatchMsPer1000Rows: number;
  readonly phasesMs: Partial<Record<BatchPhase, Summary>>;
}

/** The profile of the batches that carried rows (idle triggers run no foreachBatch worth measuring), or undefined. */
export function batchProfile(batches: readonly SparkBatch[]): BatchProfile | undefined {
  const working = batches.filter((b) => b.rows > 0 && b.durationMs.addBatch !== undefined);
  if (working.length === 0) return undefined;
  const rows = working.reduce((sum, b) => sum + b.rows, 0);
  const addBatch = working.reduce((sum, b) => sum + b.durationMs.addBatch, 0);
  const phased = working.filter((b) => b.phasesMs !== undefined);
  const phasesMs = Object.fromEntries(
    phased.length === 0 ? [] : BATCH_PHASES.map((phase) => [phase, summarize(phased.map((b) => b.phasesMs![phase]))]),
  ) as Partial<Record<BatchPhase, Summary>>;
  return {
    batches: working.length,
    rows: summarize(working.map((b) => b.rows)),
    addBatchMs: summarize(working.map((b) => b.durationMs.addBatch)),
    triggerMs: summarize(working.map((b) => b.durationMs.triggerExecution ?? b.durationMs.addBatch)),
    addBatchMsPer1000Rows: (addBatch / rows) * 1000,
    phasesMs,
  };
}
