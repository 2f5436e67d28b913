import { Construct } from 'constructs';
import { Id } from '@cdktf/provider-random/lib/id';
import { DataResource, Token } from 'cdktf';
import { type ExistingKafkaAttributes, existingKafkaCluster } from './existing-kafka-cluster';
import { GeneratedSecret } from './generated-secret';
import { KafkaAccess } from './kafka-access';
import { KAFKA_CLIENTS, KAFKA_USERS, KafkaAclTopics, kafkaAcls, KafkaClient, KafkaCredential } from './kafka-acls';
import { brokerSecretFiles, CONTROLLER_PORT, KafkaBroker, type KafkaBrokerMetadata, plainClientProperties } from './kafka-broker';
import { KafkaController } from './kafka-controller';
import { PublishingServiceProps, renderProperties } from './platform-service-props';
import { StateVolume } from './state-volume';
import { PropError, validateIntegerRange, validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { DeploymentTarget } from './deployment-target';

/** What a Kafka client needs: where the cluster answers, and a SASL/SCRAM-SHA-512 login per purpose. */
export interface IKafkaCluster {
  /** `host:port[,host:port...]` for clients on the platform network. */
  readonly bootstrapServers: string;
  /**
   * `host:port[,host:port...]` for clients on the Docker host.
   * @default - unknown: nothing on the Docker host is told where Kafka is
   */
  readonly hostBootstrapServers?: string;
  /**
   * Copies of each partition the platform asks for the topics it creates (the pipeline's, the schema registry's,
   * Control Center's).
   * @default 1 - a cluster whose size is unknown (a brought one): one copy is what any cluster can hold
   */
  readonly replicationFactor?: number;
  /** The login of `client` (SCRAM-SHA-512 over SASL_PLAINTEXT): pass its password as a secret. */
  credential(client: KafkaClient): KafkaCredential;
}

/** The copies of each partition that `cluster` asks for (its `replicationFactor`, else 1). */
export function replicationFactorOf(cluster: IKafkaCluster): number {
  return cluster.replicationFactor ?? 1;
}

/** Most brokers a KafkaCluster runs: each is a JVM with its own heap on the one Docker host. */
export const MAX_KAFKA_BROKERS = 5;
/** Most copies of a partition the cluster asks for, however many brokers it has: 3 survive one broker lost with 2 in sync. */
const MAX_REPLICATION = 3;
/** Most KRaft controllers: 3 voters keep a quorum with one lost, and more only slow every metadata write. */
const MAX_CONTROLLERS = 3;

/**
 * Where the cluster keeps its metadata, SCRAM credentials and ACLs: ZooKeeper (a ZooKeeper service beside the brokers),
 * or KRaft (the brokers' own Raft quorum: Kafka 4 and Confluent Platform 8 know no other).
 */
export type KafkaMetadataMode = 'zookeeper' | 'kraft';

export const KAFKA_METADATA_MODES: readonly KafkaMetadataMode[] = ['zookeeper', 'kraft'];

/**
 * Where the KRaft controllers run: in the first min(3, brokers) brokers (`combined`: fewer containers, the quorum shares
 * the brokers' heaps and cores), or as min(3, brokers) controllers of their own (`dedicated`: the quorum is unaffected by
 * the brokers' load and restarts; Kafka's recommendation for production).
 */
export type KafkaControllerPlacement = 'combined' | 'dedicated';

export const KAFKA_CONTROLLER_PLACEMENTS: readonly KafkaControllerPlacement[] = ['combined', 'dedicated'];

/** Dedicated controller i has node id CONTROLLER_NODE_ID_BASE + i, clear of every broker's id (1 to 5). */
const CONTROLLER_NODE_ID_BASE = 100;

export interface KafkaClusterProps extends PublishingServiceProps {
  /**
   * Where the metadata lives. In KRaft mode the first min(3, brokers) brokers are also the controllers (the quorum's
   * voters), each node formats its log at its first start, and no ZooKeeper is needed.
   * @default 'zookeeper'
   */
  readonly metadata?: KafkaMetadataMode;
  /**
   * The ZooKeeper that holds the cluster's metadata, its SCRAM credentials and its ACLs: required in ZooKeeper mode,
   * refused in KRaft mode.
   * @default - none
   */
  readonly zookeeper?: IZooKeeper;
  /**
   * Where the KRaft controllers run (KRaft mode only). Decide it before the first deploy: a deployed quorum does not
   * move between the two.
   * @default 'combined'
   */
  readonly controllers?: KafkaControllerPlacement;
  /**
   * Memory limit of each dedicated controller in MiB (the JVM heap is half of it).
   * @default 768
   */
  readonly controllerMemoryMiB?: number;
  /** The pipeline's topics, which the clients' ACLs name. */
  readonly topics: KafkaAclTopics;
  /**
   * Brokers, 1 to 5. Topics get min(3, brokers) copies of each partition (`replicationFactor`).
   * @default 1
   */
  readonly brokers?: number;
  /**
   * Host port of the first broker's listener for clients outside the Docker network; broker i publishes
   * `hostPort + i - 1`.
   * @default 9092
   */
  readonly hostPort?: number;
  /**
   * Host name that clients outside the Docker network use to reach the brokers; Kafka advertises it.
   * @default - the address of the swarm host each is placed on (SwarmTargetProps.addresses), else 'localhost'
   */
  readonly advertisedHost?: string;
  /**
   * Memory limit of each broker in MiB (the JVM heap is half of it).
   * @default 1536
   */
  readonly memoryMiB?: number;
  /**
   * Start each broker's JVM with the JMX exporter's Java agent, for Prometheus (each broker's `metricsEndpoint`).
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

/**
 * A Kafka cluster of 1 to 5 brokers (KafkaBroker), named `<name>`, `<name>-2`, ... with ids 1, 2, ..., its metadata
 * in ZooKeeper or in KRaft (the first min(3, brokers) brokers then also the controllers). What they share is the
 * cluster's: each login's generated password, the kafka-access jobs (credentials and ACLs are cluster-wide: the
 * brokers' files before every broker starts, the clients' credentials and rules beside their start in ZooKeeper mode or
 * once they serve in KRaft mode), the volume the brokers read their own login from (one Docker host), and the readiness
 * gate every client's address passes through. Each partition has min(3, brokers) copies; see KafkaBroker for what that
 * sets.
 */
export class KafkaCluster extends Construct implements IKafkaCluster {
  /** A cluster that runs elsewhere, for the platform's services and jobs to use. */
  public static fromExisting(attributes: ExistingKafkaAttributes): IKafkaCluster {
    return existingKafkaCluster(attributes);
  }

  /** Every broker's INTERNAL address, for containers on the platform network (known once the cluster is ready). */
  public readonly bootstrapServers: string;
  /** Every broker's EXTERNAL address, for clients on the Docker host. */
  public readonly hostBootstrapServers: string;
  public readonly replicationFactor: number;
  /** Where the cluster keeps its metadata. */
  public readonly metadata: KafkaMetadataMode;
  /** The brokers, `broker.id` 1 first. */
  public readonly brokers: readonly KafkaBroker[];
  /** The dedicated KRaft controllers (none when the brokers are the controllers, or in ZooKeeper mode). */
  public readonly controllers: readonly KafkaController[];
  /** The jobs that write the logins and rules: the broker's own before the brokers start, the clients' beside their start. */
  public readonly access: KafkaAccess;
  /** Each login's generated password, the brokers' own included (deploy-time tokens, sensitive). */
  private readonly passwords: Readonly<Record<KafkaClient | 'broker', string>>;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const name = props.name ?? 'kafka';
    const count = validateIntegerRange('brokers', props.brokers ?? 1, 1, MAX_KAFKA_BROKERS);
    const hostPort = validatePort('hostPort', props.hostPort ?? 9092);
    if (hostPort + count - 1 > 65535) {
      throw new PropError('hostPort', `must leave a port for each of the ${count} brokers (hostPort to hostPort + ${count - 1}): at most ${65536 - count}, got ${hostPort}`);
    }
    this.replicationFactor = Math.min(MAX_REPLICATION, count);
    const mode = props.metadata ?? 'zookeeper';
    if (!KAFKA_METADATA_MODES.includes(mode)) throw new PropError('metadata', `must be one of ${KAFKA_METADATA_MODES.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`);
    if (mode === 'zookeeper' && !props.zookeeper) throw new PropError('zookeeper', "is required with metadata 'zookeeper'");
    if (mode === 'kraft' && props.zookeeper) throw new PropError('zookeeper', "must be unset with metadata 'kraft': the brokers keep the metadata themselves");
    this.metadata = mode;
    const placement = props.controllers ?? 'combined';
    if (!KAFKA_CONTROLLER_PLACEMENTS.includes(placement)) {
      throw new PropError('controllers', `must be one of ${KAFKA_CONTROLLER_PLACEMENTS.map((p) => `'${p}'`).join(', ')}, got '${String(placement)}'`);
    }
    if (mode === 'zookeeper' && props.controllers !== undefined) throw new PropError('controllers', "must be unset with metadata 'zookeeper': ZooKeeper is the controller's store");
    if (placement === 'combined' && props.controllerMemoryMiB !== undefined) throw new PropError('controllerMemoryMiB', "must be unset unless controllers is 'dedicated'");
    // Checked here, under the cluster's prop name: the controller's own `memoryMiB` would name the brokers'.
    const controllerMemoryMiB = props.controllerMemoryMiB === undefined ? undefined : validateMemoryMiB('controllerMemoryMiB', props.controllerMemoryMiB, 512);
    // Written afresh by the broker's kafka-access job whenever it runs; kept like every volume with retainVolumes (then
    // not a Terraform resource), though nothing in it outlives the next deploy. Every broker mounts it: on one Docker
    // host one job writes it; on a swarm, where a volume is its node's, a copy of the job beside each broker.
    const secrets = new StateVolume(this, 'Secrets', { name: `${name}-secrets`, retain: props.retainVolumes, holdsSecret: true });
    const password = (secretId: string): string => new GeneratedSecret(this, secretId).value;
    this.passwords = {
      broker: password('BrokerPassword'),
      producer: password('ProducerPassword'),
      stream: password('StreamPassword'),
      bootstrap: password('BootstrapPassword'),
      monitoring: password('MonitoringPassword'),
      schemaRegistry: password('SchemaRegistryPassword'),
      admin: password('AdminPassword'),
    };
    // Every broker logs in to the others as the one `broker` user.
    const own: KafkaCredential = { username: KAFKA_USERS.broker, password: this.passwords.broker };
    this.access = new KafkaAccess(this, 'Access', {
      network: props.network,
      brokerJobName: `${name}-access`,
      target: props.zookeeper ? { mode: 'zookeeper', zookeeper: props.zookeeper } : { mode: 'kraft' },
      brokerCredential: own,
      brokerFiles: brokerSecretFiles(own, mode),
      secretsVolume: secrets,
      brokerJobCopies: DeploymentTarget.of(this).kind === 'swarm' ? count : 1,
      imageSource: props.imageSource,
    });
    const brokerName = (brokerId: number) => (brokerId === 1 ? name : `${name}-${brokerId}`);
    const dedicated = mode === 'kraft' && placement === 'dedicated';
    const controllerCount = Math.min(MAX_CONTROLLERS, count);
    const controllerAddresses = Array.from({ length: controllerCount }, (_, index) => (dedicated
      ? `${CONTROLLER_NODE_ID_BASE + index + 1}@${name}-controller-${index + 1}:${CONTROLLER_PORT}`
      : `${index + 1}@${brokerName(index + 1)}:${CONTROLLER_PORT}`));
    const voters = controllerAddresses.join(',');
    // Used only when a node formats an empty log (Kafka's form: 16 bytes, base64url): a kept log keeps its own id.
    const clusterId = mode === 'kraft' ? new Id(this, 'ClusterId', { byteLength: 16 }).b64Url : '';
    const metadataOf = (brokerId: number): KafkaBrokerMetadata => (props.zookeeper
      ? { mode: 'zookeeper', zookeeper: props.zookeeper }
      : { mode: 'kraft', clusterId, quorumVoters: voters, controller: !dedicated && brokerId <= controllerCount });
    // Started beside the brokers, not before them: a broker waits for the quorum by itself, and every container is
    // created only once healthy, which a controller is only once a majority of the quorum runs.
    this.controllers = dedicated
      ? Array.from({ length: controllerCount }, (_, index) => new KafkaController(this, `Controller${index + 1}`, {
        network: props.network,
        name: `${name}-controller-${index + 1}`,
        imageSource: props.imageSource,
        retainVolumes: props.retainVolumes,
        nodeId: CONTROLLER_NODE_ID_BASE + index + 1,
        clusterId,
        quorumVoters: voters,
        memoryMiB: controllerMemoryMiB,
        prometheusMetrics: props.prometheusMetrics,
      }))
      : [];

    this.brokers = Array.from({ length: count }, (_, index) => {
      const brokerId = index + 1;
      // Broker 1 under the id cdktf leaves out of resource addresses ('Default'), so its container and data volume keep
      // the addresses of the single broker this cluster was, and a redeploy neither renames nor replaces them. The
      // cluster itself must then have no child named like the broker's own ('Broker', 'Data').
      return new KafkaBroker(this, brokerId === 1 ? 'Default' : `Broker${brokerId}`, {
        network: props.network,
        name: brokerName(brokerId),
        imageSource: props.imageSource,
        retainVolumes: props.retainVolumes,
        bindAddress: props.bindAddress,
        metadata: metadataOf(brokerId),
        brokerId,
        secretsVolume: secrets,
        secretsJob: this.access.brokerJobFor(index).resource,
        replicationFactor: this.replicationFactor,
        hostPort: hostPort + index,
        advertisedHost: props.advertisedHost,
        memoryMiB: props.memoryMiB,
        prometheusMetrics: props.prometheusMetrics,
      });
    });
    const internalAddresses = this.brokers.map((broker) => broker.internalAddress).join(',');
    // In KRaft mode through the brokers' Admin API (the addresses reference every broker, so the job waits for them).
    const clientsJob = this.access.addClientsJob({
      name: `${name}-client-access`,
      credentials: KAFKA_CLIENTS.map((client) => this.credential(client)),
      acls: kafkaAcls(props.topics),
      admin: mode === 'kraft' ? { bootstrapServers: internalAddresses, clientProperties: renderProperties(plainClientProperties(own)) } : undefined,
    });
    // Whoever connects logs in with a client's credential and needs its rules: the addresses are known to Terraform once
    // every broker is healthy and the clients' access job has exited 0, so every consumer waits for all of them.
    const ready = new DataResource(this, 'Ready', {
      input: { bootstrapServers: internalAddresses },
      dependsOn: [...this.brokers.map((broker) => broker.container.resource), ...this.controllers.map((controller) => controller.container.resource), clientsJob.resource],
    });
    this.bootstrapServers = Token.asString(ready.output.lookup('bootstrapServers'));
    this.hostBootstrapServers = this.brokers.map((broker) => broker.hostAddress).join(',');
  }

  public credential(client: KafkaClient): KafkaCredential {
    return { username: KAFKA_USERS[client], password: this.passwords[client] };
  }
}
