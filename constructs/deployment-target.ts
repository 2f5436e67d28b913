import { ITerraformDependable } from 'cdktf';
import { Construct, IConstruct } from 'constructs';
import { DockerHostTarget } from './docker-host-target';
import type { ImageRegistry } from './image-registry';
import type { ContainerBaseProps, ServiceSpec } from './service-container';
import { SwarmTarget, type SwarmTargetProps } from './swarm-target';

/** A service or job as the target made it: its DNS name on the platform network and what to order after. */
export interface RenderedService {
  /** Its name (a token, so referencing it orders creation). */
  readonly name: string;
  /** The resource to list in another's `dependsOn`. */
  readonly resource: ITerraformDependable;
}

/**
 * Where the platform's services run. The service constructs describe a service once (ServiceContainerProps) and the
 * target renders it: one Docker host (DockerHostTarget, containers) or a Docker Swarm (SwarmTarget, services).
 * Set on a scope with `DeploymentTarget.use`; every construct below it finds it with `DeploymentTarget.of`.
 */
export interface IDeploymentTarget {
  /** 'docker-host' or 'swarm', for what differs beyond rendering (e.g. which ports a host exposes). */
  readonly kind: 'docker-host' | 'swarm';
  /** A long-running, health-checked service; created when healthy, restarted when it dies. */
  renderService(scope: Construct, spec: ServiceSpec): RenderedService;
  /** A job that runs to completion once (a bootstrap, a migration). */
  renderJob(scope: Construct, props: ContainerBaseProps): RenderedService;
  /** The network every service joins; services reach each other by name on it. */
  networkDriver(): 'bridge' | 'overlay';
  /** Whether named volumes are Terraform resources (one engine) or made by the node a task lands on. */
  readonly managesVolumes: boolean;
  /** Where the nodes pull images from, by digest; none: the engine deployed to holds them (one host, or a swarm whose every node has them). */
  readonly registry?: ImageRegistry;
  /**
   * The address a client outside the platform dials for the published ports of the service with this `spreadOrdinal`
   * (on a swarm, the host it is placed on); undefined: the port's bind address says it (one Docker host).
   */
  publishedAddress(spreadOrdinal: number): string | undefined;
  /** The largest file a service can be shipped, in bytes; undefined: no limit (a container's upload). */
  readonly maxFileBytes?: number;
}

const targets = new WeakMap<IConstruct, IDeploymentTarget>();
const DOCKER_HOST = new DockerHostTarget();

/** Makes targets; registers and finds the target of a construct tree, like `Stack.of`. */
export class DeploymentTarget {
  /** One Docker engine (the stack's `dockerHost`): containers, a bridge network, volumes as Terraform resources. */
  public static dockerHost(): IDeploymentTarget {
    return DOCKER_HOST;
  }

  /** A Docker Swarm whose manager is the stack's `dockerHost`: services on an overlay network across its hosts. */
  public static swarm(props: SwarmTargetProps): SwarmTarget {
    return new SwarmTarget(props);
  }

  /** Sets the target of `scope` and of every construct under it. */
  public static use(scope: IConstruct, target: IDeploymentTarget): void {
    targets.set(scope, target);
  }

  /** The target of the nearest scope that has one; one Docker host when none has. */
  public static of(scope: IConstruct): IDeploymentTarget {
    for (const ancestor of [...scope.node.scopes].reverse()) {
      const target = targets.get(ancestor);
      if (target) return target;
    }
    return DOCKER_HOST;
  }
}
