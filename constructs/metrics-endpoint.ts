/** Where Prometheus scrapes one service's figures: what a service with metrics exposes for the monitoring. */
export interface MetricsEndpoint {
  /** The Prometheus job: the kind of service, e.g. `kafka`, `spark-worker`. Several instances share one job. */
  readonly job: string;
  /** `host:port` on the platform network, with the container's literal name, so that Prometheus waits for nothing. */
  readonly address: string;
  /** The HTTP path of the figures in Prometheus' text format. */
  readonly path: string;
}
