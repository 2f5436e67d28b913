import * as path from 'path';
import { Construct } from 'constructs';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { ConfluentService, type ConfluentServiceProps } from './confluent-service';
import { DeploymentTarget } from './deployment-target';
import { type ExistingKafkaAttributes, existingKafkaCluster } from './existing-kafka-cluster';
import { HealthCheck, STANDALONE_HEALTH_TIMING } from './health-check';
import { KAFKA_SECRETS_DIRECTORY } from './kafka-access';
import { KAFKA_SASL_MECHANISM, KAFKA_SUPER_USERS, KafkaCredential, saslClientProperties } from './kafka-acls';
import type { IKafkaCluster } from './kafka-cluster';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps, renderProperties } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { validateIntegerRange, validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

// Their home before the cluster had brokers of its own: code that imports them from here keeps working.
export type { ExistingKafkaAttributes, ExistingKafkaCredentials } from './existing-kafka-cluster';
export type { IKafkaCluster } from './kafka-cluster';

/**
 * Where a broker's cluster keeps its metadata, SCRAM credentials and ACLs: ZooKeeper, or the cluster's own Raft quorum
 * (KRaft), whose controllers run in some of the brokers (`controller`) and whose log each node formats at its first
 * start with the cluster's id.
 */
export type KafkaBrokerMetadata =
  | { readonly mode: 'zookeeper'; readonly zookeeper: IZooKeeper }
  | { readonly mode: 'kraft'; readonly clusterId: string; readonly quorumVoters: string; readonly controller: boolean };

export interface KafkaBrokerProps extends PublishingServiceProps {
  readonly metadata: KafkaBrokerMetadata;
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
   * @default - the address of the swarm host it is placed on (SwarmTargetProps.addresses), else 'localhost'
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
/** KRaft's controller listener: on the platform network alone, never published. */
export const CONTROLLER_PORT = 29093;
const KRAFT_START_SCRIPT = '/opt/kafka-pipelining/kafka-kraft-start.sh';
const HEALTH_SCRIPT = '/opt/kafka-pipelining/kafka-health.sh';

/** The broker's JAAS file and its tools' client properties, on the secrets volume. */
const BROKER_JAAS_FILE = 'broker-jaas.conf';
const CLIENT_PROPERTIES_FILE = 'client.properties';

/**
 * The files a broker reads its own login from, by file name, for the job that writes its secrets volume: the JAAS file
 * of its listeners and the client properties its health check's tool logs in with. In ZooKeeper mode the brokers log
 * in to each other with SCRAM, as `broker`, whose credential the access job writes into ZooKeeper first. In KRaft mode
 * the SCRAM credentials live in the metadata log, which a node reads only once it runs, and a kept log holds the
 * passwords of the deploy that wrote it: so the brokers check their own login with PLAIN against this file (written
 * afresh at every deploy), on the INTERNAL listener alone, and the clients' job logs in the same way to write every
 * SCRAM credential.
 */
export function brokerSecretFiles(own: KafkaCredential, mode: KafkaBrokerMetadata['mode'] = 'zookeeper'): Record<string, string> {
  if (mode === 'zookeeper') {
    return {
      [BROKER_JAAS_FILE]: `KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required\n  username="${own.username}"\n  password="${own.password}";\n};\n`,
      [CLIENT_PROPERTIES_FILE]: renderProperties(saslClientProperties(own)),
    };
  }
  return {
    [BROKER_JAAS_FILE]: 'KafkaServer {\n' +
      `  org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="${own.username}"\n  password="${own.password}"\n  user_${own.username}="${own.password}";\n` +
      '  org.apache.kafka.common.security.scram.ScramLoginModule required;\n};\n',
    [CLIENT_PROPERTIES_FILE]: renderProperties(plainClientProperties(own)),
  };
}

/** A Java Kafka client's properties to log in with PLAIN: the KRaft brokers' own login (brokerSecretFiles). */
export function plainClientProperties(own: KafkaCredential): Record<string, string> {
  return {
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': 'PLAIN',
    'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${own.username}" password="${own.password}";`,
  };
}

/**
 * One Kafka broker with two listeners: INTERNAL for containers on the platform network and EXTERNAL, published on the
 * host, both SASL_PLAINTEXT with SCRAM-SHA-512 for clients; the brokers log in to each other on INTERNAL as `broker`
 * (see brokerSecretFiles). Every request is authorized (no ACL means denied). No topic auto-creation: the bootstrap
 * job creates topics with the partitions it means. In ZooKeeper mode the metadata is ZooKeeper's; in KRaft mode the
 * broker may also be one of the controllers, with a third listener, CONTROLLER, on the platform network alone and
 * without SASL (like ZooKeeper: README, "Security"). The logins, rules and secret files it needs are the cluster's
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
    const advertisedHost = props.advertisedHost ?? DeploymentTarget.of(this).publishedAddress(this.brokerId - 1) ?? 'localhost';
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const kraft = props.metadata.mode === 'kraft' ? props.metadata : undefined;
    const start = kraft ? kraftStart(this, kraft.clusterId) : { startScript: 'kafka-server-start', files: [] };
    const healthScript = new ShippedFiles(this, 'HealthScript', { files: [{ source: path.join(__dirname, 'assets', 'kafka-health.sh'), target: HEALTH_SCRIPT }] });

    const broker = new ConfluentService(this, 'Broker', {
      name,
      network: props.network,
      ...kafkaNodeService(props.prometheusMetrics),
      imageSource: props.imageSource,
      // Node ids are consecutive: the brokers (and the controllers) of a cluster land on different hosts.
      spreadOrdinal: this.brokerId - 1,
      memoryMiB: this.memoryMiB,
      ...start,
      files: [...start.files, ...healthScript.uploads],
      properties: {
        ...metadataProperties(props.metadata, this.brokerId),
        'advertised.listeners': `INTERNAL://${name}:${INTERNAL_PORT},EXTERNAL://${advertisedHost}:${hostPort}`,
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': KAFKA_SASL_MECHANISM,
        'allow.everyone.if.no.acl.found': false,
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
        options: [`-Djava.security.auth.login.config=${KAFKA_SECRETS_DIRECTORY}/${BROKER_JAAS_FILE}`, ...(kraft ? [] : ['-Dzookeeper.sasl.client=false'])],
      },
      dependsOn: [props.secretsJob],
      // Answers only when the broker has registered and serves requests, and its tool user has logged in once since
      // the container started (constructs/assets/kafka-health.sh): no JVM but that one, so it can run every 3 s.
      healthCheck: voterHealthCheck(
        HealthCheck.command(['bash', HEALTH_SCRIPT, String(INTERNAL_PORT), `${KAFKA_SECRETS_DIRECTORY}/${CLIENT_PROPERTIES_FILE}`], BROKER_HEALTH_TIMING),
        kraft?.controller === true ? kraft.quorumVoters : undefined,
      ),
    });
    this.container = broker.container;
    this.metricsEndpoint = broker.metricsEndpoint;
    this.internalAddress = `${this.container.name}:${INTERNAL_PORT}`;
    this.hostAddress = `${advertisedHost}:${hostPort}`;
  }
}

/**
 * What the broker's metadata mode sets: its id, where the metadata is, its listeners, how the brokers log in to each
 * other, and the authorizer that reads the ACLs from there.
 */
function metadataProperties(metadata: KafkaBrokerMetadata, id: number): Record<string, string | number> {
  const clientListeners = `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_PORT}`;
  if (metadata.mode === 'zookeeper') {
    return {
      'broker.id': id,
      'zookeeper.connect': metadata.zookeeper.connectString,
      listeners: clientListeners,
      'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT',
      'sasl.mechanism.inter.broker.protocol': KAFKA_SASL_MECHANISM,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': KAFKA_SUPER_USERS.map((user) => `User:${user}`).join(';'),
    };
  }
  return {
    ...kraftNodeProperties(id, metadata.quorumVoters),
    'process.roles': metadata.controller ? 'broker,controller' : 'broker',
    listeners: metadata.controller ? `${clientListeners},${CONTROLLER_LISTENER}` : clientListeners,
    'listener.security.protocol.map': `INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,${CONTROLLER_PROTOCOL}`,
    // The brokers' own login, checked against the JAAS file (brokerSecretFiles); clients' SCRAM on both listeners.
    'listener.name.internal.sasl.enabled.mechanisms': `PLAIN,${KAFKA_SASL_MECHANISM}`,
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
  };
}

/** What every Kafka node shares, broker or controller: the image and its start contract, the wait for its health. */
export function kafkaNodeService(prometheusMetrics?: boolean): Pick<ConfluentServiceProps, 'image' | 'configFileName' | 'heapOptionsVariable' | 'log4jOptionsVariable' | 'waitTimeoutSeconds' | 'jmxExporter'> {
  return {
    image: IMAGES.kafka,
    configFileName: 'server.properties',
    heapOptionsVariable: 'KAFKA_HEAP_OPTS',
    log4jOptionsVariable: 'KAFKA_LOG4J_OPTS',
    waitTimeoutSeconds: 300,
    jmxExporter: prometheusMetrics ? { service: 'kafka', optionsVariable: 'KAFKA_OPTS' } : undefined,
  };
}

/** A health check with one of Kafka's tools starts a JVM: every 15 s, given 30 s to answer. */
export const KAFKA_TOOL_HEALTH_TIMING = { intervalSeconds: 15, timeoutSeconds: 30, startPeriodSeconds: 30, retries: 10 };
/** The broker's check starts a JVM once per container start: every 3 s, as patient in all as the tools' timing. */
const BROKER_HEALTH_TIMING = { intervalSeconds: 3, timeoutSeconds: 30, startPeriodSeconds: 30, retries: 50 };

/**
 * The check of a KRaft node, with what a voter of a quorum of several passes on its own (HealthCheck.withStandalone):
 * its controller listener open, which Kafka opens before the quorum has formed (`early.start.listeners` defaults to
 * the controller listeners), so that on a swarm, where a task is found by name only once healthy, voters find each other.
 */
export function voterHealthCheck(check: HealthCheck, quorumVoters: string | undefined): HealthCheck {
  if (quorumVoters === undefined || quorumVoters.split(',').length < 2) return check;
  return check.withStandalone(HealthCheck.tcp(CONTROLLER_PORT, STANDALONE_HEALTH_TIMING));
}

/** The CONTROLLER listener of a KRaft controller, combined with a broker or on its own. */
export const CONTROLLER_LISTENER = `CONTROLLER://0.0.0.0:${CONTROLLER_PORT}`;
/** The controller listener has no SASL: the platform network alone reaches it, like ZooKeeper (README, "Security"). */
export const CONTROLLER_PROTOCOL = 'CONTROLLER:PLAINTEXT';

/**
 * What every KRaft node sets, broker or controller: its id, where the quorum's voters are, the controller listener's
 * name, and the authorizer that reads the ACLs from the metadata log.
 */
export function kraftNodeProperties(nodeId: number, quorumVoters: string): Record<string, string | number> {
  return {
    'node.id': nodeId,
    'controller.quorum.voters': quorumVoters,
    'controller.listener.names': 'CONTROLLER',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // The nodes' requests to the quorum come over the controller listener, without SASL, from ANONYMOUS; no client can
    // be ANONYMOUS on the SASL listeners.
    'super.users': [...KAFKA_SUPER_USERS.map((user) => `User:${user}`), 'User:ANONYMOUS'].join(';'),
  };
}

/**
 * A KRaft node's start: the script that formats its log directory for the cluster `clusterId` at its first start, then
 * starts the server with the properties file (shipped into the container under `scope`).
 */
export function kraftStart(scope: Construct, clusterId: string): { startScript: string[]; startArguments: string[]; files: ContainerUpload[] } {
  return {
    startScript: ['bash', KRAFT_START_SCRIPT],
    startArguments: [clusterId],
    files: new ShippedFiles(scope, 'StartScript', { files: [{ source: path.join(__dirname, 'assets', 'kafka-kraft-start.sh'), target: KRAFT_START_SCRIPT }] }).uploads,
  };
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
