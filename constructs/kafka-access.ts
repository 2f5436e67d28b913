import * as path from 'path';
import { Construct } from 'constructs';
import { ImageSource } from './image-source';
import { KafkaAcl, kafkaAclCommands, KafkaCredential } from './kafka-acls';
import { OneShotContainer } from './one-shot-container';
import { PlatformNetwork } from './platform-network';
import { ContainerBaseProps } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

export interface KafkaAccessProps {
  readonly network: PlatformNetwork;
  /** Name of the one-shot container that precedes every broker. */
  readonly brokerJobName: string;
  /** Name of the one-shot container that runs beside the brokers' start. */
  readonly clientsJobName: string;
  /** Where the brokers keep their metadata, credentials and ACLs. */
  readonly zookeeper: IZooKeeper;
  /** The brokers' own SCRAM login (inter-broker). */
  readonly brokerCredential: KafkaCredential;
  /** The SCRAM login of every client. */
  readonly clientCredentials: readonly KafkaCredential[];
  /** The allow rules (kafkaAcls). */
  readonly acls: readonly KafkaAcl[];
  /** The brokers' own secret files, by file name: written to the secrets volume for their user alone. */
  readonly brokerFiles: Readonly<Record<string, string>>;
  /** The volume every broker mounts its secret files from. */
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
/** Where the job writes the brokers' files (every broker mounts the same volume read-only). */
export const KAFKA_SECRETS_DIRECTORY = '/var/lib/kafka-pipelining/secrets';

/**
 * The cluster's logins and permissions, applied by two one-shot jobs in the Kafka image once ZooKeeper serves: in
 * ZooKeeper mode the SCRAM credentials and the ACLs live in ZooKeeper, cluster-wide, and `kafka-configs --zookeeper`
 * is the documented way to create them before any broker runs.
 * - `brokerJob`, before any broker starts (every broker depends on it): the brokers' own credential, and their JAAS
 *   file and their tools' client properties onto a volume of their own, owned by the brokers' user and readable by
 *   it alone (an upload is root's).
 * - `clientsJob`, while the brokers start: every client's credential and every rule. Each tool is a JVM of its own,
 *   about 2 s of a core, so the clients' twenty calls kept the broker waiting 50 s when they preceded it; whoever
 *   connects waits for this job instead (`KafkaCluster.bootstrapServers`).
 *
 * Rules are added, never removed: a rule of a topic the platform no longer uses stays until removed by hand.
 */
export class KafkaAccess extends Construct {
  public readonly brokerJob: OneShotContainer;
  public readonly clientsJob: OneShotContainer;

  constructor(scope: Construct, id: string, props: KafkaAccessProps) {
    super(scope, id);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.kafka, source: props.imageSource });
    const script = new ShippedFiles(this, 'Script', { files: [{ source: path.join(__dirname, 'assets', 'kafka-access.sh'), target: SCRIPT }] });
    const lines = (rows: readonly string[]): string => rows.map((row) => `${row}\n`).join('');
    const credentials = (logins: readonly KafkaCredential[]) => ({
      // Passwords in files readable by root alone, the job's user: `docker inspect` shows none.
      file: `${PLAN}/credentials`, content: lines(logins.map((c) => `${c.username} ${c.password}`)), permissions: '0600',
    });
    const job = (jobId: string, mode: 'broker' | 'clients', options: Pick<ContainerBaseProps, 'name' | 'files' | 'volumes' | 'memoryMiB'>) =>
      new OneShotContainer(this, jobId, {
        ...options,
        image: image.imageId,
        network: props.network,
        command: ['bash', SCRIPT, mode, props.zookeeper.connectString, PLAN, KAFKA_SECRETS_DIRECTORY],
        files: [...script.uploads, ...(options.files ?? [])],
        // Root: to read the plan (and to give the volume's files to the broker's user).
        user: '0',
      });
    this.brokerJob = job('Run', 'broker', {
      name: props.brokerJobName,
      memoryMiB: 256,
      files: [
        credentials([props.brokerCredential]),
        ...Object.entries(props.brokerFiles).map(([file, content]) => ({ file: `${PLAN}/broker/${file}`, content, permissions: '0600' })),
      ],
      volumes: [{ volumeName: props.secretsVolume.volumeName, containerPath: KAFKA_SECRETS_DIRECTORY }],
    });
    this.clientsJob = job('Clients', 'clients', {
      name: props.clientsJobName,
      // Three tools at a time, each with a 64 MiB heap.
      memoryMiB: 512,
      files: [
        credentials(props.clientCredentials),
        { file: `${PLAN}/acls`, content: lines(kafkaAclCommands(props.acls).map((args) => args.join(' '))), permissions: '0600' },
      ],
    });
  }
}
