import type { PipelineStatus } from '../../ops/pipeline-status';
import type { ServiceStatus } from '../../ops/service-status';
import { assessStatus, DEFAULT_BOUNDS, formatDuration, formatMemory, formatStatus, statusJson } from '../../ops/status-report';

const MiB = 1024 * 1024;

function service(name: string, overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  return { name, oneShot: false, health: 'healthy', ok: true, uptimeSeconds: 7380, memoryBytes: 300 * MiB, memoryLimitBytes: 1024 * MiB, restarts: 0, exitCode: null, ...overrides };
}

const SERVICES: ServiceStatus[] = [
  service('kp-airflow-init', { oneShot: true, health: 'done', uptimeSeconds: null, memoryBytes: null, memoryLimitBytes: 1024 * MiB, exitCode: 0 }),
  service('kp-cassandra', { memoryBytes: 1700 * MiB, memoryLimitBytes: 2048 * MiB }),
  service('kp-kafka', { uptimeSeconds: 95, restarts: 1 }),
  service('kp-spark-job', { memoryBytes: 900 * MiB, memoryLimitBytes: 1536 * MiB, restarts: 2 }),
];

const PIPELINE: PipelineStatus = {
  usersInPostgres: 1225,
  outbox: { waiting: 0, oldestSeconds: null },
  lag: { topic: 'users_created', records: 0, batch: 57, partitions: [{ partition: 0, end: 440, done: 440, lag: 0 }] },
  cassandraRows: 1225,
  deadLetters: {
    total: 27,
    byReason: [
      { stage: 'ingest', reason: 'missing email', count: 25 },
      { stage: 'stream', reason: 'wrong magic byte', count: 2 },
    ],
  },
  errors: {},
};

describe('assessStatus: the exit code rules', () => {
  test('every service healthy, every one-shot done, every figure read, within the bounds: ok (restarts alone are no problem)', () => {
    const report = assessStatus(SERVICES, PIPELINE, DEFAULT_BOUNDS);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
  });

  test('a service not healthy, a one-shot that failed, a figure unreadable, each fails the status by name', () => {
    const services = [
      ...SERVICES.slice(1),
      service('kp-bootstrap', { oneShot: true, health: 'failed', ok: false, exitCode: 1 }),
      service('kp-postgres', { health: 'unhealthy', ok: false }),
      service('kp-zookeeper', { health: 'missing', ok: false }),
    ];
    const report = assessStatus(services, { ...PIPELINE, cassandraRows: null, errors: { cassandra: 'All host(s) tried for query failed' } }, DEFAULT_BOUNDS);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      'kp-bootstrap is failed (exit 1), not finished with exit 0',
      'kp-postgres is unhealthy, not healthy',
      'kp-zookeeper is missing, not healthy',
      'Cassandra could not be read: All host(s) tried for query failed',
    ]);
  });

  test('lag and outbox age fail past their bounds, not at them', () => {
    const lagging = (records: number, oldestSeconds: number) =>
      assessStatus(SERVICES, { ...PIPELINE, lag: { ...PIPELINE.lag!, records }, outbox: { waiting: 3, oldestSeconds } }, { maxLagRecords: 100, maxOutboxAgeSeconds: 60 });
    expect(lagging(100, 60).ok).toBe(true);
    expect(lagging(101, 61).problems).toEqual([
      'the Spark job is 101 records behind on users_created, over the bound of 100 (--max-lag)',
      'the oldest user waiting in the outbox has waited 61 s, over the bound of 60 s (--max-outbox-age)',
    ]);
  });

  test('the report carries no error map (the problems say it) and its JSON parses back to it', () => {
    const report = assessStatus(SERVICES, PIPELINE, DEFAULT_BOUNDS);
    expect(Object.keys(report.pipeline)).not.toContain('errors');
    expect(JSON.parse(statusJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

test('formatDuration and formatMemory', () => {
  expect([42, 720, 7380, 190_000].map(formatDuration)).toEqual(['42 s', '12 min', '2 h 03 min', '2 d 4 h']);
  expect(formatMemory(612 * MiB, 1536 * MiB)).toBe('612 MiB / 1536 MiB (40%)');
  expect(formatMemory(612 * MiB, null)).toBe('612 MiB (no limit)');
  expect(formatMemory(null, 1536 * MiB)).toBe('-');
});

test('formatStatus: a table of the services, one of the pipeline, then the verdict', () => {
  expect(formatStatus(assessStatus(SERVICES, PIPELINE, DEFAULT_BOUNDS))).toBe(
    [
      'service          health   up          memory / limit             restarts',
      'kp-airflow-init  done     -           -                                 0',
      'kp-cassandra     healthy  2 h 03 min  1700 MiB / 2048 MiB (83%)         0',
      'kp-kafka         healthy  1 min       300 MiB / 1024 MiB (29%)          1',
      'kp-spark-job     healthy  2 h 03 min  900 MiB / 1536 MiB (59%)          2',
      '',
      'pipeline                        count',
      'users stored in PostgreSQL       1225',
      'waiting in the outbox               0',
      "Spark job lag on users_created      0  records: topic end offsets minus the checkpoint's batch 57",
      'rows in Cassandra                1225',
      'dead letters                       27',
      '  ingest: missing email            25',
      '  stream: wrong magic byte          2',
      '',
      'status: ok',
    ].join('\n'),
  );
});

test('formatStatus shows unreadable figures as unknown and lists the problems', () => {
  const pipeline: PipelineStatus = { ...PIPELINE, lag: null, outbox: { waiting: 40, oldestSeconds: 900 }, errors: { lag: 'No such container: kp-spark-job' } };
  const text = formatStatus(assessStatus(SERVICES, pipeline, DEFAULT_BOUNDS));
  expect(text).toContain('waiting in the outbox                  40  oldest waiting 15 min');
  expect(text).toContain('Spark job lag on the users topic  unknown');
  expect(text.split('\n').slice(-3)).toEqual([
    'status: NOT OK',
    "  - the Spark job's lag could not be read: No such container: kp-spark-job",
    '  - the oldest user waiting in the outbox has waited 900 s, over the bound of 600 s (--max-outbox-age)',
  ]);
});
