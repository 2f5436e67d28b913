import type { Component } from '../../jobs/lib/contract';

/** The components run from the host (with variables pointing at the published ports): no container of the plan runs them. */
type HostComponent = 'verify' | 'replay';
const isHostComponent = (component: Component): component is HostComponent => component === 'verify' || component === 'replay';

/**
 * The containers of a default plan that run each component's code: the DAG file is parsed by the dag-processor
 * and again by each task process, which runs in the scheduler (LocalExecutor).
 */
export const CONTAINERS_OF: Readonly<Record<Exclude<Component, HostComponent>, readonly string[]>> = {
  dag: ['kp-airflow-dag-processor', 'kp-airflow-scheduler'],
  'dag-tasks': ['kp-airflow-scheduler'],
  'spark-job': ['kp-spark-job'],
  bootstrap: ['kp-bootstrap'],
  'pipeline-metrics': ['kp-pipeline-metrics'],
};

/** The containers that run code of any of `components`, sorted. */
export function containersReading(components: readonly Component[]): string[] {
  return [...new Set(components.flatMap((c) => (isHostComponent(c) ? [] : CONTAINERS_OF[c])))].sort();
}
