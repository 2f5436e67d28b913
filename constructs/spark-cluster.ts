import { Construct } from 'constructs';
import { PublishingServiceProps } from './platform-service-props';
import { SparkImage } from './spark-image';
import { SparkMaster } from './spark-master';
import { SparkWorker } from './spark-worker';
import { StateVolume } from './state-volume';
import { validateIntegerRange, withPropNames } from './validation';

export interface SparkClusterProps extends PublishingServiceProps {
  /**
   * Number of workers.
   * @default 1
   */
  readonly workers?: number;
  /**
   * Cores each worker offers.
   * @default 2
   */
  readonly workerCores?: number;
  /**
   * Memory limit of each worker container in MiB.
   * @default 2048
   */
  readonly workerMemoryMiB?: number;
  /**
   * Memory limit of the master in MiB.
   * @default 768
   */
  readonly masterMemoryMiB?: number;
  /**
   * Host port of the master's web UI.
   * @default 9090
   */
  readonly masterUiHostPort?: number;
}

export const MAX_SPARK_WORKERS = 8;

/** A standalone Spark cluster: one master, N workers, one image with the connectors, a checkpoint volume. */
export class SparkCluster extends Construct {
  public readonly image: SparkImage;
  public readonly master: SparkMaster;
  public readonly workers: readonly SparkWorker[];
  /** Streaming checkpoints, mounted at `/checkpoints` in workers and drivers. */
  public readonly checkpoints: StateVolume;

  constructor(scope: Construct, id: string, props: SparkClusterProps) {
    super(scope, id);
    const name = props.name ?? 'spark';
    const workerCount = validateIntegerRange('workers', props.workers ?? 1, 1, MAX_SPARK_WORKERS);
    this.image = new SparkImage(this, 'Image', { imageSource: props.imageSource });
    this.checkpoints = new StateVolume(this, 'Checkpoints', { name: `${name}-checkpoints`, retain: props.retainVolumes });
    this.master = withPropNames({ memoryMiB: 'masterMemoryMiB', hostPort: 'masterUiHostPort' }, () =>
      new SparkMaster(this, 'Master', {
        name: `${name}-master`,
        network: props.network,
        imageId: this.image.imageId,
        bindAddress: props.bindAddress,
        hostPort: props.masterUiHostPort,
        memoryMiB: props.masterMemoryMiB,
      }),
    );
    this.workers = Array.from({ length: workerCount }, (_, i) =>
      withPropNames({ memoryMiB: 'workerMemoryMiB', cores: 'workerCores' }, () =>
        new SparkWorker(this, `Worker${i + 1}`, {
          name: `${name}-worker-${i + 1}`,
          network: props.network,
          imageId: this.image.imageId,
          master: this.master,
          checkpoints: this.checkpoints,
          cores: props.workerCores,
          memoryMiB: props.workerMemoryMiB,
        }),
      ),
    );
  }

  /** Cores all workers offer together. */
  public get totalCores(): number {
    return this.workers.reduce((sum, w) => sum + w.cores, 0);
  }
}
