/**
 * Which Docker engine a command talks to: the one `DOCKER_HOST` names, the one a previous `npm run up` used,
 * the local socket, or this checkout's own (scripts/docker-engine.sh), started when none of them answers and
 * the command may start one. Shared by `npm run up`, `down`, `status` and scripts/with-platform.sh.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { runChecked } from './child';
import { ROOT } from './deployment';

/** The socket a Docker engine installed as a system service listens on (the docker provider's default too). */
export const LOCAL_SOCKET = 'unix:///var/run/docker.sock';

/** Where an engine was found. */
export type EngineOrigin = 'DOCKER_HOST' | 'previous up' | 'local socket' | 'project engine';

export interface EngineChoice {
  readonly dockerHost: string;
  readonly origin: EngineOrigin;
  /** Whether this command started the project's engine (so it is this command's to stop, or to hand on). */
  readonly startedNow: boolean;
  /** What was tried before, and why it was passed over. */
  readonly notes: readonly string[];
}

/** What the choice needs from the outside world; scripts/docker-engine.sh and `docker info` in practice. */
export interface EngineProbe {
  /** Whether an engine answers at this DOCKER_HOST. */
  answers(dockerHost: string): boolean;
  /** The DOCKER_HOST of the project's own engine (whether or not it runs). */
  ownEngineHost(): string;
  /** Starts the project's own engine and waits until it answers (rejects if it does not). */
  startOwnEngine(): Promise<void>;
}

export class NoEngineError extends Error {
  constructor(tried: readonly string[]) {
    super(`no Docker engine answers (tried ${tried.join(', ')}): the platform is not running; \`npm run up\` starts one`);
    this.name = 'NoEngineError';
  }
}

/**
 * The first engine that answers among DOCKER_HOST, the one `previous` names (recorded by `npm run up`, so a
 * second `up` or a `down` finds the platform where it is), the local socket and the project's own engine;
 * if none does, starts the project's own when `mayStart`, else throws NoEngineError.
 */
export async function chooseEngine(
  env: Readonly<Record<string, string | undefined>>,
  probe: EngineProbe,
  options: { readonly mayStart: boolean; readonly previous?: string },
): Promise<EngineChoice> {
  const own = probe.ownEngineHost();
  const candidates: Array<[EngineOrigin, string | undefined]> = [
    ['DOCKER_HOST', env.DOCKER_HOST || undefined],
    ['previous up', options.previous],
    ['local socket', LOCAL_SOCKET],
    ['project engine', own],
  ];
  const notes: string[] = [];
  const tried = new Set<string>();
  for (const [origin, dockerHost] of candidates) {
    if (dockerHost === undefined || tried.has(dockerHost)) continue;
    tried.add(dockerHost);
    if (probe.answers(dockerHost)) {
      // The project's engine is named as such wherever its address came from.
      return { dockerHost, origin: dockerHost === own ? 'project engine' : origin, startedNow: false, notes };
    }
    notes.push(`${origin} ${dockerHost} does not answer`);
  }
  if (!options.mayStart) throw new NoEngineError([...tried]);
  await probe.startOwnEngine();
  return { dockerHost: own, origin: 'project engine', startedNow: true, notes };
}

/** One line saying which engine is used and why, for a person reading along. */
export function describeEngine(choice: EngineChoice): string {
  const where =
    choice.origin === 'project engine'
      ? `the project's own engine (scripts/docker-engine.sh), ${choice.startedNow ? 'started now' : 'already running'}`
      : `the engine at ${choice.origin === 'DOCKER_HOST' ? 'DOCKER_HOST' : `the ${choice.origin}`}`;
  const passed = choice.notes.length > 0 ? ` (${choice.notes.join('; ')})` : '';
  return `engine: ${where}, ${choice.dockerHost}${passed}`;
}

/** `export NAME=value` lines, as scripts/docker-engine.sh env and scripts/install-terraform.sh print them. */
export function parseExports(text: string): Record<string, string> {
  const exports: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) exports[match[1]] = match[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return exports;
}

const ENGINE_SCRIPT = path.join(ROOT, 'scripts', 'docker-engine.sh');

/** The real probe: `docker info` against each address, and scripts/docker-engine.sh for the project's engine. */
export const dockerEngineProbe: EngineProbe = {
  answers(dockerHost) {
    try {
      execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
        env: { ...process.env, DOCKER_HOST: dockerHost },
        stdio: 'ignore',
        timeout: 10_000,
      });
      return true;
    } catch {
      return false;
    }
  },
  ownEngineHost() {
    const host = parseExports(execFileSync('bash', [ENGINE_SCRIPT, 'env'], { encoding: 'utf8' })).DOCKER_HOST;
    if (!host) throw new Error(`${ENGINE_SCRIPT} env printed no DOCKER_HOST`);
    return host;
  },
  async startOwnEngine() {
    // Its progress goes to stderr, where a person sees it.
    await runChecked('bash', [ENGINE_SCRIPT, 'start']);
  },
};

/** Stops the project's own engine (by its pid; the script waits until it is gone). */
export async function stopOwnEngine(): Promise<void> {
  await runChecked('bash', [ENGINE_SCRIPT, 'stop'], { cleanup: true });
}
