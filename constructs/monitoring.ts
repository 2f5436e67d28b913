import { Construct } from 'constructs';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { NodeExporter } from './node-exporter';
import { PipelineMetrics } from './pipeline-metrics';
import { PlatformNetwork } from './platform-network';
import { IPostgresDatabase } from './postgres';
import { PostgresExporter } from './postgres-exporter';
import { PrometheusServer } from './prometheus-server';
import { StateVolume } from './state-volume';
import { validateNamePrefix } from './validation';

export interface MonitoringProps {
  readonly network: PlatformNetwork;
  /**
   * Prefix of the monitoring's containers: `<namePrefix>-prometheus`, `-node-exporter`, `-postgres-exporter`,
   * `-pipeline-metrics`.
   * @default 'kp'
   */
  readonly namePrefix?: string;
  /** The figures the services serve themselves (JMX exporters, Spark's endpoints); the exporters here are added. */
  readonly endpoints: readonly MetricsEndpoint[];
  /** The PostgreSQL server whose statistics the PostgreSQL exporter reads. */
  readonly postgres: IPostgresDatabase;
  /** The `PIPELINE_*` variables the pipeline-metrics job reads (outbox, topics, checkpoint). */
  readonly pipelineEnvironment: Record<string, string>;
  /** The Spark job's checkpoints, which the pipeline-metrics job reads its position from. */
  readonly checkpointsVolumeName: string;
  /**
   * The volumes whose filesystem is watched for space (StateVolumeFilling).
   * @default - none
   */
  readonly stateVolumes?: readonly StateVolume[];
  /**
   * Host port of Prometheus' UI, API and the dashboard.
   * @default 9091
   */
  readonly hostPort?: number;
  /** @default '127.0.0.1' */
  readonly bindAddress?: string;
  /**
   * Memory limit of Prometheus in MiB.
   * @default 384
   */
  readonly memoryMiB?: number;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
  /**
   * Keep Prometheus' data volume when the stack is destroyed.
   * @default false
   */
  readonly retainVolumes?: boolean;
}

/**
 * What replaces Control Center where it cannot run: Prometheus scraping every service (its own figures, the JMX
 * exporters', Spark's) and three exporters (the Docker host and the state volumes' filesystem, PostgreSQL, the
 * pipeline's own figures), with recording and alerting rules and the pipeline's dashboard.
 */
export class Monitoring extends Construct {
  public readonly prometheus: PrometheusServer;
  public readonly pipelineMetrics: PipelineMetrics;
  public readonly postgresExporter: PostgresExporter;
  public readonly nodeExporter: NodeExporter;
  /** Everything Prometheus scrapes besides itself. */
  public readonly endpoints: readonly MetricsEndpoint[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = validateNamePrefix('namePrefix', props.namePrefix ?? 'kp');
    const { network, imageSource } = props;
    this.pipelineMetrics = new PipelineMetrics(this, 'PipelineMetrics', {
      network, imageSource, name: `${prefix}-pipeline-metrics`, environment: props.pipelineEnvironment, checkpointsVolumeName: props.checkpointsVolumeName,
    });
    this.postgresExporter = new PostgresExporter(this, 'PostgresExporter', { network, imageSource, name: `${prefix}-postgres-exporter`, postgres: props.postgres });
    this.nodeExporter = new NodeExporter(this, 'NodeExporter', { network, imageSource, name: `${prefix}-node-exporter`, volumes: props.stateVolumes ?? [] });
    this.endpoints = [...props.endpoints, this.pipelineMetrics.endpoint, this.postgresExporter.endpoint, this.nodeExporter.endpoint];
    this.prometheus = new PrometheusServer(this, 'Prometheus', {
      network, imageSource, name: `${prefix}-prometheus`, endpoints: this.endpoints,
      hostPort: props.hostPort, bindAddress: props.bindAddress, memoryMiB: props.memoryMiB, retainVolumes: props.retainVolumes,
    });
  }
}
