import { Network } from '@cdktf/provider-docker/lib/network';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';

export interface PlatformNetworkProps {
  /** The Docker network's name. */
  readonly name: string;
}

/**
 * The network every service joins; services reach each other by name. A bridge on one Docker host, an attachable
 * overlay across a swarm's hosts.
 */
export class PlatformNetwork extends Construct {
  public readonly name: string;
  public readonly resource: Network;

  constructor(scope: Construct, id: string, props: PlatformNetworkProps) {
    super(scope, id);
    const driver = DeploymentTarget.of(this).networkDriver();
    this.resource = new Network(this, 'Network', { name: props.name, driver, attachable: driver === 'overlay' ? true : undefined });
    this.name = this.resource.name;
  }
}
