/**
 * Faults on the deployed platform (issue: nothing lost under faults): a crashed Spark driver, a Kafka broker
 * stopped mid-publish, Cassandra down for 30 s, the publishing Airflow task killed. Each round must end with
 * exactly the valid users served so far in Cassandra, none missing and none twice, and verify agreeing.
 */
import { Kafka, logLevel } from 'kafkajs';
import { confluentHeader, latestSchemaId } from '../../ops/avro';
import { docker, PREFIX, waitFor } from '../../ops/deployment';
import { crash, DAG_ID, healthyAgain, PipelineDriver, type Round } from './pipeline-driver';

// Each fault round fetches FAULT_BATCH users (at least 1,000 valid) and must end with exactly the valid users
// served so far in Cassandra, verify agreeing. The e2e deployment caps micro-batches at 200 records, so a
// round streams over several triggers and a fault can land while the stream is part-way through.
const FAULT_BATCH = 1100;
// Bad records keep coming during the faults: they must still end up only in the dead-letter topic.
const BAD_EVERY = 50;

/** The fault tests, run on the shared deployment whose outputs `outputs()` gives once it is up. */
export function faultTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  const faultFigures: Record<string, unknown> = {};
  figures.faults = faultFigures;

  describe('faults: nothing lost, nothing duplicated', () => {
    let driver: PipelineDriver;
    beforeAll(async () => {
      driver = new PipelineDriver(outputs());
      await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 0, malformed: 0 });
    });

    test('the Spark job killed (SIGKILL) mid-stream resumes from its checkpoint', async () => {
      const round = await driver.startRound(FAULT_BATCH);
      expect(round.newValidIds.length).toBeGreaterThanOrEqual(1000);
      const restarts = Number(docker('inspect', '-f', '{{.RestartCount}}', `${PREFIX}-spark-job`));
      const atKill = await driver.partwayThrough(round);
      crash(`${PREFIX}-spark-job`);
      // Docker's restart policy, not the test, brings the driver back.
      await waitFor('the spark-job restart', 60 * 1000, () =>
        Number(docker('inspect', '-f', '{{.RestartCount}}', `${PREFIX}-spark-job`)) === restarts + 1 ? true : undefined, 500);
      await healthyAgain(`${PREFIX}-spark-job`);
      const delivered = await driver.expectDelivered(round, 'spark-job killed');
      faultFigures.sparkKill = { users: round.newValidIds.length, inCassandraAtKill: atKill - round.before, recoverySeconds: delivered.seconds };
    }, 20 * 60 * 1000);

    test('Kafka stopped mid-publish and started again: the outbox sends what was not acknowledged, nothing twice', async () => {
      const kafka = `${PREFIX}-kafka`;
      const { round } = await whilePublishHeld(driver, () => undefined);
      docker('stop', kafka);
      await new Promise((r) => setTimeout(r, 10000));
      docker('start', kafka);
      await healthyAgain(kafka);
      const delivered = await driver.expectDelivered(round, 'kafka stopped');
      await expectEachKeyOnce(driver, round.newValidIds);
      const publish = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
      faultFigures.kafkaStop = { users: round.newValidIds.length, publishTries: publish.try_number, recoverySeconds: delivered.seconds };
    }, 20 * 60 * 1000);

    test('Cassandra stopped for 30 s mid-stream and started again', async () => {
      const cassandra = `${PREFIX}-cassandra`;
      const round = await driver.startRound(FAULT_BATCH);
      const atStop = await driver.partwayThrough(round);
      const stopped = Date.now();
      docker('stop', cassandra);
      await new Promise((r) => setTimeout(r, Math.max(0, 30000 - (Date.now() - stopped))));
      docker('start', cassandra);
      const downSeconds = (Date.now() - stopped) / 1000;
      await healthyAgain(cassandra);
      const delivered = await driver.expectDelivered(round, 'cassandra stopped');
      faultFigures.cassandraStop = { users: round.newValidIds.length, inCassandraAtStop: atStop - round.before, downSeconds, recoverySeconds: delivered.seconds };
    }, 20 * 60 * 1000);

    test('the Airflow task publishing to Kafka killed mid-run is retried and delivers', async () => {
      // LocalExecutor runs each task in a child process titled `airflow worker -- <task instance id>`.
      const { round, result: killed } = await whilePublishHeld(driver, async (taskInstanceId) => {
        const processLine = await waitFor('the publish_outbox process', 60 * 1000, () =>
          docker('top', `${PREFIX}-airflow-scheduler`, '-eo', 'pid,args').split('\n').find((line) => line.trim().endsWith(`airflow worker -- ${taskInstanceId}`)), 250);
        process.kill(Number(processLine.trim().split(/\s+/)[0]), 'SIGKILL');
        return processLine.trim();
      });
      const afterKill = await waitFor('the killed attempt to end', 2 * 60 * 1000, async () => {
        const t = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
        return t.state === 'failed' || t.state === 'up_for_retry' || t.try_number > 1 ? t : undefined;
      }, 500);
      expect(await driver.airflow.taskLog(DAG_ID, round.runId, 'publish_outbox', 1)).toContain('SIGKILL');
      // Airflow 3.0's task supervisor fails a signal-killed task without its retries (apache/airflow#55753,
      // fixed in 3.1): the retry is then the operator's clear, which the outbox makes safe to repeat.
      const retriedBy = afterKill.state === 'failed' ? 'clear' : 'retries';
      if (retriedBy === 'clear') await driver.airflow.clearFailedTask(DAG_ID, round.runId, 'publish_outbox');
      const delivered = await driver.expectDelivered(round, 'publish task killed');
      const publish = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
      expect(publish.try_number).toBeGreaterThanOrEqual(2);
      await expectEachKeyOnce(driver, round.newValidIds);
      faultFigures.publishKill = { users: round.newValidIds.length, killed, retriedBy, publishTries: publish.try_number, recoverySeconds: delivered.seconds };
    }, 20 * 60 * 1000);
  });

  describe('bad input: each answered by a message naming the problem, nothing else lost', () => {
    let driver: PipelineDriver;
    beforeAll(() => {
      driver = new PipelineDriver(outputs());
    });

    test('the API answering 5xx, then malformed JSON, then recovering; records missing fields rejected by name', async () => {
      // Two 5xx are retried inside the task; the malformed body fails the try, and the task's retry recovers.
      await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 2, malformed: 1 });
      const round = await driver.startRound(FAULT_BATCH);
      const fetch = await driver.airflow.taskInstance(DAG_ID, round.runId, 'fetch_and_store');
      expect(fetch.try_number).toBe(2);
      const firstTry = await driver.airflow.taskLog(DAG_ID, round.runId, 'fetch_and_store', 1);
      expect(firstTry).toMatch(/attempt 1 failed \(HTTP 5\d\d\); retrying/);
      expect(firstTry).toMatch(/attempt 2 failed \(HTTP 5\d\d\); retrying/);
      expect(firstTry).toContain('returned malformed JSON');
      const secondTry = await driver.airflow.taskLog(DAG_ID, round.runId, 'fetch_and_store', 2);
      expect(secondTry).toMatch(/rejected record [0-9a-f]{64}: field=\w+ reason=missing [\w.]+/);
      await driver.expectDelivered(round, 'api 5xx and malformed json');
      const served = await driver.sourceControl();
      expect({ failures5xx: served.failures5xx >= 2, malformed: served.malformed >= 1 }).toEqual({ failures5xx: true, malformed: true });
    }, 20 * 60 * 1000);

    test('Kafka records that do not match the schema go to the dead-letter topic with the reason', async () => {
      const schemaId = await latestSchemaId(outputs().schema_registry_url);
      const bad: [string, Buffer][] = [
        ['value shorter than the 5-byte Confluent header', Buffer.from([0, 1])],
        ['wrong magic byte', Buffer.from(JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', first_name: 'Plain JSON' }))],
        ['unknown schema id', Buffer.concat([confluentHeader(schemaId + 1000), Buffer.from('anything')])],
        ['undecodable Avro', Buffer.concat([confluentHeader(schemaId), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])],
      ];
      const before = (await driver.cassandraIds()).length;
      const kafka = new Kafka({ brokers: [outputs().kafka_bootstrap_servers], logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      const sent = new Map<string, string>();
      try {
        for (const [reason, value] of bad) {
          const [meta] = await producer.send({ topic: 'users_created', messages: [{ key: `bad-${reason}`, value }] });
          sent.set(`${meta.partition}:${meta.baseOffset}`, reason);
        }
      } finally {
        await producer.disconnect();
      }
      const found = await waitFor('the bad records in the dead-letter topic', 3 * 60 * 1000, async () => {
        const dead = (await driver.readTopic('users_created.dlq'))
          .map((m) => JSON.parse(m.value!.toString()))
          .filter((d) => d.stage === 'stream' && d.source?.topic === 'users_created' && sent.has(`${d.source.partition}:${d.source.offset}`));
        return dead.length >= sent.size ? dead : undefined;
      }, 3000);
      const reasons = Object.fromEntries(found.map((d) => [`${d.source.partition}:${d.source.offset}`, d.reason]));
      expect(reasons).toEqual(Object.fromEntries(sent));
      expect((await driver.cassandraIds()).length).toBe(before);
      await driver.verify('schema mismatch', before);
    }, 10 * 60 * 1000);
  });
}

/**
 * Starts a round with the broker frozen: publish_outbox starts sending but nothing is acknowledged, which
 * pins a fault inside the publish instead of racing a sub-second task. `during` runs 2 s into that wait,
 * with the task instance's id; the broker is thawed after it, whatever happens.
 */
async function whilePublishHeld<T>(driver: PipelineDriver, during: (taskInstanceId: string) => T | Promise<T>): Promise<{ round: Round; result: T }> {
  const kafka = `${PREFIX}-kafka`;
  docker('pause', kafka);
  try {
    const round = await driver.startRound(FAULT_BATCH);
    const ti = await waitFor('publish_outbox running', 2 * 60 * 1000, async () => {
      const t = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
      return t.state === 'running' ? t : undefined;
    }, 250);
    await new Promise((r) => setTimeout(r, 2000));
    return { round, result: await during(ti.id) };
  } finally {
    docker('unpause', kafka);
  }
}

/** Each id is the key of exactly one message in the users topic: none missing, none twice. */
async function expectEachKeyOnce(driver: PipelineDriver, ids: string[]): Promise<void> {
  const counts = await driver.keyCounts('users_created', ids);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = [...counts].filter(([, n]) => n === 0).map(([id]) => id);
  expect({ twice, missing }).toEqual({ twice: [], missing: [] });
}
