/**
 * The whole pipeline's latency, API to Cassandra: a triggered DAG run's users from the trigger to the last row in
 * Cassandra, split at the moments Airflow, PostgreSQL and Cassandra record (every container shares the host clock).
 */
import { Client as PgClient } from 'pg';
import { AirflowApi } from '../__tests__/e2e/airflow-api';
import { DAG_ID, waitFor } from '../ops/deployment';
import type { Observer, ObserverRecord } from './observer';

/** The moments of one run, epoch ms. */
export interface DagMoments {
  /** When the run was requested. */
  readonly triggered: number;
  /** fetch_and_store's start and end (Airflow's task instance). */
  readonly fetchStart: number;
  readonly fetchEnd: number;
  /** The store transaction's start: the run's users' fetched_at (PostgreSQL's now()), after the fetch. */
  readonly stored: number;
  /** publish_outbox's start (Airflow's task instance). */
  readonly publishStart: number;
  /** The last of the run's users marked published (after the broker acknowledged it). */
  readonly lastPublished: number;
  /** The last of the run's rows written to Cassandra. */
  readonly lastWrite: number;
}

/** Where a run's time went, in seconds: the phases add up to the total. */
export interface DagPhases {
  /** Trigger → fetch_and_store running. */
  readonly taskStart: number;
  /** The registry's schema and the API's users, validated. */
  readonly fetch: number;
  /** The store transaction and the task's end. */
  readonly postgres: number;
  /** fetch_and_store's end → the last user acknowledged by Kafka (publish_outbox's start included). */
  readonly publish: number;
  /** Of which publish_outbox's start. */
  readonly publishTaskStart: number;
  /** The last acknowledged → the last row written by the Spark job. */
  readonly stream: number;
  readonly total: number;
}

export function dagPhases(m: DagMoments): DagPhases {
  const s = (from: number, to: number) => (to - from) / 1000;
  return {
    taskStart: s(m.triggered, m.fetchStart),
    fetch: s(m.fetchStart, m.stored),
    postgres: s(m.stored, m.fetchEnd),
    publish: s(m.fetchEnd, m.lastPublished),
    publishTaskStart: s(m.fetchEnd, m.publishStart),
    stream: s(m.lastPublished, m.lastWrite),
    total: s(m.triggered, m.lastWrite),
  };
}

interface TaskTimes {
  readonly start_date: string | null;
  readonly end_date: string | null;
}

/** One measured DAG run of `users` users, through to the last row in table. */
export async function measureDagRun(
  outputs: Record<string, string>,
  observer: Observer,
  table: string,
  users: number,
  beforeSweep: () => void,
): Promise<{ runId: string; moments: DagMoments; phases: DagPhases; observer: ObserverRecord }> {
  const airflow = new AirflowApi(outputs.airflow_url, outputs.airflow_admin_user, outputs.airflow_admin_password);
  // Authenticate before the clock starts.
  await airflow.request('GET', `/api/v2/dags/${DAG_ID}`);
  const triggered = Date.now();
  const runId = await airflow.trigger(DAG_ID, { batch_size: users });
  // One cheap GET every 2 s: the observer of this window, before the ids to watch in Cassandra are known.
  const state = await waitFor(`DAG run ${runId}`, 10 * 60 * 1000, async () => {
    const current = await airflow.runState(DAG_ID, runId);
    return current === 'success' || current === 'failed' ? current : undefined;
  }, 2000);
  if (state !== 'success') throw new Error(`DAG run ${runId} ended ${state}: see its task logs in Airflow`);
  const task = async (taskId: string) => {
    const ti = await airflow.request<TaskTimes>('GET', `/api/v2/dags/${DAG_ID}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
    if (!ti.start_date || !ti.end_date) throw new Error(`${taskId} of ${runId} has no start or end date`);
    return { start: Date.parse(ti.start_date), end: Date.parse(ti.end_date) };
  };
  const fetchTask = await task('fetch_and_store');
  const publishTask = await task('publish_outbox');
  const pg = new PgClient({ connectionString: outputs.postgres_dsn });
  await pg.connect();
  let ids: string[];
  let stored: number;
  let lastPublished: number;
  try {
    const result = await pg.query<{ id: string; fetched_at: Date; published_at: Date | null }>(
      'SELECT u.id::text AS id, u.fetched_at, u.published_at FROM users u JOIN ingest_run_users r ON r.id = u.id WHERE r.run_id = $1',
      [runId],
    );
    if (result.rows.length === 0) throw new Error(`DAG run ${runId} stored no user`);
    const unpublished = result.rows.filter((row) => row.published_at === null);
    if (unpublished.length > 0) throw new Error(`${unpublished.length} users of ${runId} are not published, e.g. ${unpublished[0].id}`);
    ids = result.rows.map((row) => row.id);
    stored = Math.min(...result.rows.map((row) => row.fetched_at.getTime()));
    lastPublished = Math.max(...result.rows.map((row) => row.published_at!.getTime()));
  } finally {
    await pg.end();
  }
  const { writeTimes, record } = await observer.awaitRows(table, ids, beforeSweep);
  const moments: DagMoments = {
    triggered,
    fetchStart: fetchTask.start,
    fetchEnd: fetchTask.end,
    stored,
    publishStart: publishTask.start,
    lastPublished,
    lastWrite: Math.max(...writeTimes.values()),
  };
  return { runId, moments, phases: dagPhases(moments), observer: record };
}
