import { consumerLag, deadLettersByReason, hostPipelineEnv, latestBatch, parseOffsetLog, reasonKey } from '../../ops/pipeline-status';

// An offsets/N file as Spark 3.5 writes it: version, batch metadata, then one line per source.
const OFFSET_LOG = [
  'v1',
  '{"batchWatermarkMs":0,"batchTimestampMs":1764590400000,"conf":{"spark.sql.streaming.stateStore.providerClass":"org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider","spark.sql.shuffle.partitions":"200"}}',
  '{"users_created":{"2":412,"1":398,"0":440}}',
].join('\n');

describe("the Spark job's lag, from its checkpoint and the topic's end offsets", () => {
  test('latestBatch: the highest numbered file of commits/, ignoring anything else', () => {
    expect(latestBatch('0\n1\n10\n9\n.9.crc\n')).toBe(10);
    expect(latestBatch('')).toBeUndefined();
  });

  test("parseOffsetLog: the topic's offsets per partition", () => {
    expect(parseOffsetLog(OFFSET_LOG, 'users_created')).toEqual(new Map([[2, 412], [1, 398], [0, 440]]));
    expect(() => parseOffsetLog(OFFSET_LOG, 'other_topic')).toThrow("the offset log has no offsets of topic 'other_topic'");
    expect(() => parseOffsetLog('<html>', 'users_created')).toThrow("not a Spark offset log: it begins '<html>'");
  });

  test('lag = end offset minus the committed offset, per partition, summed', () => {
    const ends = [{ partition: 1, low: 0, high: 398 }, { partition: 0, low: 0, high: 450 }, { partition: 2, low: 0, high: 420 }];
    expect(consumerLag('users_created', ends, 57, parseOffsetLog(OFFSET_LOG, 'users_created'))).toEqual({
      topic: 'users_created',
      records: 18,
      batch: 57,
      partitions: [
        { partition: 0, end: 450, done: 440, lag: 10 },
        { partition: 1, end: 398, done: 398, lag: 0 },
        { partition: 2, end: 420, done: 412, lag: 8 },
      ],
    });
  });

  test('before the first committed batch every record counts, from the first offset still in the topic', () => {
    const lag = consumerLag('users_created', [{ partition: 0, low: 100, high: 250 }], undefined, new Map());
    expect(lag).toMatchObject({ records: 150, batch: null });
  });

  test('a partition missing from the checkpoint counts whole; offsets below retention do not count; never negative', () => {
    const ends = [{ partition: 0, low: 500, high: 600 }, { partition: 1, low: 0, high: 40 }, { partition: 2, low: 0, high: 10 }];
    // Partition 0's checkpoint offset fell out of retention, partition 2 was read past an end read before it.
    const lag = consumerLag('users_created', ends, 3, new Map([[0, 20], [2, 12]]));
    expect(lag.partitions.map((p) => p.lag)).toEqual([100, 40, 0]);
    expect(lag.records).toBe(140);
  });
});

describe('dead letters by reason', () => {
  test('reasonKey: the reason without its particulars (the field, a value, a number)', () => {
    expect(reasonKey('missing or empty required field: email')).toBe('missing or empty required field');
    expect(reasonKey("login.uuid is not a UUID: 'x'")).toBe('login.uuid is not a UUID');
    expect(reasonKey('email contains a NUL character, at character 12')).toBe('email contains a NUL character, at character N');
    expect(reasonKey('refused by the producer 3 times, the last time with: KafkaError{MSG_SIZE_TOO_LARGE}')).toBe('refused by the producer N times, the last time with');
    expect(reasonKey(undefined)).toBe('(no reason)');
  });

  test('counted per stage and reason, the most frequent first; a message that is no envelope is counted too', () => {
    const letters = [
      { stage: 'ingest', reason: 'missing email' },
      { stage: 'stream', reason: 'wrong magic byte' },
      { stage: 'ingest', reason: 'missing email' },
      { stage: 'stream', reason: 'missing or empty required field: email' },
      { stage: 'stream', reason: 'missing or empty required field: phone' },
      undefined,
      { stage: 42, reason: 'odd' },
    ];
    expect(deadLettersByReason(letters)).toEqual([
      { stage: 'ingest', reason: 'missing email', count: 2 },
      { stage: 'stream', reason: 'missing or empty required field', count: 2 },
      { stage: 'stream', reason: 'wrong magic byte', count: 1 },
      { stage: 'unknown', reason: '(not a dead-letter envelope)', count: 1 },
      { stage: 'unknown', reason: 'odd', count: 1 },
    ]);
  });
});

test("hostPipelineEnv: the stack's outputs as the host-side jobs' variables, leaving out what the stack does not output", () => {
  expect(hostPipelineEnv({ postgres_dsn: 'postgresql://u:p@127.0.0.1:5432/pipeline', kafka_bootstrap_servers: '127.0.0.1:9092', airflow_url: 'http://x' })).toEqual({
    PIPELINE_PG_DSN: 'postgresql://u:p@127.0.0.1:5432/pipeline',
    PIPELINE_KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092',
  });
});

test('hostPipelineEnv: Cassandra with the read-only role of the outputs, not the pipeline role that writes', () => {
  expect(hostPipelineEnv({ cassandra_user: 'pipeline', cassandra_password: 'w', cassandra_monitoring_user: 'monitoring', cassandra_monitoring_password: 'r' })).toEqual({
    PIPELINE_CASSANDRA_USERNAME: 'monitoring',
    PIPELINE_CASSANDRA_PASSWORD: 'r',
  });
});

test("hostPipelineEnv: every node's contact point, the datacenter and the pipeline's consistency level, so verify and the status read as the pipeline does", () => {
  expect(hostPipelineEnv({ cassandra_contact_point: '127.0.0.1:9042,127.0.0.1:9043', cassandra_datacenter: 'datacenter1', cassandra_consistency: 'LOCAL_QUORUM' })).toEqual({
    PIPELINE_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042,127.0.0.1:9043',
    PIPELINE_CASSANDRA_DATACENTER: 'datacenter1',
    PIPELINE_CASSANDRA_CONSISTENCY: 'LOCAL_QUORUM',
  });
});

test('hostPipelineEnv: Kafka with the read-only user of the outputs, not the producer or the admin', () => {
  expect(hostPipelineEnv({
    kafka_producer_user: 'producer', kafka_producer_password: 'w', kafka_monitoring_user: 'monitoring', kafka_monitoring_password: 'r',
    kafka_admin_user: 'admin', kafka_admin_password: 'a',
  })).toEqual({ PIPELINE_KAFKA_USERNAME: 'monitoring', PIPELINE_KAFKA_PASSWORD: 'r' });
});
