import { Container } from '@cdktf/provider-docker/lib/container';
import { Construct } from 'constructs';
import { baseContainerConfig, ContainerBaseProps } from './service-container';

/**
 * The last lines of the container's output, in Terraform's language, for the error message: Docker's stream
 * framing bytes removed (the provider keeps them), at most 15 lines.
 */
const OUTPUT_LINES = 'split("\\n", trimspace(replace(self.container_logs == null ? "" : self.container_logs, "/[\\\\x00-\\\\x08\\\\x0e-\\\\x1f]/", "")))';
const LAST_LINES = `join("\\n", slice(${OUTPUT_LINES}, max(0, length(${OUTPUT_LINES}) - 15), length(${OUTPUT_LINES})))`;

/**
 * A container that runs to completion once (a migration, a bootstrap). Terraform attaches to it, waits
 * for it to exit, and fails the deploy unless it exited 0, so nothing that depends on it starts after a
 * failed run; the deploy's error ends with the container's last lines, which say why (e.g. the field that
 * makes a schema incompatible). Its logs stay readable with `docker logs` and in state as `container_logs`.
 */
export class OneShotContainer extends Construct {
  public readonly name: string;
  public readonly resource: Container;

  constructor(scope: Construct, id: string, props: ContainerBaseProps) {
    super(scope, id);
    this.resource = new Container(this, 'Container', {
      ...baseContainerConfig(props),
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
    this.name = this.resource.name;
  }
}
