import {
  collectFigures,
  type CommittedBatch,
  deadLetterKey,
  DeadLetterTally,
  type FigureSources,
  lastCommittedBatchId,
  parseOffsetsFile,
  reasonKind,
  type StoreFigures,
  streamLag,
  type TopicEnds,
} from '../../jobs/lib/pipeline-figures';
import { renderMetrics } from '../../jobs/lib/prometheus-text';

const envelope = (value: Record<string, unknown>) => Buffer.from(JSON.stringify(value));

describe("the Spark job's checkpoint", () => {
  test('the last committed batch is the highest id with both a commit and its offsets; checksums and temporary files are no batches', () => {
    expect(lastCommittedBatchId(['0', '1', '2', '.2.crc', '3.tmp'], ['0', '1', '2', '3', '.3.crc'])).toBe(2);
    // Batch 3 is planned, not written yet.
    expect(lastCommittedBatchId(['0', '1', '2'], ['0', '1', '2', '3'])).toBe(2);
    expect(lastCommittedBatchId([], ['0'])).toBeUndefined();
    expect(lastCommittedBatchId(['10', '9'], ['9', '10'])).toBe(10);
  });

  test("an offsets file gives the batch's time and the Kafka source's next offsets per partition", () => {
    const text = 'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1700000000123,"conf":{"spark.sql.shuffle.partitions":"200"}}\n{"users_created":{"2":7,"1":12,"0":30}}\n';
    const batch = parseOffsetsFile(41, text, 'offsets/41');
    expect(batch.batchId).toBe(41);
    expect(batch.timestampMs).toBe(1700000000123);
    expect([...batch.offsets.get('users_created')!.entries()].sort()).toEqual([[0, 30], [1, 12], [2, 7]]);
  });

  test("a source that did not take part ('-') is skipped; a file that is not Spark's is refused, naming it", () => {
    expect(parseOffsetsFile(1, 'v1\n{"batchTimestampMs":5}\n-\n', 'f').offsets.size).toBe(0);
    expect(() => parseOffsetsFile(1, '{"users_created":{"0":1}}', 'offsets/1')).toThrow("offsets/1: not a Spark offsets file (first line '{\"users_created\":{\"0\":1}}')");
    expect(() => parseOffsetsFile(1, 'v1\n{}\n', 'offsets/1')).toThrow('offsets/1: no batchTimestampMs in its metadata line');
  });
});

describe("the stream's lag", () => {
  const ends: TopicEnds = new Map([
    [0, { low: 0, high: 100 }],
    [1, { low: 40, high: 60 }],
    [2, { low: 0, high: 5 }],
  ]);

  test('is what each partition holds past the committed offset', () => {
    const lag = streamLag(ends, new Map([[0, 90], [1, 60], [2, 5]]));
    expect(lag).toEqual([
      { partition: 0, end: 100, committed: 90, lag: 10 },
      { partition: 1, end: 60, committed: 60, lag: 0 },
      { partition: 2, end: 5, committed: 5, lag: 0 },
    ]);
  });

  test('counts from the earliest retained offset where the checkpoint names no offset, or one retention removed', () => {
    expect(streamLag(ends, undefined).map((p) => p.lag)).toEqual([100, 20, 5]);
    expect(streamLag(ends, new Map([[0, 100], [1, 10]])).map((p) => [p.committed, p.lag])).toEqual([[100, 0], [40, 20], [0, 5]]);
  });
});

describe('dead letters', () => {
  test("a reason's kind leaves out what is particular to one record", () => {
    expect(reasonKind('missing required field: email')).toBe('missing required field');
    expect(reasonKind('name.first is 3000 characters long, over the limit of 1000 (PIPELINE_MAX_FIELD_LENGTH)')).toBe(
      'name.first is N characters long, over the limit of N (PIPELINE_MAX_FIELD_LENGTH)',
    );
    expect(reasonKind('login.uuid contains a lone surrogate (U+D800), which UTF-8 cannot encode, at character 4')).toBe(
      'login.uuid contains a lone surrogate (U+XXXX), which UTF-N cannot encode, at character N',
    );
    expect(reasonKind('refused by the producer 3 times, the last time with: KafkaError{code=MSG_SIZE_TOO_LARGE}')).toBe(
      'refused by the producer N times, the last time with',
    );
    expect(reasonKind('x'.repeat(200))).toHaveLength(120);
  });

  test('a letter is keyed by stage, kind of reason and field; one that is no envelope still counts', () => {
    expect(deadLetterKey(envelope({ stage: 'stream', reason: 'missing required field: email', field: 'email' }))).toEqual({
      stage: 'stream', reason: 'missing required field', field: 'email',
    });
    expect(deadLetterKey(envelope({ stage: 'stream', reason: 'unknown schema id', field: null }))).toEqual({ stage: 'stream', reason: 'unknown schema id', field: 'none' });
    expect(deadLetterKey(Buffer.from('garbage'))).toEqual({ stage: 'unknown', reason: 'not a dead-letter envelope', field: 'none' });
    expect(deadLetterKey(null)).toEqual({ stage: 'unknown', reason: 'not a dead-letter envelope', field: 'none' });
  });

  test('the tally is whole once every partition was read up to where it ended at the start', () => {
    const tally = new DeadLetterTally(new Map([[0, { low: 0, high: 2 }], [1, { low: 5, high: 6 }], [2, { low: 3, high: 3 }]]));
    expect(tally.caughtUp).toBe(false);
    const letter = envelope({ stage: 'ingest', reason: 'missing required field: email', field: 'email' });
    tally.add(0, 0, letter);
    tally.add(0, 1, letter);
    expect(tally.caughtUp).toBe(false);
    tally.add(1, 5, envelope({ stage: 'outbox', reason: 'refused by the producer 3 times, the last time with: too large', field: null }));
    expect(tally.caughtUp).toBe(true);
    tally.add(1, 6, letter);
    expect(tally.entries()).toEqual([
      { key: { stage: 'ingest', reason: 'missing required field', field: 'email' }, count: 3 },
      { key: { stage: 'outbox', reason: 'refused by the producer N times, the last time with', field: 'none' }, count: 1 },
    ]);
  });

  test('an empty topic is whole from the start', () => {
    expect(new DeadLetterTally(new Map([[0, { low: 0, high: 0 }]])).caughtUp).toBe(true);
  });
});

describe('the figures served to Prometheus', () => {
  const store: StoreFigures = {
    users: { rows: 12, oldestAgeSeconds: 95.5 },
    rejectedRecords: { rows: 0, oldestAgeSeconds: 0 },
    ingestRuns: 3,
    fetched: 300,
    stored: 290,
    rejected: 10,
  };
  const batch: CommittedBatch = { batchId: 7, timestampMs: 1_700_000_000_000, offsets: new Map([['users_created', new Map([[0, 80], [1, 50]])]]) };
  const ends: Record<string, TopicEnds> = {
    users_created: new Map([[0, { low: 0, high: 100 }], [1, { low: 0, high: 50 }]]),
    'users_created.dlq': new Map([[0, { low: 0, high: 3 }]]),
  };
  /** Fake sources: the figures above, or a failure for the sources named in `failing`. */
  const sources = (failing: string[] = []): FigureSources => ({
    store: () => (failing.includes('postgres') ? Promise.reject(new Error('connection refused')) : Promise.resolve(store)),
    topicEnds: (topic) => (failing.includes('kafka') ? Promise.reject(new Error('no broker')) : Promise.resolve(ends[topic])),
    committedBatch: () => (failing.includes('checkpoint') ? Promise.reject(new Error('EACCES')) : Promise.resolve(batch)),
  });
  const topics = { topic: 'users_created', dlqTopic: 'users_created.dlq' };
  const tally = new DeadLetterTally(new Map([[0, { low: 0, high: 3 }]]));
  tally.add(0, 0, envelope({ stage: 'stream', reason: 'missing required field: email', field: 'email' }));
  tally.add(0, 1, envelope({ stage: 'stream', reason: 'missing required field: email', field: 'email' }));
  tally.add(0, 2, envelope({ stage: 'ingest', reason: 'id is not a UUID', field: 'id' }));

  const collect = async (failing: string[], deadLetters: DeadLetterTally | undefined) => {
    const logged: string[] = [];
    const text = renderMetrics(await collectFigures(sources(failing), topics, deadLetters, { timeoutMs: 1000, log: (m) => logged.push(m) }));
    return { lines: text.split('\n').filter((l) => l !== '' && !l.startsWith('#')), logged };
  };

  test('every source read: outbox, ingest, offsets, lag, the last batch and the dead letters', async () => {
    const { lines } = await collect([], tally);
    expect(lines).toEqual(expect.arrayContaining([
      'pipeline_source_up{source="postgres"} 1',
      'pipeline_source_up{source="kafka"} 1',
      'pipeline_source_up{source="checkpoint"} 1',
      'pipeline_outbox_rows{table="users"} 12',
      'pipeline_outbox_oldest_age_seconds{table="users"} 95.5',
      'pipeline_outbox_rows{table="rejected_records"} 0',
      'pipeline_ingest_runs_total 3',
      'pipeline_ingest_records_total{outcome="fetched"} 300',
      'pipeline_ingest_records_total{outcome="stored"} 290',
      'pipeline_ingest_records_total{outcome="rejected"} 10',
      'pipeline_topic_end_offset{topic="users_created",role="users",partition="0"} 100',
      'pipeline_topic_end_offset{topic="users_created.dlq",role="dead-letters",partition="0"} 3',
      'pipeline_stream_committed_offset{topic="users_created",partition="0"} 80',
      'pipeline_stream_lag_records{topic="users_created",partition="0"} 20',
      'pipeline_stream_lag_records{topic="users_created",partition="1"} 0',
      'pipeline_stream_last_batch_id 7',
      'pipeline_stream_last_batch_timestamp_seconds 1700000000',
      'pipeline_dead_letters_counted 1',
      'pipeline_dead_letters_total{stage="ingest",reason="id is not a UUID",field="id"} 1',
      'pipeline_dead_letters_total{stage="stream",reason="missing required field",field="email"} 2',
    ]));
  });

  test('a failing source is down and leaves out only its own figures, naming why in the log', async () => {
    const { lines, logged } = await collect(['postgres'], tally);
    expect(lines).toContain('pipeline_source_up{source="postgres"} 0');
    expect(lines.some((l) => l.startsWith('pipeline_outbox_rows'))).toBe(false);
    expect(lines).toContain('pipeline_stream_lag_records{topic="users_created",partition="0"} 20');
    expect(logged).toEqual(['postgres: connection refused']);
  });

  test('without Kafka there is no lag; without the checkpoint neither, while the offsets stay', async () => {
    const kafkaDown = (await collect(['kafka'], tally)).lines;
    expect(kafkaDown).toContain('pipeline_source_up{source="kafka"} 0');
    expect(kafkaDown.some((l) => l.startsWith('pipeline_stream_lag_records') || l.startsWith('pipeline_topic_end_offset'))).toBe(false);
    const checkpointDown = (await collect(['checkpoint'], tally)).lines;
    expect(checkpointDown).toContain('pipeline_source_up{source="checkpoint"} 0');
    expect(checkpointDown.some((l) => l.startsWith('pipeline_stream_lag_records'))).toBe(false);
    expect(checkpointDown).toContain('pipeline_topic_end_offset{topic="users_created",role="users",partition="0"} 100');
  });

  test('a source that does not answer in time counts as down', async () => {
    const slow: FigureSources = { ...sources(), store: () => new Promise(() => undefined) };
    const logged: string[] = [];
    const families = await collectFigures(slow, topics, tally, { timeoutMs: 50, log: (m) => logged.push(m) });
    expect(renderMetrics(families)).toContain('pipeline_source_up{source="postgres"} 0');
    expect(logged).toEqual(['postgres: no answer in 50 ms']);
  });

  test('no committed batch yet: the lag counts from the earliest offsets, and there is no last batch', async () => {
    const fresh: FigureSources = { ...sources(), committedBatch: () => Promise.resolve(undefined) };
    const text = renderMetrics(await collectFigures(fresh, topics, tally, { timeoutMs: 1000, log: () => undefined }));
    expect(text).toContain('pipeline_source_up{source="checkpoint"} 1');
    expect(text).toContain('pipeline_stream_lag_records{topic="users_created",partition="0"} 100');
    expect(text).not.toContain('pipeline_stream_last_batch_id');
  });

  test('dead letters are left out while the count is partial', async () => {
    const partial = new DeadLetterTally(new Map([[0, { low: 0, high: 3 }]]));
    partial.add(0, 0, envelope({ stage: 'stream', reason: 'x', field: null }));
    for (const deadLetters of [partial, undefined]) {
      const { lines } = await collect([], deadLetters);
      expect(lines).toContain('pipeline_dead_letters_counted 0');
      expect(lines.some((l) => l.startsWith('pipeline_dead_letters_total'))).toBe(false);
    }
  });
});

describe("Prometheus' text format", () => {
  test('help, type, labels escaped, special values', () => {
    const text = renderMetrics([
      { name: 'a_total', help: 'A\\B\nC', type: 'counter', samples: [{ labels: { reason: 'say "hi"\\\n' }, value: 2 }] },
      { name: 'b', help: 'b', type: 'gauge', samples: [{ value: NaN }, { labels: { x: 'y' }, value: Infinity }] },
    ]);
    expect(text).toBe(
      '# HELP a_total A\\\\B\\nC\n# TYPE a_total counter\na_total{reason="say \\"hi\\"\\\\\\n"} 2\n' +
        '# HELP b b\n# TYPE b gauge\nb NaN\nb{x="y"} +Inf\n',
    );
  });

  test('a name or label Prometheus does not allow is an error naming it', () => {
    expect(() => renderMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow("metric name 'bad-name' is not allowed by Prometheus");
    expect(() => renderMetrics([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { __name__: 'x' }, value: 1 }] }])).toThrow(
      "ok: label name '__name__' is not allowed by Prometheus",
    );
  });
});
