/**
 * What `npm run up` leaves for `npm run down` and a later `up`: the engine it deployed to, whether it started
 * that engine (then `down` stops it), and the settings it deployed with, so `down` synthesizes the same app. A file in
 * the cache directory, outside the clone, beside the engine it describes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChoiceSettings } from './deploy-choices';

export interface UpState {
  readonly dockerHost: string;
  /** `up` started the project's own engine: `down` stops it. */
  readonly startedEngine: boolean;
  /** The settings `up` deployed with (chosen or given), which `down` synthesizes the app with again. */
  readonly settings: ChoiceSettings;
  /** The checkout that deployed. */
  readonly checkout: string;
  readonly updatedAt: string;
}

/** $KP_CACHE_DIR, default $XDG_CACHE_HOME/kafka-pipelining or ~/.cache/kafka-pipelining, as the scripts compute it. */
export function cacheDirectory(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.KP_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kafka-pipelining');
}

export function upStateFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.join(cacheDirectory(env), 'platform-up.json');
}

/** The recorded state, or undefined when there is none (or it cannot be read: then `up` starts afresh). */
export function readUpState(file: string): UpState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<UpState>;
    if (typeof state.dockerHost !== 'string' || typeof state.startedEngine !== 'boolean') return undefined;
    return { dockerHost: state.dockerHost, startedEngine: state.startedEngine, settings: state.settings ?? {}, checkout: state.checkout ?? '', updatedAt: state.updatedAt ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * The state after an `up` on `dockerHost`: the engine counts as started by `up` if this one started it, or if
 * an earlier `up` did and it is still the same engine (a second `up` must not make `down` leave it running).
 */
export function nextUpState(
  previous: UpState | undefined,
  now: { dockerHost: string; startedNow: boolean; settings: UpState['settings']; checkout: string; at: Date },
): UpState {
  const startedBefore = previous !== undefined && previous.startedEngine && previous.dockerHost === now.dockerHost;
  return {
    dockerHost: now.dockerHost,
    startedEngine: now.startedNow || startedBefore,
    settings: now.settings,
    checkout: now.checkout,
    updatedAt: now.at.toISOString(),
  };
}

export function writeUpState(file: string, state: UpState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeUpState(file: string): void {
  fs.rmSync(file, { force: true });
}
