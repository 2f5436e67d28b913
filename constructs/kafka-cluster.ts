import { Construct } from 'constructs';
import { DataResource, Token } from 'cdktf';
import { type ExistingKafkaAttributes, existingKafkaCluster } from './existing-kafka-cluster';
import { GeneratedSecret } from './generated-secret';
import { KafkaAccess } from './kafka-access';
import { KAFKA_CLIENTS, KAFKA_USERS, KafkaAclTopics, kafkaAcls, KafkaClient, KafkaCredential } from './kafka-acls';
import { brokerSecretFiles, KafkaBroker } from './kafka-broker';
import { PublishingServiceProps } from './platform-service-props';
import { StateVolume } from './state-volume';
import { PropError, validateIntegerRange, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';

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

export interface KafkaClusterProps extends PublishingServiceProps {
  /** The ZooKeeper that holds the cluster's metadata, its SCRAM credentials and its ACLs. */
  readonly zookeeper: IZooKeeper;
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
   * @default 'localhost'
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
 * A Kafka cluster in ZooKeeper mode: 1 to 5 brokers (KafkaBroker), named `<name>`, `<name>-2`, ... with `broker.id`
 * 1, 2, ... What they share is the cluster's: each login's generated password, the kafka-access jobs (credentials and
 * ACLs live in ZooKeeper, cluster-wide: one set of jobs, the broker's own before every broker starts, the clients'
 * while they start), the volume the brokers read their own login from (one Docker host), and the readiness gate every
 * client's address passes through. Each partition has min(3, brokers) copies; see KafkaBroker for what that sets.
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
  /** The brokers, `broker.id` 1 first. */
  public readonly brokers: readonly KafkaBroker[];
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
    // Written afresh by the broker's kafka-access job whenever it runs; kept like every volume with retainVolumes (then
    // not a Terraform resource), though nothing in it outlives the next deploy. Every broker mounts it: one Docker host.
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
      clientsJobName: `${name}-client-access`,
      zookeeper: props.zookeeper,
      brokerCredential: own,
      clientCredentials: KAFKA_CLIENTS.map((client) => this.credential(client)),
      acls: kafkaAcls(props.topics),
      brokerFiles: brokerSecretFiles(own),
      secretsVolume: secrets,
      imageSource: props.imageSource,
    });

    this.brokers = Array.from({ length: count }, (_, index) => {
      const brokerId = index + 1;
      // Broker 1 under the id cdktf leaves out of resource addresses ('Default'), so its container and data volume keep
      // the addresses of the single broker this cluster was, and a redeploy neither renames nor replaces them. The
      // cluster itself must then have no child named like the broker's own ('Broker', 'Data').
      return new KafkaBroker(this, brokerId === 1 ? 'Default' : `Broker${brokerId}`, {
        network: props.network,
        name: brokerId === 1 ? name : `${name}-${brokerId}`,
        imageSource: props.imageSource,
        retainVolumes: props.retainVolumes,
        bindAddress: props.bindAddress,
        zookeeper: props.zookeeper,
        brokerId,
        secretsVolume: secrets,
        secretsJob: this.access.brokerJob.resource,
        replicationFactor: this.replicationFactor,
        hostPort: hostPort + index,
        advertisedHost: props.advertisedHost,
        memoryMiB: props.memoryMiB,
        prometheusMetrics: props.prometheusMetrics,
      });
    });
    // Whoever connects logs in with a client's credential and needs its rules: the addresses are known to Terraform once
    // every broker is healthy and the clients' access job has exited 0, so every consumer waits for all of them.
    const ready = new DataResource(this, 'Ready', {
      input: { bootstrapServers: this.brokers.map((broker) => broker.internalAddress).join(',') },
      dependsOn: [...this.brokers.map((broker) => broker.container.resource), this.access.clientsJob.resource],
    });
    this.bootstrapServers = Token.asString(ready.output.lookup('bootstrapServers'));
    this.hostBootstrapServers = this.brokers.map((broker) => broker.hostAddress).join(',');
  }

  public credential(client: KafkaClient): KafkaCredential {
    return { username: KAFKA_USERS[client], password: this.passwords[client] };
  }
}
