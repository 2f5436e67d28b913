import type { Component } from '../../jobs/lib/contract';

/**
 * The containers of a default plan that run each component's code: the DAG file is parsed by the dag-processor
 * and again by each task process, which runs in the scheduler (LocalExecutor). verify runs from the host, so no
 * container of the plan runs it.
 */
export const CONTAINERS_OF: Readonly<Record<Exclude<Component, 'verify'>, readonly string[]>> = {
  dag: ['kp-airflow-dag-processor', 'kp-airflow-scheduler'],
  'dag-tasks': ['kp-airflow-scheduler'],
  'spark-job': ['kp-spark-job'],
  bootstrap: ['kp-bootstrap'],
};

/** The containers that run code of any of `components`, sorted. */
export function containersReading(components: readonly Component[]): string[] {
  return [...new Set(components.flatMap((c) => (c === 'verify' ? [] : CONTAINERS_OF[c])))].sort();
}
