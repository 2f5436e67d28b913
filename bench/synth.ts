/**
 * `npm run bench:synth`: how long `npx cdktf synth` takes as a user runs it. Synth talks to no Docker engine, so
 * this runs anywhere, apart from `npm run bench`. Each figure over KP_BENCH_REPEATS runs (default 3), min / median
 * / max in seconds:
 *   - the whole command with the jobs' bundles in the cache (the usual case);
 *   - the same with CHECKPOINT_DISABLE=1 (the CLI then sends no telemetry to HashiCorp, which it otherwise waits
 *     for, up to a second, on a host that cannot reach it);
 *   - the same with an empty bundle cache (a fresh machine, or a job or its dependencies changed);
 *   - `npm run synth`, which is cdktf.json's app alone: the same plan without the cdktf CLI's own start (loading
 *     its bundle, its Terraform checks and its output).
 * Prints the table and writes artifacts/bench/synth.json. Figures are reported, never asserted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT, runLogged } from '../ops/deployment';
import { benchConfig } from './config';
import { summaryTable } from './report';
import { summarize, type Summary } from './stats';

const ARTIFACTS = path.join(ROOT, 'artifacts', 'bench');
const LOGS = path.join(ARTIFACTS, 'synth-logs');

/** Seconds of each of `runs` runs of a command, each with the variables `env()` gives it. */
async function seconds(name: string, runs: number, command: string, args: string[], env: () => NodeJS.ProcessEnv = () => ({})): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push((await runLogged(`${name}-${i + 1}`, command, args, env(), LOGS)) / 1000);
  return samples;
}

async function main(): Promise<void> {
  const { repeats } = benchConfig(process.env);
  const app = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-bench-synth-'));
  try {
    // Once untimed: the bundles are cached and the files read, as for a user's second synth.
    await runLogged('warm-up', 'npx', ['cdktf', 'synth'], {}, LOGS);
    const cached = await seconds('synth-cached', repeats, 'npx', ['cdktf', 'synth']);
    const noTelemetry = await seconds('synth-no-telemetry', repeats, 'npx', ['cdktf', 'synth'], () => ({ CHECKPOINT_DISABLE: '1' }));
    const emptyCache = await seconds('synth-empty-cache', repeats, 'npx', ['cdktf', 'synth'], () => ({ KP_CACHE_DIR: fs.mkdtempSync(path.join(scratch, 'cache-')) }));
    const appAlone = await seconds('npm-run-synth', repeats, 'npm', ['run', '--silent', 'synth'], () => ({ CDKTF_OUTDIR: fs.mkdtempSync(path.join(scratch, 'out-')) }));
    const figures: Record<string, Summary> = {
      '`npx cdktf synth`, bundles cached': summarize(cached),
      '`npx cdktf synth`, CHECKPOINT_DISABLE=1': summarize(noTelemetry),
      '`npx cdktf synth`, empty bundle cache': summarize(emptyCache),
      "`npm run synth` (cdktf.json's app alone), bundles cached": summarize(appAlone),
    };
    const report = summaryTable(`synth (s), ${repeats} runs each: min / median / max`, ['seconds'], Object.entries(figures).map(([name, s]) => ({ name, figures: [s] })), [], 2);
    // Other work on the host slows every figure: the load is part of the record.
    console.log(`${report}\nload average (1, 5, 15 min) at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, 'synth.json'), `${JSON.stringify({ app, repeats, loadAverage: os.loadavg(), samples: { cached, noTelemetry, emptyCache, appAlone }, figures, report }, null, 2)}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
