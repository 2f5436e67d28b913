import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { HealthCheck } from './health-check';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateAddresses, validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

/** What a Kafka client needs: where the cluster answers. */
export interface IKafkaCluster {
  /** `host:port[,host:port...]` for clients on the platform network. */
  readonly bootstrapServers: string;
  /**
   * `host:port[,host:port...]` for clients on the Docker host.
   * @default - unknown: nothing on the Docker host is told where Kafka is
   */
  readonly hostBootstrapServers?: string;
}

/** A Kafka cluster the platform does not run, given by address (PLAINTEXT listeners). */
export interface ExistingKafkaAttributes {
  /** Brokers as `host:port`, reachable from the platform network. */
  readonly bootstrapServers: readonly string[];
  /**
   * Brokers as `host:port` from the Docker host, for the stack's outputs.
   * @default - no `kafka_bootstrap_servers` output
   */
  readonly hostBootstrapServers?: readonly string[];
}

export interface KafkaBrokerProps extends PublishingServiceProps {
  /** The ZooKeeper that holds the cluster's metadata. */
  readonly zookeeper: IZooKeeper;
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

/**
 * One Kafka broker in ZooKeeper mode with two listeners: INTERNAL for containers on the platform network
 * and EXTERNAL, published on the host. Single-broker defaults (replication 1) and no topic auto-creation:
 * the bootstrap job creates topics with the partitions it means.
 */
export class KafkaBroker extends Construct implements IKafkaCluster {
  /** A cluster that runs elsewhere, for the platform's services and jobs to use. */
  public static fromExisting(attributes: ExistingKafkaAttributes): IKafkaCluster {
    const host = attributes.hostBootstrapServers;
    return {
      bootstrapServers: validateAddresses('bootstrapServers', attributes.bootstrapServers).join(','),
      hostBootstrapServers: host === undefined ? undefined : validateAddresses('hostBootstrapServers', host).join(','),
    };
  }

  /** Bootstrap servers for containers on the platform network. */
  public readonly bootstrapServers: string;
  /** Bootstrap servers for clients on the Docker host. */
  public readonly hostBootstrapServers: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the broker, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: KafkaBrokerProps) {
    super(scope, id);
    const name = props.name ?? 'kafka';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 1536, 512);
    const hostPort = validatePort('hostPort', props.hostPort ?? EXTERNAL_PORT);
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
        'broker.id': 1,
        'zookeeper.connect': props.zookeeper.connectString,
        listeners: `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_PORT}`,
        'advertised.listeners': `INTERNAL://${name}:${INTERNAL_PORT},EXTERNAL://${advertisedHost}:${hostPort}`,
        'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
        'log.dirs': '/var/lib/kafka/data',
        'auto.create.topics.enable': false,
        'num.partitions': 3,
        'default.replication.factor': 1,
        'min.insync.replicas': 1,
        'offsets.topic.replication.factor': 1,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'group.initial.rebalance.delay.ms': 0,
      },
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/kafka/data' }],
      ports: [{ containerPort: EXTERNAL_PORT, hostPort, bindAddress: props.bindAddress ?? DEFAULT_BIND_ADDRESS, prop: 'hostPort' }],
      // Answers only when the broker has registered and serves requests.
      healthCheck: HealthCheck.command(['kafka-broker-api-versions', '--bootstrap-server', `localhost:${INTERNAL_PORT}`], {
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
    this.bootstrapServers = `${this.container.name}:${INTERNAL_PORT}`;
    this.hostBootstrapServers = `${advertisedHost}:${hostPort}`;
  }
}
