import { Container, ContainerConfig } from '@cdktf/provider-docker/lib/container';
import { Construct } from 'constructs';
import type { IDeploymentTarget, RenderedService } from './deployment-target';
import type { ContainerBaseProps, ServiceSpec } from './service-container';

/**
 * The last lines of a job's output, in Terraform's language, for the error message: Docker's stream framing bytes
 * removed (the provider keeps them), at most 15 lines.
 */
const OUTPUT_LINES = 'split("\\n", trimspace(replace(self.container_logs == null ? "" : self.container_logs, "/[\\\\x00-\\\\x08\\\\x0e-\\\\x1f]/", "")))';
const LAST_LINES = `join("\\n", slice(${OUTPUT_LINES}, max(0, length(${OUTPUT_LINES}) - 15), length(${OUTPUT_LINES})))`;

/** One Docker engine: every service a `docker_container`, every named volume a Terraform resource. */
export class DockerHostTarget implements IDeploymentTarget {
  public readonly kind = 'docker-host';
  public readonly managesVolumes = true;

  public networkDriver(): 'bridge' {
    return 'bridge';
  }

  /** The port's bind address says where it is. */
  public publishedAddress(): undefined {
    return undefined;
  }

  /** Created once healthy (`wait`), restarted by Docker when it crashes. */
  public renderService(scope: Construct, spec: ServiceSpec): RenderedService {
    const container = new Container(scope, 'Container', {
      ...containerConfig(spec),
      ports: spec.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.bindAddress, protocol: 'tcp' })),
      healthcheck: spec.healthCheck.render(),
      wait: true,
      waitTimeout: spec.waitTimeoutSeconds,
      restart: spec.restart,
      destroyGraceSeconds: spec.stopGraceSeconds,
      mustRun: true,
    });
    return { name: container.name, resource: container };
  }

  /**
   * Terraform attaches to the container, waits for it to exit, and fails the deploy unless it exited 0. Its logs stay
   * readable with `docker logs` and in state as `container_logs`.
   */
  public renderJob(scope: Construct, props: ContainerBaseProps): RenderedService {
    const container = new Container(scope, 'Container', {
      ...containerConfig(props),
      attach: true,
      logs: true,
      mustRun: false,
      restart: 'no',
      lifecycle: {
        postcondition: [
          {
            condition: '${self.exit_code == 0}',
            errorMessage: `${props.name} exited non-zero (all of its output: 'docker logs ${props.name}'); its last lines:\n\${${LAST_LINES}}`,
          },
        ],
      },
    });
    return { name: container.name, resource: container };
  }
}

/** The container settings shared by long-running and one-shot containers. */
function containerConfig(props: ContainerBaseProps): ContainerConfig {
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
