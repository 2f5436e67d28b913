/**
 * `npm run down`: destroys the stack (cdktf destroy) and stops the project's Docker engine if an
 * `npm run up` started it. Synthesizes the app with the settings `up` deployed with. With nothing deployed
 * it destroys nothing, and starts no engine to find that out.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { destroy, leftovers, ROOT, STACK_DIRECTORY } from '../ops/deployment';
import { chooseEngine, describeEngine, dockerEngineProbe, stopOwnEngine } from '../ops/engine';
import { initStack, say, terraformEnvironment } from '../ops/platform-env';
import { stackContainers } from '../ops/stack-containers';
import { readUpState, removeUpState, upStateFile, type UpState } from '../ops/up-state';
import { PLATFORM_LOG_DIRECTORY } from './up';

/** Resources in the stack's state (`terraform state list`); none before a deploy or after a destroy. */
function deployedResources(): string[] {
  const listed = execFileSync(process.env.TERRAFORM_BINARY_NAME ?? 'terraform', [`-chdir=${STACK_DIRECTORY}`, 'state', 'list'], { encoding: 'utf8' });
  return listed.split('\n').filter(Boolean);
}

/** Whether `down` stops the engine at dockerHost: this command started it, or the recorded `up` did. */
export function downStopsEngine(state: UpState | undefined, engine: { dockerHost: string; origin: string; startedNow: boolean }): boolean {
  if (engine.origin !== 'project engine') return false;
  return engine.startedNow || (state !== undefined && state.startedEngine && state.dockerHost === engine.dockerHost);
}

export async function down(): Promise<number> {
  const stateFile = upStateFile();
  const state = readUpState(stateFile);
  for (const [name, value] of Object.entries(state?.settings ?? {})) if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
  Object.assign(process.env, await terraformEnvironment());
  // The state is the local backend's file beside the checkout; reading it needs the stack initialised, not an engine.
  await initStack(process.env, PLATFORM_LOG_DIRECTORY);
  const resources = deployedResources();
  if (resources.length === 0) {
    say('nothing is deployed (the stack state holds no resource)');
    if (state?.startedEngine && dockerEngineProbe.answers(state.dockerHost) && state.dockerHost === dockerEngineProbe.ownEngineHost()) {
      say("stopping the project's Docker engine, which `npm run up` started");
      await stopOwnEngine();
    }
    removeUpState(stateFile);
    return 0;
  }
  // The state's resources live in an engine: if it is the project's own and stopped, it is started to remove them.
  const engine = await chooseEngine(process.env, dockerEngineProbe, { mayStart: true, previous: state?.dockerHost });
  say(describeEngine(engine));
  process.env.DOCKER_HOST = engine.dockerHost;
  const containers = stackContainers().map((c) => c.name);
  say(`cdktf destroy of ${resources.length} resources (log: ${path.relative(ROOT, PLATFORM_LOG_DIRECTORY)}/destroy.log)`);
  try {
    const seconds = await destroy('destroy', PLATFORM_LOG_DIRECTORY);
    const left = leftovers(containers);
    const kept = [...left.containers, ...left.networks, ...left.volumes];
    say(`destroyed in ${Math.round(seconds)} s${kept.length > 0 ? `; still on the engine: ${kept.join(', ')} (volumes stay when retainVolumes is set)` : ''}`);
  } catch (error) {
    // The engine stays up with what is left, for a look and for the next `npm run down`, which tries again.
    if (engine.origin === 'project engine') say('the Docker engine is left running with what could not be destroyed; `npm run down` tries again');
    throw error;
  }
  if (downStopsEngine(state, engine)) {
    say("stopping the project's Docker engine");
    await stopOwnEngine();
  }
  removeUpState(stateFile);
  return 0;
}
