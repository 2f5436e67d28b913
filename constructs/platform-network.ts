import { Network } from '@cdktf/provider-docker/lib/network';
import { Construct } from 'constructs';

export interface PlatformNetworkProps {
  /** The Docker network's name. */
  readonly name: string;
}

/** The user-defined bridge network every service joins; containers reach each other by container name. */
export class PlatformNetwork extends Construct {
  public readonly name: string;
  public readonly resource: Network;

  constructor(scope: Construct, id: string, props: PlatformNetworkProps) {
    super(scope, id);
    this.resource = new Network(this, 'Network', { name: props.name, driver: 'bridge' });
    this.name = this.resource.name;
  }
}
