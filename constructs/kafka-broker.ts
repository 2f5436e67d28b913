import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { ConfluentService } from './confluent-service';
import { type ExistingKafkaAttributes, existingKafkaCluster } from './existing-kafka-cluster';
import { HealthCheck } from './health-check';
import { KAFKA_SECRETS_DIRECTORY } from './kafka-access';
import { KAFKA_SASL_MECHANISM, KAFKA_SUPER_USERS, KafkaCredential, saslClientProperties } from './kafka-acls';
import type { IKafkaCluster } from './kafka-cluster';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps, renderProperties } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateIntegerRange, validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

// Their home before the cluster had brokers of its own: code that imports them from here keeps working.
export type { ExistingKafkaAttributes, ExistingKafkaCredentials } from './existing-kafka-cluster';
export type { IKafkaCluster } from './kafka-cluster';

export interface KafkaBrokerProps extends PublishingServiceProps {
  /** The ZooKeeper that holds the cluster's metadata, its SCRAM credentials and its ACLs. */
  readonly zookeeper: IZooKeeper;
  /**
   * Its `broker.id`, unique in the cluster.
   * @default 1
   */
  readonly brokerId?: number;
  /**
   * The volume holding its JAAS file and its tools' client properties (`brokerSecretFiles`), mounted read-only.
   */
  readonly secretsVolume: StateVolume;
  /** What writes `secretsVolume` and the broker's SCRAM credential into ZooKeeper: the broker starts after it. */
  readonly secretsJob: ITerraformDependable;
  /**
   * Copies of each partition of the topics the cluster creates by itself and of the topics created without a factor;
   * at most the cluster's brokers. With 3, writes with `acks=all` need 2 of them in sync (`min.insync.replicas`).
   * @default 1
   */
  readonly replicationFactor?: number;
  /**
   * Host port of the listener for clients outside the Docker network.
   * @default 9092
   */
  readonly hostPort?: number;
  /**
   * Host name that clients outside the Docker network use to reach the broker; Kafka advertises it.
   * @default 'localhost'
   */
  readonly advertisedHost?: string;
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 1536
   */
  readonly memoryMiB?: number;
  /**
   * Start the JVM with the JMX exporter's Java agent (rules in constructs/assets/jmx-exporter/kafka.yaml), serving its
   * figures for Prometheus at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const INTERNAL_PORT = 29092;
const EXTERNAL_PORT = 9092;

/** The broker's JAAS file and its tools' client properties, on the secrets volume. */
const BROKER_JAAS_FILE = 'broker-jaas.conf';
const CLIENT_PROPERTIES_FILE = 'client.properties';

/**
 * The files a broker reads its own login from, by file name, for the job that writes its secrets volume: the JAAS file
 * of its listeners (the KafkaServer section serves every listener, and is its login on the inter-broker one) and the
 * client properties its health check's tool logs in with.
 */
export function brokerSecretFiles(own: KafkaCredential): Record<string, string> {
  return {
    [BROKER_JAAS_FILE]: `KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required\n  username="${own.username}"\n  password="${own.password}";\n};\n`,
    [CLIENT_PROPERTIES_FILE]: renderProperties(saslClientProperties(own)),
  };
}

/**
 * One Kafka broker in ZooKeeper mode with two listeners: INTERNAL for containers on the platform network and EXTERNAL,
 * published on the host, both SASL_PLAINTEXT with SCRAM-SHA-512 (the brokers log in to each other on INTERNAL as
 * `broker`). Every request is authorized (AclAuthorizer, no ACL means denied). No topic auto-creation: the bootstrap
 * job creates topics with the partitions it means. The logins, rules and secret files it needs are the cluster's
 * (KafkaCluster), which runs one of these per broker.
 */
export class KafkaBroker extends Construct {
  /**
   * A cluster that runs elsewhere.
   * @deprecated use KafkaCluster.fromExisting, the same
   */
  public static fromExisting(attributes: ExistingKafkaAttributes): IKafkaCluster {
    return existingKafkaCluster(attributes);
  }

  public readonly brokerId: number;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** `host:port` of its INTERNAL listener, for containers on the platform network. */
  public readonly internalAddress: string;
  /** `host:port` of its EXTERNAL listener, for clients on the Docker host. */
  public readonly hostAddress: string;
  /** Where Prometheus scrapes the broker, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: KafkaBrokerProps) {
    super(scope, id);
    const name = props.name ?? 'kafka';
    this.brokerId = validateIntegerRange('brokerId', props.brokerId ?? 1, 0, 2147483647);
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 1536, 512);
    const hostPort = validatePort('hostPort', props.hostPort ?? EXTERNAL_PORT);
    const replication = validateIntegerRange('replicationFactor', props.replicationFactor ?? 1, 1, 32767);
    const advertisedHost = props.advertisedHost ?? 'localhost';
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });

    const broker = new ConfluentService(this, 'Broker', {
      name,
      network: props.network,
      image: IMAGES.kafka,
      imageSource: props.imageSource,
      memoryMiB: this.memoryMiB,
      startScript: 'kafka-server-start',
      configFileName: 'server.properties',
      heapOptionsVariable: 'KAFKA_HEAP_OPTS',
      log4jOptionsVariable: 'KAFKA_LOG4J_OPTS',
      properties: {
        'broker.id': this.brokerId,
        'zookeeper.connect': props.zookeeper.connectString,
        listeners: `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_PORT}`,
        'advertised.listeners': `INTERNAL://${name}:${INTERNAL_PORT},EXTERNAL://${advertisedHost}:${hostPort}`,
        'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': KAFKA_SASL_MECHANISM,
        'sasl.mechanism.inter.broker.protocol': KAFKA_SASL_MECHANISM,
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'allow.everyone.if.no.acl.found': false,
        'super.users': KAFKA_SUPER_USERS.map((user) => `User:${user}`).join(';'),
        'log.dirs': '/var/lib/kafka/data',
        'auto.create.topics.enable': false,
        'num.partitions': 3,
        ...replicationProperties(replication),
        'group.initial.rebalance.delay.ms': 0,
      },
      volumes: [
        { volumeName: data.volumeName, containerPath: '/var/lib/kafka/data' },
        { volumeName: props.secretsVolume.volumeName, containerPath: KAFKA_SECRETS_DIRECTORY, readOnly: true },
      ],
      ports: [{ containerPort: EXTERNAL_PORT, hostPort, bindAddress: props.bindAddress ?? DEFAULT_BIND_ADDRESS, prop: 'hostPort' }],
      // The JAAS file from the secrets volume, not the environment; ZooKeeper itself takes no SASL (README, "Security").
      serverJavaOptions: {
        variable: 'KAFKA_OPTS',
        options: [`-Djava.security.auth.login.config=${KAFKA_SECRETS_DIRECTORY}/${BROKER_JAAS_FILE}`, '-Dzookeeper.sasl.client=false'],
      },
      dependsOn: [props.secretsJob],
      // Answers only when the broker has registered, authenticates and serves requests.
      healthCheck: HealthCheck.command([
        'kafka-broker-api-versions', '--bootstrap-server', `localhost:${INTERNAL_PORT}`, '--command-config', `${KAFKA_SECRETS_DIRECTORY}/${CLIENT_PROPERTIES_FILE}`,
      ], {
        intervalSeconds: 15,
        timeoutSeconds: 30,
        startPeriodSeconds: 30,
        retries: 10,
      }),
      waitTimeoutSeconds: 300,
      jmxExporter: props.prometheusMetrics ? { service: 'kafka', optionsVariable: 'KAFKA_OPTS' } : undefined,
    });
    this.container = broker.container;
    this.metricsEndpoint = broker.metricsEndpoint;
    this.internalAddress = `${this.container.name}:${INTERNAL_PORT}`;
    this.hostAddress = `${advertisedHost}:${hostPort}`;
  }
}

/**
 * The broker's defaults for `replication` copies of each partition: the factor of every topic created without one and
 * of its own offsets and transaction topics, and how many copies a write with `acks=all` must reach. With 3 copies,
 * 2: a write the producer was told succeeded is on two brokers, so losing any one broker loses no acknowledged record,
 * and writes go on while one is down. With 2 copies, 1: asking both would stop every write whenever either broker is
 * down. An out-of-sync replica never becomes leader (no unclean election), which would drop the records it lacks; set
 * only with more than one copy, where a replica could be out of sync (Kafka's default is the same: a single broker's
 * configuration stays as it was, and its container is not replaced).
 */
function replicationProperties(replication: number): Record<string, number | boolean> {
  const minInSync = replication >= 3 ? 2 : 1;
  return {
    'default.replication.factor': replication,
    'min.insync.replicas': minInSync,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minInSync,
    ...(replication > 1 ? { 'unclean.leader.election.enable': false } : {}),
  };
}
