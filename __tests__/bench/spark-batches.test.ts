import { batchProfile, parseSparkBatches } from '../../bench/spark-batches';

const progress = (batchId: number, rows: number, addBatch: number, trigger: number) => `26/12/01 01:02:01 INFO MicroBatchExecution: Streaming query made progress: {
  "id" : "057725cf",
  "name" : "users_to_cassandra",
  "timestamp" : "2026-12-01T01:01:5${batchId}.000Z",
  "batchId" : ${batchId},
  "numInputRows" : ${rows},
  "durationMs" : {
    "addBatch" : ${addBatch},
    "triggerExecution" : ${trigger}
  },
  "sources" : [ { "description" : "KafkaV2[Subscribe[users_created]]", "startOffset" : { "users_created" : { "0" : 1 } } } ],
  "sink" : { "description" : "ForeachBatchSink" }
}
`;
const phases = (batchId: number, rows: number, newIds: number, deadLetters: number) =>
  `2026-12-01 01:02:01,100 INFO stream_users: batch ${batchId} written (schema ids [1], 2 dead letters) in ${rows + newIds + deadLetters} ms: rows ${rows} ms, new schema ids ${newIds} ms, dead letters ${deadLetters} ms\n`;

describe("the Spark job's micro-batches from the driver's log", () => {
  const log = [
    'noise before\n',
    phases(1, 500, 100, 200),
    progress(1, 1000, 820, 900),
    progress(2, 0, 5, 20),
    phases(3, 300, 0, 0),
    progress(3, 3000, 360, 400),
    // The log read ends inside a report: it is left out, not misread.
    '26/12/01 01:02:09 INFO MicroBatchExecution: Streaming query made progress: {\n  "batchId" : 4,\n',
  ].join('');

  test('each progress report (pretty-printed over many lines) joined with the job\'s phase line of the same batch', () => {
    const batches = parseSparkBatches(log);
    expect(batches.map((b) => [b.batchId, b.rows, b.durationMs.addBatch])).toEqual([
      [1, 1000, 820],
      [2, 0, 5],
      [3, 3000, 360],
    ]);
    expect(batches[0].phasesMs).toEqual({ rows: 500, 'new schema ids': 100, 'dead letters': 200 });
    expect(batches[1].phasesMs).toBeUndefined();
    expect(batches[0].startedMs).toBe(Date.parse('2026-12-01T01:01:51.000Z'));
  });

  test('the profile counts only batches that carried rows: medians of addBatch and phases, ms per 1,000 rows overall', () => {
    const profile = batchProfile(parseSparkBatches(log))!;
    expect(profile.batches).toBe(2);
    expect(profile.addBatchMs).toMatchObject({ min: 360, median: 590, max: 820 });
    expect(profile.triggerMs.median).toBe(650);
    expect(profile.addBatchMsPer1000Rows).toBeCloseTo(((820 + 360) / 4000) * 1000);
    expect(profile.phasesMs['dead letters']).toMatchObject({ min: 0, max: 200 });
  });

  test('no batch with rows: no profile', () => {
    expect(batchProfile(parseSparkBatches(progress(2, 0, 5, 20)))).toBeUndefined();
    expect(batchProfile([])).toBeUndefined();
  });
});
