import { Construct } from 'constructs';
import { HealthCheck, STANDALONE_HEALTH_TIMING } from './health-check';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformNetwork } from './platform-network';
import { heapMiB, LIGHT_JVM_OPTIONS } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ShippedFiles } from './shipped-files';
import { SPARK_HEALTH_SCRIPT, SPARK_HEALTH_SCRIPT_SOURCE, SPARK_PROMETHEUS_SETTINGS, sparkDaemonOptions } from './spark-image';
import { SparkMaster } from './spark-master';
import { validateIntegerRange, validateMemoryMiB } from './validation';

export interface SparkWorkerProps {
  readonly network: PlatformNetwork;
  /** Container name, also the host name it registers with. */
  readonly name: string;
  /** The Spark image (with connectors) to run. */
  readonly imageId: string;
  readonly master: SparkMaster;
  /**
   * Cores offered to executors. More than a small host has: a task of the streaming job waits on Cassandra's writes
   * most of its time (0.45 s of CPU in a 5.6 s task, measured on 2 cores), and with 4 the users topic's partitions
   * are written in one wave instead of two.
   * @default 4
   */
  readonly cores?: number;
  /**
   * Container memory limit in MiB; executors get what the worker daemon and JVM overhead leave.
   * @default 2048
   */
  readonly memoryMiB?: number;
  /**
   * Serve the worker's figures (cores and memory in use, executors, JVM) in Prometheus' format on its web UI, at
   * `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const UI_PORT = 8081;
/** Room left for the worker daemon itself and executor JVM overhead. */
const WORKER_OVERHEAD_MIB = 512;

/** A standalone worker that registers with the master and runs executors, with the master's shared secret. */
export class SparkWorker extends Construct {
  public readonly memoryMiB: number;
  /** Memory this worker offers to executors. */
  public readonly executorMemoryMiB: number;
  public readonly cores: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the worker, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: SparkWorkerProps) {
    super(scope, id);
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 2048, 1024);
    this.cores = validateIntegerRange('cores', props.cores ?? 4, 1, 64);
    this.executorMemoryMiB = this.memoryMiB - WORKER_OVERHEAD_MIB;
    const health = new ShippedFiles(this, 'HealthScript', { files: [{ source: SPARK_HEALTH_SCRIPT_SOURCE, target: SPARK_HEALTH_SCRIPT }] });

    this.container = new ServiceContainer(this, 'Worker', {
      name: props.name,
      image: props.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      command: [
        '/opt/spark/bin/spark-class', 'org.apache.spark.deploy.worker.Worker',
        '--host', props.name, '--cores', `${this.cores}`, '--memory', `${this.executorMemoryMiB}m`, '--webui-port', `${UI_PORT}`,
        ...props.master.security.arguments,
        props.master.masterUrl,
      ],
      environment: {
        SPARK_DAEMON_MEMORY: `${heapMiB(WORKER_OVERHEAD_MIB)}m`,
        // The daemon's own JVM; the executors a worker starts get the application's options instead.
        SPARK_DAEMON_JAVA_OPTS: LIGHT_JVM_OPTIONS,
        SPARK_NO_DAEMONIZE: 'true',
        ...(props.prometheusMetrics ? { SPARK_WORKER_OPTS: sparkDaemonOptions(SPARK_PROMETHEUS_SETTINGS) } : {}),
      },
      files: [...health.uploads, props.master.security.propertiesFile],
      // Healthy once the master lists this worker as ALIVE, not merely when its JVM is up; standalone, once its UI is up
      // (the master answers a registration at the worker's name).
      healthCheck: HealthCheck.command(['python3', SPARK_HEALTH_SCRIPT, 'worker', props.master.uiUrl, props.name], { startPeriodSeconds: 15 })
        .withStandalone(HealthCheck.tcp(UI_PORT, STANDALONE_HEALTH_TIMING)),
    });
    if (props.prometheusMetrics) this.metricsEndpoint = { job: 'spark-worker', address: `${props.name}:${UI_PORT}`, path: '/metrics/prometheus/' };
  }
}
