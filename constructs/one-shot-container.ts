import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';
import { ContainerBaseProps, validateContainerBase } from './service-container';

/**
 * A container that runs to completion once (a migration, a bootstrap), rendered by the deployment target of its
 * scope. On one Docker host the deploy waits for it to exit and fails unless it exited 0, so nothing that depends on
 * it starts after a failed run; the deploy's error ends with the container's last lines, which say why (e.g. the field
 * that makes a schema incompatible).
 */
export class OneShotContainer extends Construct {
  public readonly name: string;
  /** The resource to list in another's `dependsOn`. */
  public readonly resource: ITerraformDependable;

  constructor(scope: Construct, id: string, props: ContainerBaseProps) {
    super(scope, id);
    validateContainerBase(props);
    const rendered = DeploymentTarget.of(this).renderJob(this, props);
    this.resource = rendered.resource;
    this.name = rendered.name;
  }
}
