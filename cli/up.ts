/**
 * `npm run up`: the platform on this host in one command. Uses the Docker engine that answers, or starts the
 * project's own and leaves it running; picks the image source, Control Center and the users API by itself
 * (ops/deploy-choices.ts); builds the images on the host when they come from there; installs terraform and
 * the providers; deploys with cdktf, showing each service's way to healthy; ends with a summary of what to
 * open and what to try next. Never prints a secret: it says how to read one.
 */
import * as path from 'path';
import { deployWatched, DAG_ID, PREFIX, ROOT, STACK_DIRECTORY, stackOutputEntries, type StackOutput } from '../ops/deployment';
import { chooseDeploySettings, httpReachability } from '../ops/deploy-choices';
import { DeployProgress } from '../ops/deploy-progress';
import { chooseEngine, describeEngine, dockerEngineProbe, LOCAL_SOCKET, type EngineChoice } from '../ops/engine';
import { preparePlatform, say } from '../ops/platform-env';
import { nextUpState, readUpState, upStateFile, writeUpState } from '../ops/up-state';

/** Where up's and down's command logs go (synth, terraform init, deploy, destroy). */
export const PLATFORM_LOG_DIRECTORY = path.join(ROOT, 'artifacts', 'platform');

export interface Summary {
  readonly outputs: Readonly<Record<string, StackOutput>>;
  readonly engine: EngineChoice;
  /** `npm run down` stops the engine: an `up` started it (this one or an earlier one). */
  readonly downStopsEngine: boolean;
  /** DOCKER_HOST as the user's shell has it (unset: the local socket). */
  readonly userDockerHost: string | undefined;
  readonly terraformBinary: string;
  readonly deploySeconds: number;
}

/** A command in the user's shell that talks to the platform's engine. */
export function withEngine(command: string, engine: EngineChoice, userDockerHost: string | undefined): string {
  const shellHost = userDockerHost || LOCAL_SOCKET;
  return engine.dockerHost === shellHost ? command : `DOCKER_HOST=${engine.dockerHost} ${command}`;
}

/** The closing summary: every output (a sensitive one by the command that reads it), the Airflow login, the engine, what next. */
export function formatSummary(summary: Summary): string {
  const { outputs, engine } = summary;
  const stackDir = path.relative(ROOT, STACK_DIRECTORY);
  const readOutput = (name: string) => `${summary.terraformBinary} -chdir=${stackDir} output -raw ${name}`;
  const names = Object.keys(outputs).sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    `The platform is up (cdktf deploy took ${Math.round(summary.deploySeconds)} s).`,
    '',
    ...names.map((name) => `  ${name.padEnd(width)}  ${outputs[name].sensitive ? `(sensitive) ${readOutput(name)}` : outputs[name].value}`),
    '',
  ];
  const airflowUrl = outputs.airflow_url?.value;
  if (airflowUrl !== undefined) {
    lines.push(
      `Airflow: ${airflowUrl}, user ${outputs.airflow_admin_user?.value ?? 'admin'}; its password:`,
      `  ${readOutput('airflow_admin_password')}`,
      '',
    );
  }
  if (engine.origin === 'project engine') {
    lines.push(
      `Docker engine: the project's own at ${engine.dockerHost}, left running${engine.startedNow ? ' (started by this command)' : ''}.`,
      '  Use it from your shell with: eval "$(bash scripts/docker-engine.sh env)"',
      `  ${summary.downStopsEngine ? '`npm run down` stops it with the platform' : '`npm run down` leaves it running, as it was running before `up`'}; by hand: bash scripts/docker-engine.sh stop`,
      '',
    );
  }
  lines.push(
    'Next:',
    `  trigger the DAG:      ${withEngine(`docker exec ${PREFIX}-airflow-scheduler airflow dags trigger ${DAG_ID}`, engine, summary.userDockerHost)}`,
    '                        (or the Trigger button on the DAG in the Airflow UI)',
    '  watch users arrive:   npm run status',
    '  remove everything:    npm run down',
  );
  return lines.join('\n');
}

export async function up(): Promise<number> {
  const stateFile = upStateFile();
  const previous = readUpState(stateFile);
  const userDockerHost = process.env.DOCKER_HOST;
  // The settings first: a refused one (e.g. Control Center with host images) must not leave an engine started.
  const choices = await chooseDeploySettings(process.env, httpReachability(), previous?.settings);
  const engine = await chooseEngine(process.env, dockerEngineProbe, { mayStart: true, previous: previous?.dockerHost });
  say(describeEngine(engine));
  for (const line of choices.lines) say(line);
  // Recorded before the long steps, so that `down` stops an engine started here even when the deploy fails.
  const state = nextUpState(previous, { dockerHost: engine.dockerHost, startedNow: engine.startedNow, settings: choices.settings, checkout: ROOT, at: new Date() });
  writeUpState(stateFile, state);
  if (engine.startedNow) say('the engine stays running after this command: `npm run down` stops it');
  try {
    Object.assign(process.env, await preparePlatform({ dockerHost: engine.dockerHost, settings: choices.settings, hostImages: choices.hostImages, logDirectory: PLATFORM_LOG_DIRECTORY }));
    say(`cdktf deploy (log: ${path.relative(ROOT, PLATFORM_LOG_DIRECTORY)}/deploy.log); each container as it goes, seconds since the start:`);
    const progress = new DeployProgress(Date.now());
    const { seconds } = await deployWatched('deploy', {
      logDirectory: PLATFORM_LOG_DIRECTORY,
      onPoll: (containers, now) => progress.observe(containers, now).forEach((line) => console.error(line)),
    });
    const terraformBinary = process.env.TERRAFORM_BINARY_NAME ?? 'terraform';
    const summary = { outputs: stackOutputEntries(), engine, downStopsEngine: state.startedEngine, userDockerHost, terraformBinary, deploySeconds: seconds };
    console.log(`\n${formatSummary(summary)}`);
    return 0;
  } catch (error) {
    if (engine.origin === 'project engine') say('the Docker engine is left running: `npm run down` removes what was deployed and stops it');
    throw error;
  }
}
