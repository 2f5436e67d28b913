/**
 * `with COMMAND [ARGS...]` (scripts/with-platform.sh): runs a command with everything a deployment needs,
 * prepared exactly as `npm run up` prepares it (ops/engine.ts, ops/deploy-choices.ts, ops/platform-env.ts),
 * so the end-to-end proof and the benchmarks take the route the README gives. Unlike `up`, it stops the
 * project's engine again when it started it, after the command, whatever its end (also on SIGINT/SIGTERM,
 * which reach the command first).
 */
import { forwardSignals, interruptedExitCode, run } from '../ops/child';
import { chooseDeploySettings, httpReachability } from '../ops/deploy-choices';
import { LOG_DIRECTORY } from '../ops/deployment';
import { chooseEngine, describeEngine, dockerEngineProbe, stopOwnEngine } from '../ops/engine';
import { preparePlatform, say } from '../ops/platform-env';
import { readUpState, upStateFile } from '../ops/up-state';

export async function withPlatform(command: readonly string[]): Promise<number> {
  if (command.length === 0) {
    console.error('usage: with COMMAND [ARGS...]');
    return 2;
  }
  forwardSignals();
  const choices = await chooseDeploySettings(process.env, httpReachability());
  const engine = await chooseEngine(process.env, dockerEngineProbe, { mayStart: true, previous: readUpState(upStateFile())?.dockerHost });
  say(describeEngine(engine));
  try {
    for (const line of choices.lines) say(line);
    // The synth and init logs go beside the suite's and the bench's own (artifacts/e2e).
    const added = await preparePlatform({ dockerHost: engine.dockerHost, settings: choices.settings, hostImages: choices.hostImages, logDirectory: LOG_DIRECTORY });
    const { code } = await run(command[0], command.slice(1), { env: { ...process.env, ...added } });
    return interruptedExitCode() ?? code;
  } finally {
    if (engine.startedNow) await stopOwnEngine();
  }
}
