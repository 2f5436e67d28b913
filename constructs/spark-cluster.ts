import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { PublishingServiceProps } from './platform-service-props';
import { SparkImage } from './spark-image';
import { SparkMaster } from './spark-master';
import { SparkSecurity } from './spark-security';
import { SparkWorker } from './spark-worker';
import { StateVolume } from './state-volume';
import { PropError, validateIntegerRange, withPropNames } from './validation';

/** What a Spark driver needs from a standalone cluster. */
export interface ISparkCluster {
  /** `spark://host:port` for drivers on the platform network. */
  readonly masterUrl: string;
  /** The image drivers run: the cluster's Spark version with the pipeline's connectors. */
  readonly imageId: string;
  /**
   * The named volume a driver mounts at `/checkpoints`. Only the driver writes there (the stream keeps no state in its
   * executors: its checkpoint is offsets and commits), so the workers need not reach it and may run on any host.
   */
  readonly checkpointsVolumeName: string;
  /** The most memory one executor can get: what the smallest worker offers. */
  readonly maxExecutorMemoryMiB: number;
  /** Cores all workers offer together. */
  readonly totalCores: number;
  /** What a driver is created after, so that it finds the cluster serving. */
  readonly dependables: readonly ITerraformDependable[];
  /**
   * The cluster's shared secret, which a driver must hold (`spark.authenticate`).
   * @default - none: the cluster does not authenticate
   */
  readonly security?: SparkSecurity;
}

/** A standalone cluster the platform does not run, given by address. */
export interface ExistingSparkClusterAttributes {
  /** `spark://host:port` of its master, reachable from the platform network. */
  readonly masterUrl: string;
  /** A named volume on the Docker host the driver runs on, for its checkpoints (its workers need not mount it). */
  readonly checkpointsVolumeName: string;
  /** The most memory one executor can get. */
  readonly maxExecutorMemoryMiB: number;
  /** Cores its workers offer together. */
  readonly totalCores: number;
  /**
   * The cluster's shared secret (its `spark.authenticate.secret`), when it authenticates; pass a token (e.g. a
   * sensitive TerraformVariable) to keep it out of the plan.
   * @default - none: the cluster does not authenticate, and the driver presents no secret
   */
  readonly authenticationSecret?: string;
  /**
   * Where the driver's image (Spark of `versions.ts` with the connectors) comes from; the cluster must
   * run the same Spark version and have the same connectors.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
}

export interface SparkClusterProps extends PublishingServiceProps {
  /**
   * Number of workers.
   * @default 1
   */
  readonly workers?: number;
  /**
   * Cores each worker offers (see SparkWorkerProps.cores for why more than the host has).
   * @default 4
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
  /**
   * Serve the master's and the workers' figures in Prometheus' format on their web UIs (`metricsEndpoints`).
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const MAX_SPARK_WORKERS = 8;

/**
 * A standalone Spark cluster: one master, N workers, one image with the connectors, a checkpoint volume. Master,
 * workers and drivers share a generated secret (`spark.authenticate`, see SparkSecurity).
 */
export class SparkCluster extends Construct implements ISparkCluster {
  /**
   * A cluster that runs elsewhere, for a streaming job's driver to submit to. The driver's image is
   * pulled (or built) under `scope`/`id`.
   */
  public static fromExisting(scope: Construct, id: string, attributes: ExistingSparkClusterAttributes): ISparkCluster {
    if (!/^spark:\/\/\S+:\d+$/.test(attributes.masterUrl)) throw new PropError('masterUrl', `must be spark://host:port, got '${attributes.masterUrl}'`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]+$/.test(attributes.checkpointsVolumeName)) {
      throw new PropError('checkpointsVolumeName', `must be a Docker volume name, got '${attributes.checkpointsVolumeName}'`);
    }
    return {
      masterUrl: attributes.masterUrl,
      imageId: new SparkImage(scope, id, { imageSource: attributes.imageSource }).imageId,
      checkpointsVolumeName: attributes.checkpointsVolumeName,
      maxExecutorMemoryMiB: validateIntegerRange('maxExecutorMemoryMiB', attributes.maxExecutorMemoryMiB, 256, 262144),
      totalCores: validateIntegerRange('totalCores', attributes.totalCores, 1, 4096),
      dependables: [],
      security: attributes.authenticationSecret === undefined ? undefined : new SparkSecurity(scope, `${id}Security`, { secret: attributes.authenticationSecret }),
    };
  }

  public readonly image: SparkImage;
  public readonly master: SparkMaster;
  public readonly workers: readonly SparkWorker[];
  /** Streaming checkpoints, mounted at `/checkpoints` in the drivers (the workers keep nothing of the stream). */
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
        prometheusMetrics: props.prometheusMetrics,
      }),
    );
    this.workers = Array.from({ length: workerCount }, (_, i) =>
      withPropNames({ memoryMiB: 'workerMemoryMiB', cores: 'workerCores' }, () =>
        new SparkWorker(this, `Worker${i + 1}`, {
          name: `${name}-worker-${i + 1}`,
          network: props.network,
          imageId: this.image.imageId,
          master: this.master,
          cores: props.workerCores,
          memoryMiB: props.workerMemoryMiB,
          prometheusMetrics: props.prometheusMetrics,
        }),
      ),
    );
  }

  public get security(): SparkSecurity {
    return this.master.security;
  }

  public get masterUrl(): string {
    return this.master.masterUrl;
  }

  public get imageId(): string {
    return this.image.imageId;
  }

  public get checkpointsVolumeName(): string {
    return this.checkpoints.volumeName;
  }

  public get maxExecutorMemoryMiB(): number {
    return Math.min(...this.workers.map((w) => w.executorMemoryMiB));
  }

  public get totalCores(): number {
    return this.workers.reduce((sum, w) => sum + w.cores, 0);
  }

  /** Where Prometheus scrapes the master and each worker, with `prometheusMetrics`. */
  public get metricsEndpoints(): MetricsEndpoint[] {
    return [this.master, ...this.workers].flatMap((daemon) => (daemon.metricsEndpoint ? [daemon.metricsEndpoint] : []));
  }

  /** Every worker: a driver submitted before they are ALIVE would wait for executors. */
  public get dependables(): readonly ITerraformDependable[] {
    return this.workers.map((w) => w.container.resource);
  }
}
