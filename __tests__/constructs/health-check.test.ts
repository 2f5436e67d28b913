import { HealthCheck } from '../../constructs';

describe('HealthCheck renders the docker healthcheck block', () => {
  test('a command runs as given (CMD form), with the defaults', () => {
    expect(HealthCheck.command(['pg_isready', '-h', '127.0.0.1']).render()).toEqual({
      test: ['CMD', 'pg_isready', '-h', '127.0.0.1'],
      interval: '10s',
      timeout: '10s',
      startPeriod: '30s',
      retries: 6,
    });
  });

  test('http asks curl to fail on an error status, quietly', () => {
    const check = HealthCheck.http('http://localhost:8081/subjects', { intervalSeconds: 15, timeoutSeconds: 5, startPeriodSeconds: 0, retries: 3 });
    expect(check.render()).toEqual({
      test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://localhost:8081/subjects'],
      interval: '15s',
      timeout: '5s',
      startPeriod: '0s',
      retries: 3,
    });
  });

  test('durations are written as the docker provider reads them back (Go durations), so a redeploy plans no change', () => {
    const rendered = (seconds: number) => HealthCheck.command(['true'], { startPeriodSeconds: seconds }).render().startPeriod;
    expect([0, 59, 60, 90, 600, 3600].map(rendered)).toEqual(['0s', '59s', '1m0s', '1m30s', '10m0s', '1h0m0s']);
  });

  test('tcp connects through bash, and may exchange a word with the server', () => {
    expect(HealthCheck.tcp(5432).render().test).toEqual(['CMD', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/5432']);
    expect(HealthCheck.tcp(2181, { send: 'srvr', expectLine: '^Mode: ' }).render().test).toEqual([
      'CMD', 'bash', '-c', "exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && grep -q '^Mode: ' <&3",
    ]);
  });

  test('a check with a standalone one keeps its own for one host and gives the standalone one where peers are found by health', () => {
    const quorum = HealthCheck.command(['kafka-metadata-quorum', 'describe', '--status']);
    const listener = HealthCheck.tcp(29093);
    const voter = quorum.withStandalone(listener);
    expect(voter.render()).toEqual(quorum.render());
    expect(voter.standalone.render().test).toEqual(['CMD', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/29093']);
    // Without one, a check is its own standalone check.
    expect(quorum.standalone).toBe(quorum);
    expect(() => quorum.withStandalone(voter)).toThrow(/standalone must be a check of its own/);
  });
});
