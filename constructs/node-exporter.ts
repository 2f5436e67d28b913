import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformNetwork } from './platform-network';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { StateVolume } from './state-volume';
import { validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface NodeExporterProps {
  readonly network: PlatformNetwork;
  /** Container name. */
  readonly name: string;
  /** The volumes whose filesystem it reports, each mounted read-only at `/volumes/<its name>`. */
  readonly volumes: readonly StateVolume[];
  /**
   * Memory limit in MiB.
   * @default 128
   */
  readonly memoryMiB?: number;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
}

const PORT = 9100;
/** Where the volumes are mounted: the `mountpoint` label of their filesystem figures starts with it. */
export const VOLUMES_MOUNT_DIRECTORY = '/volumes';

/**
 * Prometheus' node exporter with a few collectors: the Docker host's CPU, memory and load, and the size and free
 * space of the filesystem under each state volume. A local volume is a directory of the engine's filesystem, so
 * what fills one fills them all: its figures say how close each service's state is to running out of disk.
 */
export class NodeExporter extends Construct {
  public readonly container: ServiceContainer;
  public readonly endpoint: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    super(scope, id);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.nodeExporter, source: props.imageSource });
    this.container = new ServiceContainer(this, 'Exporter', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB: validateMemoryMiB('memoryMiB', props.memoryMiB ?? 128, 32),
      command: [
        `--web.listen-address=:${PORT}`,
        '--collector.disable-defaults',
        '--collector.cpu',
        '--collector.meminfo',
        '--collector.loadavg',
        '--collector.filesystem',
        // Only the container's own pseudo filesystems are left out: the volumes are whatever filesystem the
        // engine keeps them on, overlay included.
        '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|etc)($|/)',
        '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|mqueue|nsfs|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|sysfs|tmpfs|tracefs)$',
      ],
      volumes: props.volumes.map((v) => ({ volumeName: v.volumeName, containerPath: `${VOLUMES_MOUNT_DIRECTORY}/${v.name}`, readOnly: true })),
      healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORT}/metrics`], { intervalSeconds: 15, startPeriodSeconds: 5 }),
    });
    this.endpoint = { job: 'node', address: `${props.name}:${PORT}`, path: '/metrics' };
  }
}
