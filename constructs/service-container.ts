import { Container, ContainerConfig, ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { PlatformNetwork } from './platform-network';
import { validateBindAddress, validateIntegerRange, validatePort } from './validation';

/** A container port published on the Docker host. */
export interface PublishedPort {
  readonly containerPort: number;
  readonly hostPort: number;
  /** Host address to bind to. */
  readonly bindAddress: string;
  /** The prop that set `hostPort`, for error messages (e.g. `hostPort`). */
  readonly prop: string;
}

/** A named volume mounted into a container. */
export interface VolumeAttachment {
  readonly volumeName: string;
  readonly containerPath: string;
  /**
   * Mount it read-only: for a container that only looks at another service's state.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** What long-running and one-shot containers have in common. */
export interface ContainerBaseProps {
  /** Container name, also its DNS name on the platform network. */
  readonly name: string;
  /** Image id to run. */
  readonly image: string;
  readonly network: PlatformNetwork;
  /**
   * Memory limit in MiB.
   */
  readonly memoryMiB: number;
  /**
   * Command (replaces the image's CMD).
   * @default - the image's CMD
   */
  readonly command?: string[];
  /**
   * Environment variables.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Named volumes to mount.
   * @default - none
   */
  readonly volumes?: VolumeAttachment[];
  /**
   * Files copied in before start.
   * @default - none
   */
  readonly files?: ContainerUpload[];
  /**
   * Resources that must exist (and, for containers, be healthy or finished) before this one is created,
   * beyond those its configuration already references.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * User to run as.
   * @default - the image's user
   */
  readonly user?: string;
}

export interface ServiceContainerProps extends ContainerBaseProps {
  readonly healthCheck: HealthCheck;
  /**
   * Ports published on the Docker host.
   * @default - none
   */
  readonly ports?: PublishedPort[];
  /**
   * Seconds Terraform waits for the container to become healthy before failing the deploy.
   * @default 180
   */
  readonly waitTimeoutSeconds?: number;
  /**
   * Docker restart policy.
   * @default 'unless-stopped'
   */
  readonly restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /**
   * Seconds the service has to stop after its stop signal when `cdktf destroy` (or a replacement) removes
   * it, before it is killed. Without it the provider kills at once, and state kept on a volume
   * (`retainVolumes`) would have to be recovered like after a crash.
   * @default 30
   */
  readonly stopGraceSeconds?: number;
}

/** The container settings shared by long-running and one-shot containers. */
export function baseContainerConfig(props: ContainerBaseProps): ContainerConfig {
  validateIntegerRange(`${props.name}: memoryMiB`, props.memoryMiB, 64, 262144);
  return {
    name: props.name,
    image: props.image,
    command: props.command,
    env: Object.entries(props.environment ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}=${value}`),
    memory: props.memoryMiB,
    // No swap beyond the limit: a JVM that outgrows its box should fail visibly, not crawl.
    memorySwap: props.memoryMiB,
    networksAdvanced: [{ name: props.network.name, aliases: [props.name] }],
    volumes: props.volumes?.map((v) => ({ volumeName: v.volumeName, containerPath: v.containerPath, readOnly: v.readOnly })),
    upload: props.files,
    dependsOn: props.dependsOn,
    user: props.user,
    logDriver: 'json-file',
    logOpts: { 'max-size': '20m', 'max-file': '3' },
  };
}

/**
 * A long-running service: health-checked, and created only once it is healthy (`wait`), so whatever
 * depends on it starts after it really serves. Restarted by Docker when it crashes.
 */
export class ServiceContainer extends Construct {
  /** The container's name: its DNS name for other containers (a token, so referencing it orders creation). */
  public readonly name: string;
  public readonly publishedPorts: readonly PublishedPort[];
  public readonly resource: Container;

  constructor(scope: Construct, id: string, props: ServiceContainerProps) {
    super(scope, id);
    this.publishedPorts = props.ports ?? [];
    for (const port of this.publishedPorts) {
      validatePort(port.prop, port.hostPort);
      validateBindAddress('bindAddress', port.bindAddress);
    }
    this.resource = new Container(this, 'Container', {
      ...baseContainerConfig(props),
      ports: this.publishedPorts.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.bindAddress, protocol: 'tcp' })),
      healthcheck: props.healthCheck.render(),
      wait: true,
      waitTimeout: validateIntegerRange('waitTimeoutSeconds', props.waitTimeoutSeconds ?? 180, 10, 3600),
      restart: props.restart ?? 'unless-stopped',
      destroyGraceSeconds: validateIntegerRange('stopGraceSeconds', props.stopGraceSeconds ?? 30, 1, 600),
      mustRun: true,
    });
    this.name = this.resource.name;
  }
}
