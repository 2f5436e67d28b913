/**
 * Running the scripts a deployment needs as child processes that a signal to this process reaches too: once
 * `forwardSignals()` is called, SIGINT, SIGTERM and SIGHUP are passed on to the running child, and the
 * caller's cleanup (e.g. stopping an engine it started) runs after the child has ended.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as os from 'os';

let current: ChildProcess | undefined;
let interruptedBy: NodeJS.Signals | undefined;

/** From now on a signal to this process goes to the running child and marks the run interrupted. */
export function forwardSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      interruptedBy = signal;
      current?.kill(signal);
    });
  }
}

/** The exit code a shell gives for the signal that interrupted the run (130 for SIGINT), if one did. */
export function interruptedExitCode(): number | undefined {
  return interruptedBy === undefined ? undefined : 128 + os.constants.signals[interruptedBy];
}

export class ChildFailed extends Error {
  constructor(readonly command: string, readonly code: number, stderr = '') {
    const tail = stderr.trimEnd().split('\n').slice(-20).join('\n');
    super(`${command} exited ${code}${tail ? `:\n${tail}` : ''}`);
    this.name = 'ChildFailed';
  }
}

export interface RunOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Return stdout instead of showing it. @default false */
  readonly captureStdout?: boolean;
  /** Keep stderr out of sight unless the command fails (runChecked then puts its end in the error). @default false */
  readonly quiet?: boolean;
  /** Run even after a signal interrupted the run (cleanup). @default false */
  readonly cleanup?: boolean;
}

/**
 * Runs a command with stdin closed and stderr shown; stdout is shown too, or captured and returned. Resolves
 * with the exit code (128 + the signal's number when a signal ended it). Once a signal interrupted the run,
 * only cleanup commands start.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = interruptedExitCode();
  if (code !== undefined && !options.cleanup) return Promise.resolve({ code, stdout: '', stderr: '' });
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', options.captureStdout ? 'pipe' : 'inherit', options.quiet ? 'pipe' : 'inherit'],
    });
    current = child;
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      current = undefined;
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      current = undefined;
      resolve({ code: exitCode ?? 128 + (signal ? os.constants.signals[signal] : 0), stdout, stderr });
    });
  });
}

/** run(), failing with ChildFailed unless the command exits 0; resolves to its captured stdout ('' if shown). */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const { code, stdout, stderr } = await run(command, args, options);
  if (code !== 0) throw new ChildFailed([command, ...args].join(' '), code, stderr);
  return stdout;
}
