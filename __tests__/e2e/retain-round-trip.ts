/**
 * Keep the data across destroy and deploy (issue "Day two"): the suite deploys with retainVolumes
 * (KP_RETAIN_VOLUMES=true in scripts/e2e.sh). With a round of users still streaming into Cassandra and
 * Airflow holding an encrypted connection and variable, `cdktf destroy` must leave every volume and nothing
 * else, and `cdktf deploy` must bring the same stack back (the suite's earlier deploys, the upgraded versions
 * and the evolved schema, come through the environment it inherits) with new generated passwords that
 * PostgreSQL, Cassandra and Airflow take over, the old ones refused (Cassandra's superuser the same, kept on its volume); every user still in PostgreSQL and, once the Spark
 * job resumed from its checkpoint, in Cassandra, none twice; Kafka's topics, offsets and cluster unchanged;
 * Airflow's stored secrets readable; then a new round through the whole pipeline, ending with exactly the
 * valid users in Cassandra and verify --expect agreeing.
 */
import { randomUUID } from 'crypto';
import type { Kafka } from 'kafkajs';
import { hostKafka, type HostKafkaUser } from '../../ops/host-kafka';
import { Client as PgClient } from 'pg';
import { latestSchemaId, registryUrl } from '../../ops/avro';
import { deployWatched, destroy, docker, leftovers, PREFIX, stackOutputs, waitFor } from '../../ops/deployment';
import { AirflowApi } from './airflow-api';
import { cassandraLogins, containerEnv, cqlAs, postgresRoles, queryAs } from './authentication';
import { DAG_ID, PipelineDriver } from './pipeline-driver';

// A round far bigger than what streams while destroy gets going: the e2e deployment streams at most 200
// records per 5 s micro-batch, so two runs of 5,000 users (the DAG's largest batch) take over 4 minutes after
// they were published, while cdktf synthesizes, refreshes and stops the Spark job within about one. That the
// job stopped behind is not assumed but read from its checkpoint.
const ROUND_BATCH = 5000;
const ROUND_RUNS = 2;
const NEXT_ROUND_USERS = 1100;
const BAD_EVERY = 50;
const USERS_TOPIC = 'users_created';
const TOPICS = [USERS_TOPIC, `${USERS_TOPIC}.dlq`];
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

type PartitionOffsets = { partition: number; offset: string }[];

interface KafkaState {
  clusterId: string;
  topics: Record<string, { partition: number; low: string; high: string }[]>;
  group: PartitionOffsets;
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
    const groupOffsets = await commitGroupOffsets(before);
    const round = await driver.startRound(ROUND_BATCH, {}, ROUND_RUNS);
    for (const runId of round.runIds) expect({ runId, state: await driver.airflow.runEnd(DAG_ID, runId) }).toEqual({ runId, state: 'success' });
    // Nothing else may write while the data is compared across the round trip, but the DAG runs hourly: once
    // no run is due or active, pause it. The pause is Airflow metadata, so it outlasts destroy and deploy too.
    await runsSettled(driver.airflow);
    await setPaused(driver.airflow, true);

    const servedBefore = await driver.validUsers();
    const kafkaBefore = await kafkaState(before);
    expect(kafkaBefore.group).toEqual(groupOffsets);
    const pgBefore = await pgIds(before.postgres_dsn);
    const rolesBefore = postgresRoles();
    const cassandraBefore = cassandraLogins(before);
    const schemaIdBefore = await latestSchemaId(registryUrl(before));
    const containerIds = new Map(containers.map((name) => [name, docker('inspect', '-f', '{{.Id}}', name)]));
    const images = containerImages(containers);
    const volumes = leftovers([]).volumes.sort();
    const sparkImage = docker('inspect', '-f', '{{.Image}}', `${PREFIX}-spark-job`);
    const checkpointDirectory = containerEnv(`${PREFIX}-spark-job`).PIPELINE_CHECKPOINT_DIR;
    const inCassandraAtDestroy = (await driver.cassandraIds()).length;

    // WHEN the stack is destroyed: nothing of it runs, every volume stays.
    const destroyStarted = Date.now();
    const destroySeconds = await destroy('retain-destroy');
    const destroyEnded = Date.now();
    const left = leftovers(containers);
    expect({ ...left, volumes: left.volumes.sort() }).toEqual({ containers: [], networks: [], volumes });
    // How far the Spark job had come when destroy stopped it, read from the kept volume while nothing of the
    // stack runs (with the Spark image, which stays on the host): its last committed batch and that batch's
    // end offsets. Only a job stopped behind the topic's end shows that it resumes from its checkpoint.
    const onKeptCheckpoints = (command: string, file: string) =>
      docker('run', '--rm', '--entrypoint', command, '-v', `${CHECKPOINTS_VOLUME}:/checkpoints`, sparkImage, `${checkpointDirectory}/${file}`);
    const batchesAtDestroy = batchIds(onKeptCheckpoints('ls', 'commits'));
    expect(batchesAtDestroy.length).toBeGreaterThan(0);
    const lastBefore = Math.max(...batchesAtDestroy);
    const committed = sourceOffsets(onKeptCheckpoints('cat', `offsets/${lastBefore}`), USERS_TOPIC);
    const recordsBehind = kafkaBefore.topics[USERS_TOPIC].reduce((sum, p) => sum + Number(p.high) - committedOffset(committed, p.partition), 0);
    expect({ stoppedBehindTheTopicsEnd: recordsBehind > 0 }).toEqual({ stoppedBehindTheTopicsEnd: true });

    // AND deployed again.
    const { seconds: deploySeconds, watcher } = await deployWatched('retain-deploy');
    const deployEnded = Date.now();
    const after = stackOutputs();
    suite.redeployed(after);

    // THEN every service is back healthy, every container a new one of the same image (the same stack: the
    // upgraded versions included); the data below shows they use the kept volumes.
    for (const name of suite.services) expect({ name, health: docker('inspect', '-f', '{{.State.Health.Status}}', name) }).toEqual({ name, health: 'healthy' });
    for (const name of suite.oneShots) expect({ name, exit: docker('inspect', '-f', '{{.State.ExitCode}}', name) }).toEqual({ name, exit: '0' });
    const replaced = containers.filter((name) => docker('inspect', '-f', '{{.Id}}', name) !== containerIds.get(name));
    expect(replaced).toEqual(containers);
    expect(containerImages(containers)).toEqual(images);

    // The deploy generated new passwords; they work and the old ones no longer do.
    expect(after.airflow_admin_password).not.toBe(before.airflow_admin_password);
    expect(new URL(after.postgres_dsn).password).not.toBe(new URL(before.postgres_dsn).password);
    await expect(pgIds(before.postgres_dsn)).rejects.toThrow(/password authentication failed/);
    expect(await pgIds(after.postgres_dsn)).toEqual(pgBefore);
    // Every role of PostgreSQL, the superuser's too, took the new deploy's password at start; the old ones are refused.
    const rolesAfter = postgresRoles();
    for (const name of ['superuser', 'airflow', 'pipeline', 'monitoring'] as const) {
      expect(rolesAfter[name].password).not.toBe(rolesBefore[name].password);
      expect(await queryAs(after.postgres_dsn, rolesAfter[name], 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      await expect(queryAs(after.postgres_dsn, rolesBefore[name], 'SELECT 1')).rejects.toThrow(`password authentication failed for user "${rolesBefore[name].user}"`);
    }
    // Cassandra's roles too: the roles job gave the kept roles this deploy's passwords, as the superuser that the
    // kept volume of its own still knows (the same one: a new deploy could not have learned another).
    const cassandraAfter = cassandraLogins(after);
    expect(cassandraAfter.superuser).toEqual(cassandraBefore.superuser);
    expect(await cqlAs(after, cassandraAfter.superuser, "SELECT is_superuser FROM system_auth.roles WHERE role = 'cassandra'")).toEqual([]);
    for (const name of ['bootstrap', 'pipeline', 'monitoring'] as const) {
      expect(cassandraAfter[name].password).not.toBe(cassandraBefore[name].password);
      expect(await cqlAs(after, cassandraAfter[name], "SELECT cluster_name FROM system.local WHERE key = 'local'")).toEqual([{ cluster_name: 'kafka-pipelining' }]);
      await expect(cqlAs(after, cassandraBefore[name], 'SELECT now() FROM system.local')).rejects.toThrow(`Provided username ${cassandraBefore[name].username} and/or password are incorrect`);
    }
    await expect(new AirflowApi(after.airflow_url, after.airflow_admin_user, before.airflow_admin_password).request('GET', '/api/v2/version')).rejects.toThrow(/answered 401/);
    // Kafka's users too: the kafka-access jobs wrote this deploy's SCRAM credentials over the kept ZooKeeper's (the
    // kafkaState check above logs in with the new admin's); the old ones are refused.
    for (const user of ['producer', 'monitoring', 'admin'] as const) {
      const password = `kafka_${user}_password`;
      expect(after[password]).not.toBe(before[password]);
      await expect(withKafkaAdmin({ ...after, [password]: before[password] }, (admin) => admin.listTopics(), user)).rejects.toThrow(/authentication failed/i);
      const { topics } = await withKafkaAdmin(after, (admin) => admin.fetchTopicMetadata({ topics: [USERS_TOPIC] }), user);
      expect(topics.map((t) => t.name)).toEqual([USERS_TOPIC]);
    }
    const resumed = new PipelineDriver(after, servedBefore);

    // Airflow decrypts what it stored before, and kept its history and the DAG's pause.
    const storedVariable = await resumed.airflow.request<{ value: string }>('GET', `/api/v2/variables/${AIRFLOW_ITEM}`);
    expect(storedVariable.value).toBe(value);
    const connection = await resumed.airflow.request<{ password: string | null; extra: string }>('GET', `/api/v2/connections/${AIRFLOW_ITEM}`);
    expect({ password: connection.password, extra: JSON.parse(connection.extra) as unknown }).toEqual({ password: '***', extra: { marker } });
    for (const runId of round.runIds) expect({ runId, state: await resumed.airflow.runState(DAG_ID, runId) }).toEqual({ runId, state: 'success' });
    expect((await resumed.airflow.request<{ is_paused: boolean }>('GET', `/api/v2/dags/${DAG_ID}`)).is_paused).toBe(true);

    // Kafka: the same cluster, topics, offsets and committed group offsets; the schema under the same id.
    expect(await kafkaState(after)).toEqual(kafkaBefore);
    expect(await latestSchemaId(registryUrl(after))).toBe(schemaIdBefore);

    // The round in flight lands: exactly the valid users served, none twice in Kafka, verify agreeing.
    await resumed.expectDelivered(round, 'retain round trip');
    const keys = await resumed.keyCounts(USERS_TOPIC, round.newValidIds);
    expect([...keys].filter(([, n]) => n !== 1)).toEqual([]);

    // From its checkpoint: the Spark job's batches go on from the last one committed before destroy, and what
    // it wrote since are exactly the users of the records after the committed offsets: nothing before them
    // read again, nothing after them skipped.
    const newBatches = batchIds(docker('exec', `${PREFIX}-spark-job`, 'ls', `${checkpointDirectory}/commits`)).filter((b) => b > lastBefore);
    expect(newBatches.length).toBeGreaterThan(0);
    expect(Math.min(...newBatches)).toBe(lastBefore + 1);
    const uncommitted = new Set(
      (await resumed.readTopic(USERS_TOPIC)).filter((m) => BigInt(m.offset) >= BigInt(committedOffset(committed, m.partition))).map((m) => m.key ?? `(no key at ${m.partition}:${m.offset})`),
    );
    const writeTimes = await resumed.withCassandra(async (c) =>
      (await c.execute(`SELECT id, WRITETIME(email) AS t FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows.map((r) => ({ id: String(r.id), ms: Number(String(r.t)) / 1000 })));
    const writtenAfter = writeTimes.filter((w) => w.ms > destroyEnded);
    expect(writtenAfter.map((w) => w.id).sort()).toEqual([...uncommitted].sort());
    // How long the stream stood still: Cassandra's write times around the round trip.
    const lastWrite = Math.max(...writeTimes.filter((w) => w.ms < destroyEnded).map((w) => w.ms));
    const firstWriteAfter = Math.min(...writtenAfter.map((w) => w.ms));

    // AND the pipeline runs on: a new round from the stand-in through Airflow, Kafka and Spark, ending with
    // exactly the valid users in Cassandra. The new stand-in starts its sequence again, so reseed it before
    // anything fetches; unpaused, the DAG first makes up a scheduled run that fell due while it was paused
    // (if one did): let that one land before the round, which must start settled.
    await resumed.sourceControl({ seed: 'kafka-pipelining/after-retain-round-trip', badEvery: BAD_EVERY });
    await setPaused(resumed.airflow, false);
    await runsSettled(resumed.airflow);
    await waitFor('every valid user served in Cassandra', 10 * 60 * 1000, async () =>
      ((await resumed.cassandraIds()).length === (await resumed.validUsers()).length ? true : undefined), 2000);
    const next = await resumed.startRound(NEXT_ROUND_USERS);
    expect(next.newValidIds.length).toBeGreaterThanOrEqual(1000);
    const nextDelivered = await resumed.expectDelivered(next, 'after retain round trip');

    figures.retainRoundTrip = {
      destroySeconds,
      deploySeconds,
      roundTripSeconds: (deployEnded - destroyStarted) / 1000,
      pipelinePauseSeconds: (firstWriteAfter - lastWrite) / 1000,
      roundUsers: round.newValidIds.length,
      inCassandraAtDestroyStart: inCassandraAtDestroy - round.before,
      recordsBehindAtStop: recordsBehind,
      writtenAfterRedeploy: writtenAfter.length,
      resumedAtBatch: lastBefore + 1,
      replacedContainers: replaced,
      keptVolumes: volumes,
      secondsToHealthy: watcher.secondsToReady(),
      // From the end of the deploy: when the stream wrote again, and when the round in flight had landed.
      streamResumedSecondsAfterDeploy: (firstWriteAfter - deployEnded) / 1000,
      roundLandedSecondsAfterDeploy: (Math.max(...writtenAfter.map((w) => w.ms)) - deployEnded) / 1000,
      nextRoundSeconds: nextDelivered.seconds,
    };
  }, 60 * 60 * 1000);
}

/** Pauses or unpauses the DAG: paused, the scheduler starts none of its runs, scheduled or triggered. */
async function setPaused(airflow: AirflowApi, paused: boolean): Promise<void> {
  const dag = await airflow.request<{ is_paused: boolean }>('PATCH', `/api/v2/dags/${DAG_ID}?update_mask=is_paused`, { is_paused: paused });
  expect(dag.is_paused).toBe(paused);
}

/** Waits until the scheduler has made every run of the (unpaused) DAG that fell due and none is queued or running. */
async function runsSettled(airflow: AirflowApi): Promise<void> {
  await waitFor(`no run of ${DAG_ID} due, queued or running`, 20 * 60 * 1000, async () => {
    const dag = await airflow.request<{ next_dagrun_run_after: string | null }>('GET', `/api/v2/dags/${DAG_ID}`);
    if (dag.next_dagrun_run_after !== null && Date.parse(dag.next_dagrun_run_after) <= Date.now()) return undefined;
    const active = await airflow.request<{ dag_runs: unknown[] }>('GET', `/api/v2/dags/${DAG_ID}/dagRuns?state=queued&state=running&limit=10`);
    return active.dag_runs.length === 0 ? true : undefined;
  }, 2000);
}

/** Each container's image, by name. */
function containerImages(names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, docker('inspect', '-f', '{{.Config.Image}}', name)]));
}

/** The ids of the Spark job's committed micro-batches, from a listing of its checkpoint's commits. */
function batchIds(listing: string): number[] {
  return listing.split('\n').filter((f) => /^\d+$/.test(f)).map(Number);
}

/**
 * One topic's end offsets by partition in a Spark offset log entry (`offsets/<batch>`): a version line, the
 * batch's metadata, then one line per source, the Kafka source's `{"<topic>": {"<partition>": <offset>}}`.
 */
function sourceOffsets(entry: string, topic: string): Map<number, number> {
  for (const line of entry.split('\n').slice(2)) {
    const offsets = (JSON.parse(line) as Record<string, Record<string, number>>)[topic];
    if (offsets) return new Map(Object.entries(offsets).map(([partition, offset]) => [Number(partition), offset]));
  }
  throw new Error(`no offsets of ${topic} in the checkpoint's offset log entry:\n${entry}`);
}

function committedOffset(committed: Map<number, number>, partition: number): number {
  const offset = committed.get(partition);
  if (offset === undefined) throw new Error(`the checkpoint holds no offset for partition ${partition}`);
  return offset;
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

/** An admin client as a Kafka user of the outputs (the admin by default): each deploy has passwords of its own, so the outputs of that deploy. */
async function withKafkaAdmin<T>(
  outputs: Readonly<Record<string, string>>, use: (admin: ReturnType<Kafka['admin']>) => Promise<T>, user: HostKafkaUser = 'admin',
): Promise<T> {
  const admin = hostKafka(outputs, user).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function groupOffsetsOf(admin: ReturnType<Kafka['admin']>): Promise<PartitionOffsets> {
  const [group] = await admin.fetchOffsets({ groupId: CONSUMER_GROUP, topics: [USERS_TOPIC] });
  return group.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition);
}

/**
 * Commits the users topic's current end offsets for a consumer group of the test's own and returns them once
 * the group reads them back (kafkajs's setOffsets commits through a consumer that it stops right after).
 */
async function commitGroupOffsets(outputs: Readonly<Record<string, string>>): Promise<PartitionOffsets> {
  return withKafkaAdmin(outputs, async (admin) => {
    const ends = (await admin.fetchTopicOffsets(USERS_TOPIC)).map((p) => ({ partition: p.partition, offset: p.high })).sort((a, b) => a.partition - b.partition);
    await admin.setOffsets({ groupId: CONSUMER_GROUP, topic: USERS_TOPIC, partitions: ends });
    const wanted = JSON.stringify(ends);
    return waitFor(`the offsets of consumer group ${CONSUMER_GROUP}`, 60 * 1000, async () => (JSON.stringify(await groupOffsetsOf(admin)) === wanted ? ends : undefined), 1000);
  });
}

async function kafkaState(outputs: Readonly<Record<string, string>>): Promise<KafkaState> {
  return withKafkaAdmin(outputs, async (admin) => {
    const topics: KafkaState['topics'] = {};
    for (const topic of TOPICS) {
      topics[topic] = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
    }
    return { clusterId: (await admin.describeCluster()).clusterId, topics, group: await groupOffsetsOf(admin) };
  });
}
