import * as path from 'path';
import { Construct } from 'constructs';
import { OneShotContainer } from './one-shot-container';
import { PlatformNetwork } from './platform-network';
import { VolumeAttachment } from './service-container';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';

export interface FernetKeyProps {
  /** Name of the volume holding the key and of the one-shot container that makes it. */
  readonly name: string;
  readonly network: PlatformNetwork;
  /** An image with bash and coreutils in which `owner` exists: the Airflow image. */
  readonly image: string;
  /**
   * The user that reads the key (Airflow's components run as it).
   * @default 'airflow'
   */
  readonly owner?: string;
  /**
   * Keep the key's volume when the stack is destroyed; keep it exactly when the metadata database it
   * encrypts is kept.
   * @default false
   */
  readonly retain?: boolean;
}

const DIRECTORY = '/opt/airflow/fernet';
const KEY_FILE = `${DIRECTORY}/key`;
const SCRIPT = '/opt/kafka-pipelining/fernet-key.sh';

/**
 * Airflow's Fernet key, which encrypts connections and variables at rest in the metadata database. It
 * lives on a volume of its own, made once by a one-shot container when the volume holds none and never
 * replaced, so it lasts as long as the volume: with `retain`, across `cdktf destroy` and `cdktf deploy`,
 * like the database. It is in no plan, state or environment: components read it with
 * `AIRFLOW__CORE__FERNET_KEY_CMD` from the volume, mounted read-only.
 */
export class FernetKey extends Construct {
  /** The key's volume as Airflow's components mount it: read-only. */
  public readonly mount: VolumeAttachment;
  /** A command printing the key, for `AIRFLOW__CORE__FERNET_KEY_CMD` (Airflow runs it without a shell). */
  public readonly command: string;
  /** The one-shot container that makes the key: components that read it start after it. */
  public readonly generator: OneShotContainer;
  public readonly volume: StateVolume;

  constructor(scope: Construct, id: string, props: FernetKeyProps) {
    super(scope, id);
    this.volume = new StateVolume(this, 'Volume', { name: props.name, retain: props.retain, holdsSecret: true });
    this.generator = new OneShotContainer(this, 'Generator', {
      name: props.name,
      image: props.image,
      network: props.network,
      memoryMiB: 128,
      // Root, to give the new volume's directory to the owner; the script only reads and writes the key.
      user: '0',
      command: ['bash', SCRIPT, KEY_FILE, props.owner ?? 'airflow'],
      // The Airflow image's entrypoint would wait for the metadata database first: not needed here.
      environment: { CONNECTION_CHECK_MAX_COUNT: '0' },
      files: new ShippedFiles(this, 'Script', {
        files: [{ source: path.join(__dirname, 'assets', 'fernet-key.sh'), target: SCRIPT }],
      }).uploads,
      volumes: [{ volumeName: this.volume.volumeName, containerPath: DIRECTORY }],
    });
    this.mount = { volumeName: this.volume.volumeName, containerPath: DIRECTORY, readOnly: true };
    this.command = `cat ${KEY_FILE}`;
  }
}
