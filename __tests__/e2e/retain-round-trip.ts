/**
 * Keep the data across destroy and deploy (issue "Day two"): the suite deploys with retainVolumes
 * (KP_RETAIN_VOLUMES=true in scripts/e2e.sh). With a round of users still streaming into Cassandra and
 * Airflow holding an encrypted connection and variable, `cdktf destroy` must leave every volume and nothing
 * else, and `cdktf deploy` must bring the stack back with new generated passwords that PostgreSQL and
 * Airflow take over, the old ones refused; every user still in PostgreSQL and, once the Spark job resumed
 * from its checkpoint, in Cassandra, none twice; Kafka's topics, offsets and cluster unchanged; Airflow's
 * stored secrets readable; then a new round through the whole pipeline, ending with exactly the valid users
 * in Cassandra and verify --expect agreeing.
 */
import { randomUUID } from 'crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { latestSchemaId } from '../../ops/avro';
import { deployWatched, destroy, docker, leftovers, PREFIX, stackOutputs } from '../../ops/deployment';
import { AirflowApi } from './airflow-api';
import { DAG_ID, PipelineDriver } from './pipeline-driver';

// A round big enough to still be streaming when destroy reaches the Spark job: the e2e deployment streams at
// most 200 records per 5 s micro-batch, so 4,000 users take over a minute after the DAG run has published them.
const ROUND_USERS = 4000;
const NEXT_ROUND_USERS = 1100;
const BAD_EVERY = 50;
const TOPICS = ['users_created', 'users_created.dlq'];
const CONSUMER_GROUP = 'e2e-retain-round-trip';
const AIRFLOW_ITEM = 'e2e_retain_round_trip';
const CHECKPOINTS_VOLUME = `${PREFIX}-spark-checkpoints`;
const TABLE = 'spark_streams.created_users';

/** What the round trip reads from and gives back to the suite it runs in. */
export interface RoundTripSuite {
  /** The stack's outputs as the deploy so far left them. */
  outputs(): Record<string, string>;
  /** Hands the new deploy's outputs (new passwords) to the tests that follow. */
  redeployed(outputs: Record<string, string>): void;
  /** The stack's health-checked containers and its one-shot containers. */
  readonly services: readonly string[];
  readonly oneShots: readonly string[];
}

interface KafkaState {
  clusterId: string;
  topics: Record<string, { partition: number; low: string; high: string }[]>;
  group: { partition: number; offset: string }[];
}

export function retainRoundTripTest(suite: RoundTripSuite, figures: Record<string, unknown>): void {
  test('retainVolumes: cdktf destroy then deploy keeps every user, Kafka, Airflow\'s stored secrets; new passwords work, old ones not; the Spark job resumes from its checkpoint', async () => {
    const before = suite.outputs();
    const driver = new PipelineDriver(before);
    const containers = [...suite.services, ...suite.oneShots];
    await driver.sourceControl({ badEvery: BAD_EVERY, fail5xx: 0, malformed: 0 });

    // GIVEN Airflow holding secrets encrypted with its Fernet key, a consumer group with committed offsets,
    // and a round of users published to Kafka but still streaming into Cassandra.
    // Three values: Airflow masks every value it knows as a password wherever it shows up again.
    const [password, marker, value] = [randomUUID(), randomUUID(), randomUUID()];
    await driver.airflow.request('POST', '/api/v2/connections', {
      connection_id: AIRFLOW_ITEM, conn_type: 'generic', host: 'example.invalid', login: 'e2e', password, extra: JSON.stringify({ marker }),
    });
    const variable = await driver.airflow.request<{ is_encrypted: boolean }>('POST', '/api/v2/variables', { key: AIRFLOW_ITEM, value });
    expect(variable.is_encrypted).toBe(true);
    await commitGroupOffsets(before.kafka_bootstrap_servers);
    const round = await driver.startRound(ROUND_USERS);
    expect(await driver.airflow.runEnd(DAG_ID, round.runId)).toBe('success');

    const servedBefore = await driver.validUsers();
    const kafkaBefore = await kafkaState(before.kafka_bootstrap_servers);
    const pgBefore = await pgIds(before.postgres_dsn);
    const schemaIdBefore = await latestSchemaId(before.schema_registry_url);
    const containerIds = new Map(containers.map((name) => [name, docker('inspect', '-f', '{{.Id}}', name)]));
    const volumes = leftovers([]).volumes.sort();
    const sparkImage = docker('inspect', '-f', '{{.Image}}', `${PREFIX}-spark-job`);
    const checkpointDirectory = containerEnv(`${PREFIX}-spark-job`).PIPELINE_CHECKPOINT_DIR;
    const inCassandraAtDestroy = (await driver.cassandraIds()).length;
    expect({ streaming: inCassandraAtDestroy < round.target }).toEqual({ streaming: true });

    // WHEN the stack is destroyed: nothing of it runs, every volume stays.
    const destroyStarted = Date.now();
    const destroySeconds = await destroy('retain-destroy');
    const destroyEnded = Date.now();
    const left = leftovers(containers);
    expect({ ...left, volumes: left.volumes.sort() }).toEqual({ containers: [], networks: [], volumes });
    // Read from the kept volume while nothing of the stack runs, with the Spark image kept on the host.
    const batchesAtDestroy = committedBatches(['run', '--rm', '--entrypoint', 'ls', '-v', `${CHECKPOINTS_VOLUME}:/checkpoints`, sparkImage], checkpointDirectory);
    expect(batchesAtDestroy.length).toBeGreaterThan(0);

    // AND deployed again.
    const { seconds: deploySeconds, watcher } = await deployWatched('retain-deploy');
    const deployEnded = Date.now();
    const after = stackOutputs();
    suite.redeployed(after);

    // THEN every service is back healthy, every container a new one (the data below shows they use the kept volumes).
    for (const name of suite.services) expect({ name, health: docker('inspect', '-f', '{{.State.Health.Status}}', name) }).toEqual({ name, health: 'healthy' });
    for (const name of suite.oneShots) expect({ name, exit: docker('inspect', '-f', '{{.State.ExitCode}}', name) }).toEqual({ name, exit: '0' });
    const replaced = containers.filter((name) => docker('inspect', '-f', '{{.Id}}', name) !== containerIds.get(name));
    expect(replaced).toEqual(containers);

    // The deploy generated new passwords; they work and the old ones no longer do.
    expect(after.airflow_admin_password).not.toBe(before.airflow_admin_password);
    expect(new URL(after.postgres_dsn).password).not.toBe(new URL(before.postgres_dsn).password);
    await expect(pgIds(before.postgres_dsn)).rejects.toThrow(/password authentication failed/);
    expect(await pgIds(after.postgres_dsn)).toEqual(pgBefore);
    await expect(new AirflowApi(after.airflow_url, after.airflow_admin_user, before.airflow_admin_password).request('GET', '/api/v2/version')).rejects.toThrow(/answered 401/);
    const resumed = new PipelineDriver(after, servedBefore);

    // Airflow decrypts what it stored before, and kept its history.
    const storedVariable = await resumed.airflow.request<{ value: string }>('GET', `/api/v2/variables/${AIRFLOW_ITEM}`);
    expect(storedVariable.value).toBe(value);
    const connection = await resumed.airflow.request<{ password: string | null; extra: string }>('GET', `/api/v2/connections/${AIRFLOW_ITEM}`);
    expect({ password: connection.password, extra: JSON.parse(connection.extra) as unknown }).toEqual({ password: '***', extra: { marker } });
    expect(await resumed.airflow.runState(DAG_ID, round.runId)).toBe('success');

    // Kafka: the same cluster, topics, offsets and committed group offsets; the schema under the same id.
    expect(await kafkaState(after.kafka_bootstrap_servers)).toEqual(kafkaBefore);
    expect(await latestSchemaId(after.schema_registry_url)).toBe(schemaIdBefore);

    // The round in flight lands: exactly the valid users served, none twice in Kafka, verify agreeing.
    await resumed.expectDelivered(round, 'retain round trip');
    const keys = await resumed.keyCounts('users_created', round.newValidIds);
    expect([...keys].filter(([, n]) => n !== 1)).toEqual([]);

    // From its checkpoint: the Spark job's batches go on from the last one committed before destroy.
    const lastBefore = Math.max(...batchesAtDestroy);
    const newBatches = committedBatches(['exec', `${PREFIX}-spark-job`, 'ls'], checkpointDirectory).filter((b) => b > lastBefore);
    expect(newBatches.length).toBeGreaterThan(0);
    expect(Math.min(...newBatches)).toBe(lastBefore + 1);

    // How long the stream stood still: Cassandra's write times around the round trip.
    const writeTimes = await resumed.withCassandra(async (c) =>
      (await c.execute(`SELECT WRITETIME(email) AS t FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows.map((r) => Number(String(r.t)) / 1000));
    const lastWrite = Math.max(...writeTimes.filter((t) => t < destroyEnded));
    const writtenAfter = writeTimes.filter((t) => t > destroyEnded);
    expect(writtenAfter.length).toBeGreaterThan(0);

    // AND the pipeline runs on: a new round from the stand-in (reseeded, since the new one starts its
    // sequence again) through Airflow, Kafka and Spark, ending with exactly the valid users in Cassandra.
    await resumed.sourceControl({ seed: 'kafka-pipelining/after-retain-round-trip', badEvery: BAD_EVERY });
    const next = await resumed.startRound(NEXT_ROUND_USERS);
    expect(next.newValidIds.length).toBeGreaterThanOrEqual(1000);
    const nextDelivered = await resumed.expectDelivered(next, 'after retain round trip');

    figures.retainRoundTrip = {
      destroySeconds,
      deploySeconds,
      roundTripSeconds: (deployEnded - destroyStarted) / 1000,
      pipelinePauseSeconds: (Math.min(...writtenAfter) - lastWrite) / 1000,
      roundUsers: round.newValidIds.length,
      inCassandraAtDestroyStart: inCassandraAtDestroy - round.before,
      writtenAfterRedeploy: writtenAfter.length,
      resumedAtBatch: lastBefore + 1,
      replacedContainers: replaced,
      keptVolumes: volumes,
      secondsToHealthy: watcher.secondsToReady(),
      // From the end of the deploy: when the stream wrote again, and when the round in flight had landed.
      streamResumedSecondsAfterDeploy: (Math.min(...writtenAfter) - deployEnded) / 1000,
      roundLandedSecondsAfterDeploy: (Math.max(...writtenAfter) - deployEnded) / 1000,
      nextRoundSeconds: nextDelivered.seconds,
    };
  }, 60 * 60 * 1000);
}

/** The ids of the Spark job's committed micro-batches: `docker <listing...> <checkpoint>/commits` lists them. */
function committedBatches(listing: string[], checkpointDirectory: string): number[] {
  return docker(...listing, `${checkpointDirectory}/commits`).split('\n').filter((f) => /^\d+$/.test(f)).map(Number);
}

function containerEnv(name: string): Record<string, string> {
  const env = JSON.parse(docker('inspect', '-f', '{{json .Config.Env}}', name)) as string[];
  return Object.fromEntries(env.map((e) => e.split(/=(.*)/s).slice(0, 2)));
}

async function pgIds(dsn: string): Promise<string[]> {
  const pg = new PgClient({ connectionString: dsn });
  await pg.connect();
  try {
    return (await pg.query<{ id: string }>('SELECT id::text AS id FROM users ORDER BY id')).rows.map((r) => r.id);
  } finally {
    await pg.end();
  }
}

async function withKafkaAdmin<T>(bootstrap: string, use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Commits the users topic's current end offsets for a consumer group of the test's own. */
async function commitGroupOffsets(bootstrap: string): Promise<void> {
  await withKafkaAdmin(bootstrap, async (admin) => {
    const ends = await admin.fetchTopicOffsets(TOPICS[0]);
    await admin.setOffsets({ groupId: CONSUMER_GROUP, topic: TOPICS[0], partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  });
}

async function kafkaState(bootstrap: string): Promise<KafkaState> {
  return withKafkaAdmin(bootstrap, async (admin) => {
    const topics: KafkaState['topics'] = {};
    for (const topic of TOPICS) {
      topics[topic] = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
    }
    const [group] = await admin.fetchOffsets({ groupId: CONSUMER_GROUP, topics: [TOPICS[0]] });
    return {
      clusterId: (await admin.describeCluster()).clusterId,
      topics,
      group: group.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition),
    };
  });
}
