import * as path from 'path';
import { Construct } from 'constructs';
import { ImageSource } from './image-source';
import { KafkaAcl, kafkaAclArguments, KafkaCredential } from './kafka-acls';
import { OneShotContainer } from './one-shot-container';
import { PlatformNetwork } from './platform-network';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

export interface KafkaAccessProps {
  readonly network: PlatformNetwork;
  /** Name of the one-shot container. */
  readonly name: string;
  /** Where the broker keeps its metadata, credentials and ACLs. */
  readonly zookeeper: IZooKeeper;
  /** Every SCRAM login of the broker, its own included. */
  readonly credentials: readonly KafkaCredential[];
  /** The allow rules (kafkaAcls). */
  readonly acls: readonly KafkaAcl[];
  /** The broker's own secret files, by file name: written to the secrets volume for its user alone. */
  readonly brokerFiles: Readonly<Record<string, string>>;
  /** The volume the broker mounts its secret files from. */
  readonly secretsVolume: StateVolume;
  /**
   * Where the Kafka image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
}

const ASSETS = '/opt/kafka-pipelining';
const SCRIPT = `${ASSETS}/kafka-access.sh`;
const PLAN = '/run/kafka-pipelining/kafka-access';
/** Where the job writes the broker's files (the broker mounts the same volume read-only). */
export const KAFKA_SECRETS_DIRECTORY = '/var/lib/kafka-pipelining/secrets';

/**
 * The broker's logins and permissions, applied at every deploy by a one-shot job in the Kafka image, once ZooKeeper
 * serves and before the broker starts (the broker depends on it): in ZooKeeper mode the SCRAM credentials and the
 * ACLs live in ZooKeeper, and `kafka-configs --zookeeper` is the documented way to create the broker's own
 * credential before any broker runs. The job also writes the broker's JAAS file and its tools' client properties
 * onto a volume of their own, owned by the broker's user and readable by it alone (an upload is root's).
 *
 * Rules are added, never removed: a rule of a topic the platform no longer uses stays until removed by hand.
 */
export class KafkaAccess extends Construct {
  public readonly container: OneShotContainer;

  constructor(scope: Construct, id: string, props: KafkaAccessProps) {
    super(scope, id);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.kafka, source: props.imageSource });
    const script = new ShippedFiles(this, 'Script', { files: [{ source: path.join(__dirname, 'assets', 'kafka-access.sh'), target: SCRIPT }] });
    const lines = (rows: readonly string[]): string => rows.map((row) => `${row}\n`).join('');
    this.container = new OneShotContainer(this, 'Run', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB: 384,
      command: ['bash', SCRIPT, props.zookeeper.connectString, PLAN, KAFKA_SECRETS_DIRECTORY],
      files: [
        ...script.uploads,
        // Passwords in files readable by root alone, the job's user: `docker inspect` shows none.
        { file: `${PLAN}/credentials`, content: lines(props.credentials.map((c) => `${c.username} ${c.password}`)), permissions: '0600' },
        { file: `${PLAN}/acls`, content: lines(props.acls.map((acl) => kafkaAclArguments(acl).join(' '))), permissions: '0600' },
        ...Object.entries(props.brokerFiles).map(([file, content]) => ({ file: `${PLAN}/broker/${file}`, content, permissions: '0600' })),
      ],
      volumes: [{ volumeName: props.secretsVolume.volumeName, containerPath: KAFKA_SECRETS_DIRECTORY }],
      // Root: to read the plan, and to give the volume's files to the broker's user.
      user: '0',
    });
  }
}
