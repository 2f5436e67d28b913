import { parseMemoryUsage, parseSize, serviceStatus, type InspectedContainer } from '../../ops/service-status';

const now = new Date('2026-12-01T12:00:00Z');
const MiB = 1024 * 1024;

function inspected(state: Partial<InspectedContainer['State']>, extra: Partial<InspectedContainer> = {}): InspectedContainer {
  return {
    Name: '/kp-kafka',
    RestartCount: 0,
    State: { Status: 'running', Running: true, Restarting: false, ExitCode: 0, StartedAt: '2026-12-01T11:00:00Z', ...state },
    HostConfig: { Memory: 1024 * MiB },
    Config: { Env: [], Cmd: null },
    ...extra,
  };
}

describe('serviceStatus: what a container is doing, judged', () => {
  const service = { name: 'kp-kafka', oneShot: false };
  const oneShot = { name: 'kp-bootstrap', oneShot: true };

  test('a healthy service: ok, with its uptime, memory against its limit and restarts', () => {
    expect(serviceStatus(service, inspected({ Health: { Status: 'healthy' } }, { RestartCount: 2 }), 512 * MiB, now)).toEqual({
      name: 'kp-kafka', oneShot: false, health: 'healthy', ok: true, uptimeSeconds: 3600, memoryBytes: 512 * MiB, memoryLimitBytes: 1024 * MiB, restarts: 2, exitCode: null,
    });
  });

  test('starting, unhealthy, restarting, running without a health check, stopped and missing are not ok', () => {
    const health = (state: Partial<InspectedContainer['State']> | undefined) => {
      const s = serviceStatus(service, state && inspected(state), undefined, now);
      return [s.health, s.ok];
    };
    expect(health({ Health: { Status: 'starting' } })).toEqual(['starting', false]);
    expect(health({ Health: { Status: 'unhealthy' } })).toEqual(['unhealthy', false]);
    expect(health({ Restarting: true, Health: { Status: 'unhealthy' } })).toEqual(['restarting', false]);
    expect(health({})).toEqual(['running', false]);
    expect(health({ Running: false, Status: 'exited', ExitCode: 137 })).toEqual(['failed', false]);
    expect(health({ Running: false, Status: 'exited', ExitCode: 0 })).toEqual(['stopped', false]);
    expect(health(undefined)).toEqual(['missing', false]);
  });

  test('a one-shot container is ok once it exited 0, not while running or after a failure; no uptime or memory when stopped', () => {
    const done = serviceStatus(oneShot, inspected({ Running: false, Status: 'exited', ExitCode: 0 }), 99, now);
    expect(done).toMatchObject({ health: 'done', ok: true, uptimeSeconds: null, memoryBytes: null, exitCode: 0 });
    expect(serviceStatus(oneShot, inspected({ Running: false, Status: 'exited', ExitCode: 3 }), undefined, now)).toMatchObject({ health: 'failed', ok: false, exitCode: 3 });
    expect(serviceStatus(oneShot, inspected({}), undefined, now)).toMatchObject({ health: 'running', ok: false });
  });

  test('a container without a memory limit reports none', () => {
    expect(serviceStatus(service, inspected({ Health: { Status: 'healthy' } }, { HostConfig: { Memory: 0 } }), 1, now).memoryLimitBytes).toBeNull();
  });
});

test('parseSize reads docker stats sizes, binary and decimal', () => {
  expect(parseSize('512MiB')).toBe(512 * MiB);
  expect(parseSize('1.5GiB')).toBe(1.5 * 1024 * MiB);
  expect(parseSize('0B')).toBe(0);
  expect(parseSize(' 2kB ')).toBe(2000);
  expect(parseSize('12 parsecs')).toBeUndefined();
});

test('parseMemoryUsage takes the used part of each line, by container', () => {
  expect(parseMemoryUsage('kp-kafka\t700.5MiB / 1GiB\nkp-postgres\t31.2MiB / 512MiB\n\nbroken line')).toEqual(
    new Map([['kp-kafka', Math.round(700.5 * MiB)], ['kp-postgres', Math.round(31.2 * MiB)]]),
  );
});
