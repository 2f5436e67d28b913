import { downStopsEngine } from '../../cli/down';
import { LOCAL_SOCKET } from '../../ops/engine';

const OWN = 'unix:///root/.cache/kafka-pipelining/docker/docker.sock';

describe('down stops the engine only if an up (or down itself) started it', () => {
  const state = { dockerHost: OWN, startedEngine: true, settings: {}, checkout: '/src', updatedAt: '' };
  test.each([
    ['up started the project engine', state, { dockerHost: OWN, origin: 'project engine', startedNow: false }, true],
    ['down started it to destroy what was left', undefined, { dockerHost: OWN, origin: 'project engine', startedNow: true }, true],
    ['it was running before up', { ...state, startedEngine: false }, { dockerHost: OWN, origin: 'project engine', startedNow: false }, false],
    ['the platform is on the user\'s engine', state, { dockerHost: LOCAL_SOCKET, origin: 'local socket', startedNow: false }, false],
    ['no up recorded', undefined, { dockerHost: OWN, origin: 'project engine', startedNow: false }, false],
  ])('%s', (_case, upState, engine, stops) => {
    expect(downStopsEngine(upState, engine)).toBe(stops);
  });
});
