/**
 * Everything a deployment needs on this host besides the engine: the images built on the host when they
 * come from there, terraform and its providers (built from Go modules, cached), and the stack initialised
 * over the local provider mirror. The one route for `npm run up`, `down` and scripts/with-platform.sh (the
 * end-to-end proof and the benchmarks), so the route the README gives is the route that is tested.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runChecked } from './child';
import type { ChoiceSettings } from './deploy-choices';
import { ROOT, runLogged, STACK_DIRECTORY } from './deployment';
import { parseExports } from './engine';

/** A step's progress line on stderr, where a person reads along (stdout stays for results). */
export function say(line: string): void {
  console.error(`==> ${line}`);
}

/** Runs fn, then says how long it took. */
export async function timed<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  say(`${what} in ${Math.round((Date.now() - started) / 1000)} s`);
  return result;
}

/**
 * Builds the platform's images on the engine at env.DOCKER_HOST (scripts/build-host-images.sh, which skips
 * what its content hash says is built, and reports each image with its time).
 */
export async function buildHostImages(env: NodeJS.ProcessEnv): Promise<void> {
  await runChecked('bash', [path.join(ROOT, 'scripts', 'build-host-images.sh')], { env });
}

/**
 * terraform and the providers (scripts/install-terraform.sh builds them when missing), and the variables
 * that point cdktf at them: TERRAFORM_BINARY_NAME, TF_CLI_CONFIG_FILE (the filesystem mirror) and PATH.
 */
export async function terraformEnvironment(env: NodeJS.ProcessEnv = process.env, quiet = false): Promise<Record<string, string>> {
  const printed = await runChecked('bash', [path.join(ROOT, 'scripts', 'install-terraform.sh')], { env, captureStdout: true, quiet });
  const exports = parseExports(printed);
  const binary = exports.TERRAFORM_BINARY_NAME;
  if (!binary || !exports.TF_CLI_CONFIG_FILE) throw new Error(`scripts/install-terraform.sh printed no TERRAFORM_BINARY_NAME and TF_CLI_CONFIG_FILE: ${printed}`);
  return {
    TERRAFORM_BINARY_NAME: binary,
    TF_CLI_CONFIG_FILE: exports.TF_CLI_CONFIG_FILE,
    PATH: `${path.dirname(binary)}${path.delimiter}${env.PATH ?? ''}`,
    // No calls home, and no plugin cache: the providers come from the mirror.
    CHECKPOINT_DISABLE: '1',
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
  };
}

/**
 * Initialises the stack over the provider mirror when it has no lock file: a first `cdktf deploy` would
 * otherwise run `terraform providers lock`, which asks the public registry even when the mirror serves the
 * providers. Resolves to whether it had to.
 */
export async function initStack(env: NodeJS.ProcessEnv, logDirectory: string): Promise<boolean> {
  if (fs.existsSync(path.join(STACK_DIRECTORY, '.terraform.lock.hcl'))) return false;
  await runLogged('synth', 'npx', ['cdktf', 'synth'], env, logDirectory);
  await runLogged('terraform-init', env.TERRAFORM_BINARY_NAME ?? 'terraform', [`-chdir=${STACK_DIRECTORY}`, 'init', '-input=false'], env, logDirectory);
  return true;
}

/**
 * Prepares the host for a deploy on the engine at dockerHost with the given settings: images (when
 * hostImages), terraform, the stack's init. Resolves to the variables to add to the environment of cdktf.
 */
export async function preparePlatform(options: {
  readonly dockerHost: string;
  readonly settings: ChoiceSettings;
  readonly hostImages: boolean;
  readonly logDirectory: string;
}): Promise<Record<string, string>> {
  const added: Record<string, string> = { DOCKER_HOST: options.dockerHost };
  for (const [name, value] of Object.entries(options.settings)) if (value !== undefined) added[name] = value;
  if (options.hostImages) {
    say('building the images on the Docker host (each is skipped when its content hash says it is built)');
    await timed('host images ready', () => buildHostImages({ ...process.env, ...added }));
  }
  Object.assign(added, await timed('terraform and providers ready', () => terraformEnvironment({ ...process.env, ...added })));
  const env = { ...process.env, ...added };
  const initialised = await initStack(env, options.logDirectory);
  if (initialised) say(`stack initialised over the local provider mirror (logs in ${path.relative(ROOT, options.logDirectory)}/)`);
  return added;
}
