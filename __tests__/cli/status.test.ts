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

test('findSparkJob: the container running spark-submit, with its environment (the others carry the same PIPELINE_* variables)', () => {
  const container = (name: string, cmd: string[] | null, env: string[] | null) =>
    [name, { Name: `/${name}`, Config: { Cmd: cmd, Env: env } } as unknown as InspectedContainer] as const;
  const pipelineEnv = ['PIPELINE_TOPIC=users_created', 'PIPELINE_CHECKPOINT_DIR=/checkpoints/users_created', 'EXTRA=a=b'];
  const inspected = new Map([
    container('kp-airflow-scheduler', ['scheduler'], pipelineEnv),
    container('kp-kafka', null, null),
    container('kp-spark-job', ['/opt/spark/bin/spark-submit', '--master', 'spark://spark-master:7077', 'stream_users.py'], pipelineEnv),
  ]);
  expect(findSparkJob(inspected)).toEqual({
    container: 'kp-spark-job',
    env: { PIPELINE_TOPIC: 'users_created', PIPELINE_CHECKPOINT_DIR: '/checkpoints/users_created', EXTRA: 'a=b' },
  });
  expect(findSparkJob(new Map([container('kp-airflow-scheduler', ['scheduler'], pipelineEnv)]))).toBeUndefined();
});
