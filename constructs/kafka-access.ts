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
import { validateIntegerRange } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

/**
 * Where the access jobs write: ZooKeeper, before and beside the brokers' start (ZooKeeper mode), or the running
 * cluster's Admin API (KRaft, where credentials and rules live in the metadata log), logged in with a login the
 * brokers themselves check (not one of the log's).
 */
export type KafkaAccessTarget =
  | { readonly mode: 'zookeeper'; readonly zookeeper: IZooKeeper }
  | { readonly mode: 'kraft' };

export interface KafkaAccessProps {
  readonly network: PlatformNetwork;
  /** Name of the one-shot container that precedes every broker. */
  readonly brokerJobName: string;
  readonly target: KafkaAccessTarget;
  /** The brokers' own login (inter-broker): written to ZooKeeper in ZooKeeper mode. */
  readonly brokerCredential: KafkaCredential;
  /** The brokers' own secret files, by file name: written to the secrets volume for their user alone. */
  readonly brokerFiles: Readonly<Record<string, string>>;
  /** The volume every broker mounts its secret files from. */
  readonly secretsVolume: StateVolume;
  /**
   * Copies of the brokers' job, copy i placed as broker i is (`spreadOrdinal`), each writing its host's `secretsVolume`:
   * on a swarm a named volume is its node's, so every host with a broker needs its own copy of the files.
   * @default 1
   */
  readonly brokerJobCopies?: number;
  /**
   * Where the Kafka image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
}

/** The clients' job: who logs in and what each may do. */
export interface KafkaClientsAccess {
  /** Name of the one-shot container. */
  readonly name: string;
  /** The SCRAM login of every client. */
  readonly credentials: readonly KafkaCredential[];
  /** The allow rules (kafkaAcls). */
  readonly acls: readonly KafkaAcl[];
  /**
   * In KRaft mode, the brokers' addresses on the platform network and the client properties of a super user's login
   * that the brokers check without the metadata log (the job starts once those brokers are healthy).
   * @default - none: required in KRaft mode, unused in ZooKeeper mode
   */
  readonly admin?: { readonly bootstrapServers: string; readonly clientProperties: string };
}

const ASSETS = '/opt/kafka-pipelining';
const SCRIPT = `${ASSETS}/kafka-access.sh`;
const PLAN = '/run/kafka-pipelining/kafka-access';
/** Where the job writes the brokers' files (every broker mounts the same volume read-only). */
export const KAFKA_SECRETS_DIRECTORY = '/var/lib/kafka-pipelining/secrets';

/**
 * The cluster's logins and permissions, applied by two one-shot jobs in the Kafka image.
 * - `brokerJobFor(i)`, before broker i starts (it depends on it): the brokers' JAAS file and their tools'
 *   client properties onto a volume of their own, owned by the brokers' user and readable by it alone (an upload is
 *   root's); in ZooKeeper mode also the brokers' own SCRAM credential, which `kafka-configs --zookeeper` is the
 *   documented way to create before any broker runs.
 * - the clients' job (`addClientsJob`): every client's credential and every rule. In ZooKeeper mode it writes
 *   ZooKeeper while the brokers start: each tool is a JVM of its own, about 1.5 s of a core, so its calls kept the
 *   broker waiting 50 s when they preceded it. In KRaft mode it calls the brokers' Admin API once they are healthy.
 *   Whoever connects waits for it (`KafkaCluster.bootstrapServers`).
 *
 * Rules are added, never removed: a rule of a topic the platform no longer uses stays until removed by hand.
 */
export class KafkaAccess extends Construct {
  private readonly brokerJobs: OneShotContainer[];
  private readonly image: ServiceImage;
  private readonly script: ShippedFiles;

  constructor(scope: Construct, id: string, private readonly props: KafkaAccessProps) {
    super(scope, id);
    this.image = new ServiceImage(this, 'Image', { image: IMAGES.kafka, source: props.imageSource });
    this.script = new ShippedFiles(this, 'Script', { files: [{ source: path.join(__dirname, 'assets', 'kafka-access.sh'), target: SCRIPT }] });
    const zookeeper = props.target.mode === 'zookeeper';
    const copies = validateIntegerRange('brokerJobCopies', props.brokerJobCopies ?? 1, 1, 16);
    const files = [
      ...(zookeeper ? [credentialsFile([props.brokerCredential])] : []),
      ...Object.entries(props.brokerFiles).map(([file, content]) => ({ file: `${PLAN}/broker/${file}`, content, permissions: '0600' })),
    ];
    // The first keeps the address the one job has always had, so a stack of one copy replaces nothing.
    this.brokerJobs = Array.from({ length: copies }, (_, i) =>
      this.job(i === 0 ? 'Run' : `Run${i + 1}`, zookeeper ? 'broker' : 'broker-files', zookeeper ? props.target.zookeeper.connectString : '-', {
        name: i === 0 ? props.brokerJobName : `${props.brokerJobName}-${i + 1}`,
        memoryMiB: 256,
        files,
        volumes: [{ volumeName: props.secretsVolume.volumeName, containerPath: KAFKA_SECRETS_DIRECTORY }],
        spreadOrdinal: i,
      }));
  }

  /** The job that writes the files of the broker with spread ordinal `ordinal` (its id less 1). */
  public brokerJobFor(ordinal: number): OneShotContainer {
    return this.brokerJobs[ordinal % this.brokerJobs.length];
  }

  /** The job that writes every client's credential and rule. */
  public addClientsJob(clients: KafkaClientsAccess): OneShotContainer {
    const acls = { file: `${PLAN}/acls`, content: lines(kafkaAclCommands(clients.acls).map((args) => args.join(' '))), permissions: '0600' };
    const options = {
      name: clients.name,
      // Three tools at a time, each with a 64 MiB heap.
      memoryMiB: 512,
      files: [credentialsFile(clients.credentials), acls],
    };
    if (this.props.target.mode === 'zookeeper') return this.job('Clients', 'clients', this.props.target.zookeeper.connectString, options);
    if (!clients.admin) throw new Error('KafkaAccess.addClientsJob: in KRaft mode the clients\' job needs the admin login and the brokers\' addresses');
    return this.job('Clients', 'clients-admin', clients.admin.bootstrapServers, {
      ...options,
      files: [...options.files, { file: `${PLAN}/admin.properties`, content: clients.admin.clientProperties, permissions: '0600' }],
    });
  }

  private job(jobId: string, mode: string, target: string, options: Pick<ContainerBaseProps, 'name' | 'files' | 'volumes' | 'memoryMiB' | 'spreadOrdinal'>): OneShotContainer {
    return new OneShotContainer(this, jobId, {
      ...options,
      image: this.image.imageId,
      network: this.props.network,
      command: ['bash', SCRIPT, mode, target, PLAN, KAFKA_SECRETS_DIRECTORY],
      files: [...this.script.uploads, ...(options.files ?? [])],
      // Root: to read the plan (and to give the volume's files to the brokers' user).
      user: '0',
    });
  }
}

const lines = (rows: readonly string[]): string => rows.map((row) => `${row}\n`).join('');

/** Passwords in a file readable by root alone, the job's user: `docker inspect` shows none. */
function credentialsFile(logins: readonly KafkaCredential[]) {
  return { file: `${PLAN}/credentials`, content: lines(logins.map((c) => `${c.username} ${c.password}`)), permissions: '0600' };
}
