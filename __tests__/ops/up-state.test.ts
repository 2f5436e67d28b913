import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheDirectory, nextUpState, readUpState, removeUpState, upStateFile, writeUpState, type UpState } from '../../ops/up-state';

const OWN = 'unix:///cache/docker.sock';
const at = new Date('2026-12-01T10:00:00Z');
const previous: UpState = { dockerHost: OWN, startedEngine: true, settings: { KP_IMAGE_SOURCE: 'host' }, checkout: '/src', updatedAt: '2026-12-01T09:00:00.000Z' };

describe("up's state file", () => {
  test('lives in KP_CACHE_DIR, else XDG_CACHE_HOME/kafka-pipelining, else ~/.cache/kafka-pipelining (as the scripts compute it)', () => {
    expect(upStateFile({ KP_CACHE_DIR: '/c' })).toBe('/c/platform-up.json');
    expect(cacheDirectory({ XDG_CACHE_HOME: '/x' })).toBe('/x/kafka-pipelining');
    expect(cacheDirectory({})).toBe(path.join(os.homedir(), '.cache', 'kafka-pipelining'));
  });

  test('an engine started by an earlier up stays "started by up" across a second up on it, so down still stops it', () => {
    expect(nextUpState(previous, { dockerHost: OWN, startedNow: false, settings: {}, checkout: '/src', at }).startedEngine).toBe(true);
  });

  test('an engine that was running before up is not up\'s to stop; one up started now is', () => {
    expect(nextUpState(undefined, { dockerHost: OWN, startedNow: false, settings: {}, checkout: '/src', at }).startedEngine).toBe(false);
    expect(nextUpState(undefined, { dockerHost: OWN, startedNow: true, settings: {}, checkout: '/src', at }).startedEngine).toBe(true);
    // Another engine than the recorded one: the record of the old one does not carry over.
    expect(nextUpState(previous, { dockerHost: 'unix:///var/run/docker.sock', startedNow: false, settings: {}, checkout: '/src', at }).startedEngine).toBe(false);
  });

  test('written, read back, removed; a missing or foreign file reads as no state', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'up-state-'));
    try {
      const file = path.join(dir, 'sub', 'platform-up.json');
      expect(readUpState(file)).toBeUndefined();
      const state = nextUpState(undefined, { dockerHost: OWN, startedNow: true, settings: { KP_LOCAL_SOURCE_API: 'true' }, checkout: '/src', at });
      writeUpState(file, state);
      expect(readUpState(file)).toEqual({ ...state, updatedAt: '2026-12-01T10:00:00.000Z' });
      fs.writeFileSync(file, '{"something": "else"}');
      expect(readUpState(file)).toBeUndefined();
      removeUpState(file);
      expect(fs.existsSync(file)).toBe(false);
      removeUpState(file);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
