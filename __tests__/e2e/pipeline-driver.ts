/**
 * Drives the deployed pipeline for the end-to-end and fault tests: triggers DAG runs with a batch size,
 * watches users arrive in Cassandra, counts what a Kafka topic holds per key, and runs the verify job.
 * What must be in Cassandra comes from the stand-in API's own record of the valid users it served.
 */
import type { Client as CassandraClient } from 'cassandra-driver';
import { hostKafka } from '../../ops/host-kafka';
import { Client as PgClient } from 'pg';
import type { Served, Switches } from '../../jobs/fake-randomuser';
import { cassandraClient, type CassandraClientOptions } from '../../ops/cassandra-login';
import { DAG_ID, docker, runLogged, waitFor } from '../../ops/deployment';
import { hostPipelineEnv } from '../../ops/pipeline-status';
import type { SourceUser } from '../../ops/users';
import { AirflowApi } from './airflow-api';

export { DAG_ID };
const TABLE = 'spark_streams.created_users';

/** A message as readTopic gives it. */
export interface TopicMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly partition: number;
  readonly offset: string;
  /** The record's timestamp (its producer's clock, milliseconds). */
  readonly timestamp: number;
}

/** One DAG run's (or several's) users on their way: how many were in Cassandra before, how many must be after. */
export interface Round {
  /** The round's last run. */
  readonly runId: string;
  /** Every run of the round, in the order they ran. */
  readonly runIds: string[];
  readonly before: number;
  readonly target: number;
  readonly newValidIds: string[];
}

export class PipelineDriver {
  public readonly airflow: AirflowApi;

  /**
   * @param servedEarlier valid users served by an earlier stand-in whose data the deployment kept (a stand-in
   *   replaced by destroy and deploy forgets what it served): part of the oracle, before this one's users.
   */
  constructor(
    private readonly outputs: Record<string, string>,
    private readonly servedEarlier: readonly SourceUser[] = [],
    private readonly cassandraOptions: CassandraClientOptions = {},
  ) {
    this.airflow = new AirflowApi(outputs.airflow_url, outputs.airflow_admin_user, outputs.airflow_admin_password);
  }

  /** Sets the stand-in API's fault switches (and, with `seed`, reseeds it) and returns what it has served so far. */
  public async sourceControl(switches?: Partial<Switches> & { seed?: string }): Promise<Served> {
    const response = await fetchIdempotent(`${this.outputs.source_api_url}/control`, switches ? { method: 'POST', body: JSON.stringify(switches) } : undefined);
    return ((await response.json()) as { served: Served }).served;
  }

  /** Every valid user the API served, in order (the oracle of what Cassandra must hold). */
  public async validUsers(): Promise<SourceUser[]> {
    const served = (await (await fetchIdempotent(`${this.outputs.source_api_url}/control/users`)).json()) as SourceUser[];
    return [...this.servedEarlier, ...served];
  }

  /** Opens a Cassandra session per call: the node may have restarted (and moved) since the last one. */
  public async withCassandra<T>(use: (client: CassandraClient) => Promise<T>): Promise<T> {
    const client = cassandraClient(this.outputs, { username: this.outputs.cassandra_user, password: this.outputs.cassandra_password }, this.cassandraOptions);
    try {
      return await use(client);
    } finally {
      await client.shutdown();
    }
  }

  /** Opens a session with the pipeline's PostgreSQL database per call. */
  public async withPostgres<T>(use: (client: PgClient) => Promise<T>): Promise<T> {
    const client = new PgClient({ connectionString: this.outputs.postgres_dsn });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  public async cassandraIds(): Promise<string[]> {
    return this.withCassandra(async (c) => (await c.execute(`SELECT id FROM ${TABLE}`, [], { fetchSize: 1_000_000 })).rows.map((r) => r.id.toString()));
  }

  /**
   * Triggers a run fetching batchSize users (with any further DAG params) and waits until they are stored in
   * PostgreSQL (fetch_and_store done), so the oracle knows which users this round must deliver. With `runs`,
   * that many runs one after another (the DAG runs one at a time): a round bigger than one run may fetch.
   */
  public async startRound(batchSize: number, params: Record<string, number> = {}, runs = 1): Promise<Round> {
    const before = (await this.validUsers()).length;
    const inCassandra = (await this.cassandraIds()).length;
    if (inCassandra !== before) throw new Error(`a round must start settled: ${inCassandra} users in Cassandra, ${before} valid served`);
    const runIds: string[] = [];
    for (let i = 0; i < runs; i++) {
      const runId = await this.airflow.trigger(DAG_ID, { ...params, batch_size: batchSize });
      // A later run waits in the queue until the one before it ended, publish included.
      await waitFor(`fetch_and_store of ${runId}`, (5 + 10 * i) * 60 * 1000, async () => {
        const ti = await this.airflow.taskInstance(DAG_ID, runId, 'fetch_and_store');
        if (ti.state === 'failed') throw new Error(`fetch_and_store of ${runId} failed`);
        return ti.state === 'success' ? true : undefined;
      }, 500);
      runIds.push(runId);
    }
    const valid = await this.validUsers();
    return { runId: runIds[runIds.length - 1], runIds, before, target: valid.length, newValidIds: valid.slice(before).map((u) => u.login.uuid.toLowerCase()) };
  }

  /** Polls Cassandra until some, but not all, of the round's users arrived; returns that count. */
  public async partwayThrough(round: Round, timeoutMs = 3 * 60 * 1000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    return this.withCassandra(async (c) => {
      while (Date.now() < deadline) {
        const count = Number((await c.execute(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n);
        if (count > round.before && count < round.target) return count;
        if (count >= round.target) throw new Error(`the stream delivered all ${round.target} users before it could be interrupted`);
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no user of run ${round.runId} reached Cassandra within ${timeoutMs / 1000} s`);
    });
  }

  /**
   * Waits for the round's runs to succeed and Cassandra to hold exactly the valid users served so far (none
   * missing, none extra), then has the verify job agree. Returns the seconds the delivery took.
   */
  public async expectDelivered(round: Round, label: string): Promise<{ runState: string; seconds: number }> {
    const started = Date.now();
    const runStates: string[] = [];
    for (const runId of round.runIds) runStates.push(await this.airflow.runEnd(DAG_ID, runId));
    const runState = runStates.find((state) => state !== 'success') ?? 'success';
    const expected = (await this.validUsers()).map((u) => u.login.uuid.toLowerCase()).sort();
    let actual: string[] = [];
    await waitFor(`${expected.length} users in Cassandra after ${label}`, 10 * 60 * 1000, async () => {
      actual = await this.cassandraIds();
      return actual.length >= expected.length ? true : undefined;
    }, 2000).catch(() => undefined);
    expect({ label, runState }).toEqual({ label, runState: 'success' });
    expect({ label, count: actual.length }).toEqual({ label, count: expected.length });
    expect(actual.sort()).toEqual(expected);
    await this.verify(label, expected.length);
    return { runState, seconds: (Date.now() - started) / 1000 };
  }

  /** Runs jobs/verify.ts from the host against the deployment; it exits non-zero naming a lost stage. */
  public async verify(label: string, expectUsers: number): Promise<void> {
    await runLogged(`verify-${label.replace(/\W+/g, '-')}`, 'npx', ['ts-node', '--transpile-only', 'jobs/verify.ts', '--expect', `${expectUsers}`, '--wait', '120'], hostPipelineEnv(this.outputs));
  }

  /** Every message of a topic, read from the beginning to the offsets it had when called; timestamp in ms. */
  public async readTopic(topic: string): Promise<TopicMessage[]> {
    // A consumer group of the test's own: the admin's (the read-only user's groups are named pipeline-*).
    const kafka = hostKafka(this.outputs, 'admin');
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    await admin.disconnect();
    const messages: TopicMessage[] = [];
    const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
    if (remaining.size === 0) return messages;
    const consumer = kafka.consumer({ groupId: `e2e-read-${Date.now()}-${Math.random()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.run({
        // kafkajs wants a promise back; keeping a message is synchronous.
        eachMessage: ({ partition, message }) => {
          if (BigInt(message.offset) < ends.get(partition)!) {
            messages.push({ key: message.key?.toString() ?? null, value: message.value, partition, offset: message.offset, timestamp: Number(message.timestamp) });
            if (BigInt(message.offset) + 1n >= ends.get(partition)!) remaining.delete(partition);
            if (remaining.size === 0) done();
          }
          return Promise.resolve();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 120000)));
      await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return messages;
  }

  /** How often each of ids is a key in the topic. */
  public async keyCounts(topic: string, ids: string[]): Promise<Map<string, number>> {
    const counts = new Map(ids.map((id) => [id, 0]));
    for (const { key } of await this.readTopic(topic)) if (key !== null && counts.has(key)) counts.set(key, counts.get(key)! + 1);
    return counts;
  }
}

/**
 * `fetch` of a request that may be sent twice (the stand-in's switches and its record of users), sent again when the
 * connection failed before an answer: a kept-alive socket the server closed as it idled fails the next request on it
 * ("other side closed").
 */
async function fetchIdempotent(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt === 3) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The host pid of a container's main process. */
export function mainPid(container: string): number {
  return Number(docker('inspect', '-f', '{{.State.Pid}}', container));
}

/** A crash, as opposed to `docker kill` (a manual stop that the restart policy honours). */
export function crash(container: string): void {
  process.kill(mainPid(container), 'SIGKILL');
}

/** Waits until the container is running again and reports healthy. */
export async function healthyAgain(container: string, timeoutMs = 5 * 60 * 1000): Promise<void> {
  await waitFor(`${container} healthy again`, timeoutMs, () => (docker('inspect', '-f', '{{.State.Health.Status}}', container) === 'healthy' ? true : undefined), 2000);
}
