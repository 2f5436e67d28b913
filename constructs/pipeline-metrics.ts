import * as path from 'path';
import { Construct } from 'constructs';
import { PIPELINE_METRICS_PORT } from '../jobs/lib/pipeline-figures';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { bundleNodeJob } from './node-job';
import { PlatformNetwork } from './platform-network';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { PropError, validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface PipelineMetricsProps {
  readonly network: PlatformNetwork;
  /** Container name. */
  readonly name: string;
  /** The job's configuration: the `PIPELINE_*` variables it reads (jobs/contract/variables.json, "pipeline metrics"). */
  readonly environment: Record<string, string>;
  /**
   * The volume holding the Spark job's checkpoints, mounted read-only where the driver mounts it, so that
   * `PIPELINE_CHECKPOINT_DIR` means the same path.
   */
  readonly checkpointsVolumeName: string;
  /**
   * Memory limit in MiB.
   * @default 192
   */
  readonly memoryMiB?: number;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
}

const CHECKPOINTS = '/checkpoints';

/**
 * The pipeline's own figures for Prometheus (jobs/pipeline-metrics.ts): outbox depth, ingest runs, topic offsets,
 * the Spark job's lag from its checkpoint and the dead letters by reason, read when Prometheus scrapes.
 */
export class PipelineMetrics extends Construct {
  public readonly container: ServiceContainer;
  public readonly endpoint: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: PipelineMetricsProps) {
    super(scope, id);
    const checkpointDir = props.environment.PIPELINE_CHECKPOINT_DIR;
    if (checkpointDir !== undefined && !checkpointDir.startsWith(`${CHECKPOINTS}/`)) {
      throw new PropError('environment', `must put PIPELINE_CHECKPOINT_DIR under ${CHECKPOINTS}/, where the checkpoints volume is mounted, got '${checkpointDir}'`);
    }
    const image = new ServiceImage(this, 'Image', { image: IMAGES.node, source: props.imageSource });
    const target = '/opt/kafka-pipelining/pipeline-metrics.js';
    const code = new ShippedFiles(this, 'Code', { files: [{ source: bundleNodeJob(this, path.join(__dirname, '..', 'jobs', 'pipeline-metrics.ts')), target }] });
    this.container = new ServiceContainer(this, 'Server', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB: validateMemoryMiB('memoryMiB', props.memoryMiB ?? 192, 128),
      command: ['node', target],
      user: 'node',
      environment: props.environment,
      files: code.uploads,
      volumes: [{ volumeName: props.checkpointsVolumeName, containerPath: CHECKPOINTS, readOnly: true }],
      // The slim Node.js image has no curl: Node's own fetch asks.
      healthCheck: HealthCheck.command(
        ['node', '-e', `fetch('http://127.0.0.1:${PIPELINE_METRICS_PORT}/-/healthy').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        { intervalSeconds: 10, startPeriodSeconds: 10 },
      ),
    });
    this.endpoint = { job: 'pipeline', address: `${props.name}:${PIPELINE_METRICS_PORT}`, path: '/metrics' };
  }
}
