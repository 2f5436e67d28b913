/** Running a job: timestamped logs, timed and retried steps, and the exit code. */
import { describeError, retry } from './retry';

/** Logs go to stderr so that stdout carries only a job's result (verify's table or JSON line). */
export function log(message: string): void {
  console.error(`${new Date().toISOString()} ${message}`);
}

/**
 * Runs one idempotent step, logging its start and duration, and retrying it whole while its service is not
 * ready, for at most `timeoutMs`.
 */
export async function step<T>(name: string, timeoutMs: number, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  log(`${name} ...`);
  try {
    const result = await retry(run, {
      timeoutMs,
      onRetry: (error, attempt, delayMs) =>
        log(`${name}: not ready (attempt ${attempt}: ${describeError(error)}), retrying in ${delayMs} ms`),
    });
    log(`${name}: done in ${elapsed()}`);
    return result;
  } catch (error) {
    log(`${name}: failed after ${elapsed()}`);
    throw error;
  }
}

/**
 * Runs a job's main and exits with its code, or with 1 and a one-line message if it throws. Exiting
 * explicitly means a client left open by a failure cannot keep the process (and the deploy) waiting.
 */
export function runMain(job: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${job}: ${describeError(error)}`);
      process.exit(1);
    },
  );
}
