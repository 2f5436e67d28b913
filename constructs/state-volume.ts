import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';

export interface StateVolumeProps {
  /** The Docker volume's name. */
  readonly name: string;
  /**
   * Keep the volume (and its data) when the stack is destroyed. A retained volume is not a Terraform
   * resource: Docker creates it on first mount and `cdktf destroy` leaves it, so a redeploy finds the data.
   * @default false
   */
  readonly retain?: boolean;
  /**
   * It holds a secret: only its own service mounts it (the monitoring's node exporter does not watch it).
   * @default false
   */
  readonly holdsSecret?: boolean;
}

/** A named volume holding a service's state (data directories, logs, checkpoints). */
export class StateVolume extends Construct {
  /** The Docker volume's name as given (a literal, for where it is no reference: a mount point's path, a label). */
  public readonly name: string;
  /**
   * The name to mount; a token referencing the volume resource when Terraform manages it. On a swarm it is never a
   * resource: each volume is local to the node its service is pinned to, which makes it on first mount.
   */
  public readonly volumeName: string;
  public readonly retained: boolean;
  public readonly holdsSecret: boolean;

  constructor(scope: Construct, id: string, props: StateVolumeProps) {
    super(scope, id);
    this.name = props.name;
    this.retained = props.retain ?? false;
    this.holdsSecret = props.holdsSecret ?? false;
    const managed = !this.retained && DeploymentTarget.of(this).managesVolumes;
    this.volumeName = managed ? new Volume(this, 'Volume', { name: props.name }).name : props.name;
  }
}
