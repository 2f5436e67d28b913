import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, heapMiB, LIGHT_JVM_OPTIONS, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ShippedFiles } from './shipped-files';
import { SPARK_HEALTH_SCRIPT, SPARK_HEALTH_SCRIPT_SOURCE, SPARK_PROMETHEUS_SETTINGS, sparkDaemonOptions } from './spark-image';
import { SparkSecurity } from './spark-security';
import { isLoopback, validateMemoryMiB, validatePort } from './validation';

export interface SparkMasterProps extends Omit<PublishingServiceProps, 'imageSource' | 'retainVolumes'> {
  /** The Spark image (with connectors) to run. */
  readonly imageId: string;
  /**
   * Host port of the master's web UI. It has no login, so it is published on a loopback address whatever
   * `bindAddress` says: `bindAddress` when that is one, else 127.0.0.1.
   * @default 9090
   */
  readonly hostPort?: number;
  /**
   * The cluster's shared secret, which workers and drivers must hold too.
   * @default - a SparkSecurity of its own (`security`), with a generated secret
   */
  readonly security?: SparkSecurity;
  /**
   * Memory limit in MiB.
   * @default 768
   */
  readonly memoryMiB?: number;
  /**
   * Serve the master's figures (workers, applications, JVM) in Prometheus' format on its web UI, at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const RPC_PORT = 7077;
const UI_PORT = 8080;

/**
 * The standalone cluster manager that workers register with and applications are submitted to. It refuses a
 * worker or an application without the cluster's shared secret (`spark.authenticate`), and its web UI has no
 * kill links.
 */
export class SparkMaster extends Construct {
  /** `spark://host:port` for workers and spark-submit on the platform network. */
  public readonly masterUrl: string;
  /** The master's web UI on the platform network (its JSON status is at `/json/`). */
  public readonly uiUrl: string;
  /** The master's web UI from the Docker host. */
  public readonly hostUiUrl: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** The shared secret and the properties file carrying it, for workers and drivers. */
  public readonly security: SparkSecurity;
  /** Where Prometheus scrapes the master, with `prometheusMetrics` (the slash spares a redirect). */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: SparkMasterProps) {
    super(scope, id);
    const name = props.name ?? 'spark-master';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 768, 384);
    const hostPort = validatePort('hostPort', props.hostPort ?? 9090);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const uiBindAddress = isLoopback(bindAddress) ? bindAddress : DEFAULT_BIND_ADDRESS;
    this.security = props.security ?? new SparkSecurity(this, 'Security');
    const health = new ShippedFiles(this, 'HealthScript', { files: [{ source: SPARK_HEALTH_SCRIPT_SOURCE, target: SPARK_HEALTH_SCRIPT }] });

    this.container = new ServiceContainer(this, 'Master', {
      name,
      image: props.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      command: [
        '/opt/spark/bin/spark-class', 'org.apache.spark.deploy.master.Master', '--host', name, '--port', `${RPC_PORT}`, '--webui-port', `${UI_PORT}`,
        ...this.security.arguments,
      ],
      environment: {
        SPARK_DAEMON_MEMORY: `${heapMiB(this.memoryMiB)}m`,
        // The daemon's own JVM; the executors a worker starts get the application's options instead.
        SPARK_DAEMON_JAVA_OPTS: LIGHT_JVM_OPTIONS,
        SPARK_NO_DAEMONIZE: 'true',
        ...(props.prometheusMetrics ? { SPARK_MASTER_OPTS: sparkDaemonOptions(SPARK_PROMETHEUS_SETTINGS) } : {}),
      },
      files: [...health.uploads, this.security.propertiesFile],
      ports: [{ containerPort: UI_PORT, hostPort, bindAddress: uiBindAddress, prop: 'hostPort' }],
      healthCheck: HealthCheck.command(['python3', SPARK_HEALTH_SCRIPT, 'master'], { startPeriodSeconds: 15 }),
    });
    this.masterUrl = `spark://${this.container.name}:${RPC_PORT}`;
    this.uiUrl = `http://${this.container.name}:${UI_PORT}`;
    this.hostUiUrl = `http://${this.container.publishedHost}:${hostPort}`;
    if (props.prometheusMetrics) this.metricsEndpoint = { job: 'spark-master', address: `${name}:${UI_PORT}`, path: '/metrics/master/prometheus/' };
  }
}
