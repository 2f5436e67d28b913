import { Container } from '@cdktf/provider-docker/lib/container';
import { Construct } from 'constructs';
import { baseContainerConfig, ContainerBaseProps } from './service-container';

/**
 * A container that runs to completion once (a migration, a bootstrap). Terraform attaches to it, waits
 * for it to exit, and fails the deploy unless it exited 0, so nothing that depends on it starts after a
 * failed run. Its logs stay readable with `docker logs` and in state as `container_logs`.
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
            errorMessage: `${props.name} exited non-zero: read its output with 'docker logs ${props.name}'.`,
          },
        ],
      },
    });
    this.name = this.resource.name;
  }
}
