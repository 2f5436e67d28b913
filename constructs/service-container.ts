import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';
import { HealthCheck } from './health-check';
import { PlatformNetwork } from './platform-network';
import { DEFAULT_BIND_ADDRESS, hostAddress } from './platform-service-props';
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
   * Environment variables. Those whose names say they hold a secret (`isSecretVariable`: a password, a secret, a
   * key, a connection string or DSN) are never in a swarm service's environment: the swarm target mounts each as a
   * Docker secret and sets `<NAME>_FILE` (`<NAME>_CMD` for Airflow's settings) instead.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Named volumes to mount.
   * @default - none
   */
  readonly volumes?: VolumeAttachment[];
  /**
   * Files copied in before start. A swarm keeps as a Docker secret each that holds one (only its owner may read it,
   * permissions `0600` or `0400`, or its content is known only at deploy time), the others as configs.
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
  /**
   * Its place in a group whose members should run on different hosts (broker i, Cassandra node i, the job that writes
   * broker i's files): a target of several hosts puts member i on its i-th host (modulo their number). One Docker host
   * ignores it.
   * @default 0
   */
  readonly spreadOrdinal?: number;
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

/** A long-running service as a target renders it: every default applied, every value checked. */
export interface ServiceSpec extends ServiceContainerProps {
  readonly ports: PublishedPort[];
  readonly waitTimeoutSeconds: number;
  readonly restart: NonNullable<ServiceContainerProps['restart']>;
  readonly stopGraceSeconds: number;
  readonly spreadOrdinal: number;
}

/** Checks what every target needs of a service or a job. */
export function validateContainerBase(props: ContainerBaseProps): void {
  if (props.spreadOrdinal !== undefined) validateIntegerRange('spreadOrdinal', props.spreadOrdinal, 0, 1000);
  validateIntegerRange(`${props.name}: memoryMiB`, props.memoryMiB, 64, 262144);
}

/**
 * A long-running service: health-checked, and created only once it is healthy (`wait`), so whatever
 * depends on it starts after it really serves. Restarted when it crashes. The deployment target of its scope
 * (DeploymentTarget.of) renders it: a container on one Docker host, a service on a swarm.
 */
export class ServiceContainer extends Construct {
  /** Its name: its DNS name for other services (a token, so referencing it orders creation). */
  public readonly name: string;
  public readonly publishedPorts: readonly PublishedPort[];
  /** The address a client outside the platform dials for its published ports: the swarm node it is placed on, or its bind address's. */
  public readonly publishedHost: string;
  /** The resource to list in another's `dependsOn`. */
  public readonly resource: ITerraformDependable;

  constructor(scope: Construct, id: string, props: ServiceContainerProps) {
    super(scope, id);
    validateContainerBase(props);
    const ports = props.ports ?? [];
    this.publishedPorts = ports;
    for (const port of this.publishedPorts) {
      validatePort(port.prop, port.hostPort);
      validateBindAddress('bindAddress', port.bindAddress);
    }
    const target = DeploymentTarget.of(this);
    this.publishedHost = target.publishedAddress(props.spreadOrdinal ?? 0) ?? hostAddress(ports[0]?.bindAddress ?? DEFAULT_BIND_ADDRESS);
    const rendered = target.renderService(this, {
      ...props,
      ports,
      waitTimeoutSeconds: validateIntegerRange('waitTimeoutSeconds', props.waitTimeoutSeconds ?? 180, 10, 3600),
      restart: props.restart ?? 'unless-stopped',
      stopGraceSeconds: validateIntegerRange('stopGraceSeconds', props.stopGraceSeconds ?? 30, 1, 600),
      spreadOrdinal: props.spreadOrdinal ?? 0,
    });
    this.resource = rendered.resource;
    this.name = rendered.name;
  }
}
