import { findSparkJob, parseStatusArgs, UsageError } from '../../cli/status';
import type { InspectedContainer } from '../../ops/service-status';

describe('npm run status arguments', () => {
  test('defaults: a table, lag bound 10,000 records, outbox age bound 600 s', () => {
    expect(parseStatusArgs([])).toEqual({ json: false, bounds: { maxLagRecords: 10000, maxOutboxAgeSeconds: 600 } });
  });

  test('--json and both bounds', () => {
    expect(parseStatusArgs(['--json', '--max-lag', '0', '--max-outbox-age=30'])).toEqual({ json: true, bounds: { maxLagRecords: 0, maxOutboxAgeSeconds: 30 } });
  });

  test('a bad bound or an unknown flag is a usage error naming it', () => {
    expect(() => parseStatusArgs(['--max-lag', 'lots'])).toThrow("--max-lag must be a whole number, got 'lots'");
    expect(() => parseStatusArgs(['--max-lag', '-1'])).toThrow(UsageError);
    expect(() => parseStatusArgs(['--verbose'])).toThrow(UsageError);
    expect(() => parseStatusArgs(['--verbose'])).toThrow("Unknown option '--verbose'");
  });
});

test("findSparkJob: the container whose environment names the checkpoint, with that environment", () => {
  const container = (name: string, env: string[] | null) => [name, { Name: `/${name}`, Config: { Env: env } } as unknown as InspectedContainer] as const;
  const inspected = new Map([
    container('kp-kafka', null),
    container('kp-spark-job', ['PIPELINE_TOPIC=users_created', 'PIPELINE_CHECKPOINT_DIR=/checkpoints/users_created', 'EXTRA=a=b']),
  ]);
  expect(findSparkJob(inspected)).toEqual({
    container: 'kp-spark-job',
    env: { PIPELINE_TOPIC: 'users_created', PIPELINE_CHECKPOINT_DIR: '/checkpoints/users_created', EXTRA: 'a=b' },
  });
  expect(findSparkJob(new Map([container('kp-kafka', ['A=1'])]))).toBeUndefined();
});
