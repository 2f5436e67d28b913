/**
 * Faults on the deployed platform (issue: nothing lost under faults): a crashed Spark driver, the Kafka broker
 * killed and the publishing Airflow task killed while acknowledged records wait to be marked, Cassandra down
 * for 30 s. Each round must end with exactly the valid users served so far in Cassandra (every one once, none
 * missing) and verify agreeing. The outbox is at-least-once, so the publish faults count the users the topic
 * holds twice and report them instead of asserting none.
 */
import { hostKafka } from '../../ops/host-kafka';
import { confluentHeader, latestSchemaId, registryUrl } from '../../ops/avro';
import { docker, PREFIX, waitFor } from '../../ops/deployment';
import { crash, DAG_ID, healthyAgain, PipelineDriver, type Round } from './pipeline-driver';

// Each fault round fetches FAULT_BATCH users (at least 1,000 valid) and must end with exactly the valid users
// served so far in Cassandra, verify agreeing. The e2e deployment caps micro-batches at 200 records, so a
// round streams over several triggers and a fault can land while the stream is part-way through. The outbox
// publishes 500 rows a transaction, so a publish fault round has three batches of users.
const FAULT_BATCH = 1100;
// Bad records keep coming during the faults: they must still end up only in the dead-letter topic.
const BAD_EVERY = 50;
// The publish faults' window: the DAG's outbox_hold_seconds test hook keeps each acknowledged batch unmarked
// this long, ample for the host to see the topic's end offsets rise and strike.
const HOLD_SECONDS = 15;
const USERS_TOPIC = 'users_created';

/** The fault tests, run on the shared deployment whose outputs `outputs()` gives once it is up. */
export function faultTests(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  const faultFigures: Record<string, unknown> = {};
  figures.faults = faultFigures;

  describe('faults: nothing lost, every valid user once in Cassandra', () => {
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

    test('Kafka killed (SIGKILL) after acknowledging records the outbox has not marked, started again 10 s later', async () => {
      const kafka = `${PREFIX}-kafka`;
      const { round, strike } = await strikeWhileUnmarked(driver, outputs(), () => {
        // SIGKILL: no clean shutdown. Docker counts it as a manual stop, so the broker stays down until started.
        docker('kill', kafka);
      });
      await new Promise((r) => setTimeout(r, 10000));
      docker('start', kafka);
      await healthyAgain(kafka);
      const delivered = await driver.expectDelivered(round, 'kafka killed');
      const topic = await topicCopies(driver, round.newValidIds);
      expect(topic.missing).toEqual([]);
      const publish = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
      faultFigures.kafkaKill = {
        users: round.newValidIds.length, ...strike, usersTwiceInTopic: topic.twice, extraCopiesInTopic: topic.extra,
        publishTries: publish.try_number, recoverySeconds: delivered.seconds,
      };
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

    test('the publishing Airflow task killed (SIGKILL) after the broker acknowledged records it has not marked is retried by Airflow and delivers', async () => {
      // LocalExecutor runs each task in a child process titled `airflow worker -- <task instance id>`.
      const { round, strike, result: killed } = await strikeWhileUnmarked(driver, outputs(), async (struck) => {
        const ti = await driver.airflow.taskInstance(DAG_ID, struck.runId, 'publish_outbox');
        const processLine = docker('top', `${PREFIX}-airflow-scheduler`, '-eo', 'pid,args').split('\n').find((line) => line.trim().endsWith(`airflow worker -- ${ti.id}`));
        if (!processLine) throw new Error(`no process of publish_outbox try ${ti.try_number} (${ti.id}, ${ti.state}) in the scheduler`);
        process.kill(Number(processLine.trim().split(/\s+/)[0]), 'SIGKILL');
        return processLine.trim();
      });
      // Airflow, not the test, runs the next try (task-sdk 1.1.2+ retries a task killed by a signal).
      const afterKill = await waitFor('the killed try to end', 2 * 60 * 1000, async () => {
        const t = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
        return t.state === 'failed' || t.state === 'up_for_retry' || t.try_number > 1 ? t : undefined;
      }, 500);
      expect({ state: afterKill.state }).not.toEqual({ state: 'failed' });
      expect(await driver.airflow.taskLog(DAG_ID, round.runId, 'publish_outbox', 1)).toContain('SIGKILL');
      const delivered = await driver.expectDelivered(round, 'publish task killed');
      const publish = await driver.airflow.taskInstance(DAG_ID, round.runId, 'publish_outbox');
      expect(publish.try_number).toBe(2);
      // The killed try's transaction rolled back, so try 2 sent again every record the broker had acknowledged.
      const topic = await topicCopies(driver, round.newValidIds);
      expect(topic.missing).toEqual([]);
      expect(topic.extra).toBeGreaterThanOrEqual(strike.acknowledgedAtStrike);
      faultFigures.publishKill = {
        users: round.newValidIds.length, killed, ...strike, usersTwiceInTopic: topic.twice, extraCopiesInTopic: topic.extra,
        stateAfterKill: afterKill.state, publishTries: publish.try_number, recoverySeconds: delivered.seconds,
      };
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
      const schemaId = await latestSchemaId(registryUrl(outputs()));
      const bad: [string, Buffer][] = [
        ['value shorter than the 5-byte Confluent header', Buffer.from([0, 1])],
        ['wrong magic byte', Buffer.from(JSON.stringify({ id: '00000000-0000-4000-8000-000000000001', first_name: 'Plain JSON' }))],
        ['unknown schema id', Buffer.concat([confluentHeader(schemaId + 1000), Buffer.from('anything')])],
        ['undecodable Avro', Buffer.concat([confluentHeader(schemaId), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])])],
      ];
      const before = (await driver.cassandraIds()).length;
      const kafka = hostKafka(outputs(), 'producer');
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

/** What a publish fault found when it struck. */
interface Strike {
  /** Records of the round in the users topic (acknowledged by the broker) when the fault struck. */
  readonly acknowledgedAtStrike: number;
  /** Users of the round the outbox had marked published right after the strike (0: inside the window). */
  readonly markedAtStrike: number;
  /** Seconds from the first acknowledged record seen to the strike. */
  readonly secondsToStrike: number;
}

/**
 * Starts a round whose publish_outbox holds each acknowledged batch HOLD_SECONDS before marking it, watches
 * the users topic's end offsets from the host and strikes as soon as they rise: the broker then holds records
 * of the round that the outbox has not marked. Asserts that the strike landed there: records acknowledged,
 * none of the round's users marked.
 */
async function strikeWhileUnmarked<T>(
  driver: PipelineDriver,
  outputs: Record<string, string>,
  strike: (round: Round) => T | Promise<T>,
): Promise<{ round: Round; strike: Strike; result: T }> {
  const admin = hostKafka(outputs, 'monitoring').admin();
  await admin.connect();
  let round: Round;
  let risen: number;
  try {
    const endOffset = async () => (await admin.fetchTopicOffsets(USERS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0);
    const before = await endOffset();
    round = await driver.startRound(FAULT_BATCH, { outbox_hold_seconds: HOLD_SECONDS });
    risen = await waitFor('the users topic to receive records of the round', 2 * 60 * 1000, async () => {
      const end = await endOffset();
      return end > before ? end - before : undefined;
    }, 100);
  } finally {
    await admin.disconnect();
  }
  const seen = Date.now();
  const result = await strike(round);
  const secondsToStrike = (Date.now() - seen) / 1000;
  const markedAtStrike = await publishedCount(driver, round.newValidIds);
  expect({ acknowledged: risen > 0, markedAtStrike, inTime: secondsToStrike < HOLD_SECONDS }).toEqual({ acknowledged: true, markedAtStrike: 0, inTime: true });
  return { round, strike: { acknowledgedAtStrike: risen, markedAtStrike, secondsToStrike }, result };
}

/** How many of the users the outbox marked published. */
async function publishedCount(driver: PipelineDriver, ids: string[]): Promise<number> {
  return driver.withPostgres(async (pg) =>
    (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE id = ANY($1::uuid[]) AND published_at IS NOT NULL', [ids])).rows[0].n);
}

/** How the ids occur as keys in the users topic: those missing, how many are there more than once, and the extra copies. */
async function topicCopies(driver: PipelineDriver, ids: string[]): Promise<{ missing: string[]; twice: number; extra: number }> {
  const counts = [...(await driver.keyCounts(USERS_TOPIC, ids))];
  return {
    missing: counts.filter(([, n]) => n === 0).map(([id]) => id),
    twice: counts.filter(([, n]) => n > 1).length,
    extra: counts.reduce((sum, [, n]) => sum + Math.max(0, n - 1), 0),
  };
}
