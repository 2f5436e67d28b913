import { Construct } from 'constructs';
import { CONFIG_DIRECTORY, confluentLogging } from './confluent-config';
import { DEFAULT_BIND_ADDRESS, heapMiB, PublishingServiceProps, renderProperties } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { StateVolume } from './state-volume';
import { validateMemoryMiB, validatePort } from './validation';
import { ZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

export interface KafkaBrokerProps extends PublishingServiceProps {
  /** The ZooKeeper that holds the cluster's metadata. */
  readonly zookeeper: ZooKeeper;
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
}

const INTERNAL_PORT = 29092;
const EXTERNAL_PORT = 9092;

/**
 * One Kafka broker in ZooKeeper mode with two listeners: INTERNAL for containers on the platform network
 * and EXTERNAL, published on the host. Single-broker defaults (replication 1) and no topic auto-creation:
 * the bootstrap job creates topics with the partitions it means.
 */
export class KafkaBroker extends Construct {
  /** Bootstrap servers for containers on the platform network. */
  public readonly bootstrapServers: string;
  /** Bootstrap servers for clients on the Docker host. */
  public readonly hostBootstrapServers: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: KafkaBrokerProps) {
    super(scope, id);
    const name = props.name ?? 'kafka';
    this.memoryMiB = validateMemoryMiB('kafka.memoryMiB', props.memoryMiB ?? 1536, 512);
    const hostPort = validatePort('ports.kafka', props.hostPort ?? EXTERNAL_PORT);
    const advertisedHost = props.advertisedHost ?? 'localhost';
    const image = new ServiceImage(this, 'Image', { image: IMAGES.kafka, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const configFile = `${CONFIG_DIRECTORY}/server.properties`;
    const logging = confluentLogging();
    const heap = heapMiB(this.memoryMiB);

    this.container = new ServiceContainer(this, 'Broker', {
      name,
      image: image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      command: ['kafka-server-start', configFile],
      environment: { KAFKA_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`, KAFKA_LOG4J_OPTS: logging.option },
      files: [
        {
          file: configFile,
          content: renderProperties({
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
          }),
        },
        logging.upload,
      ],
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/kafka/data' }],
      ports: [{ containerPort: EXTERNAL_PORT, hostPort, bindAddress: props.bindAddress ?? DEFAULT_BIND_ADDRESS, description: 'ports.kafka' }],
      healthCheck: {
        // Answers only when the broker has registered and serves requests.
        command: ['kafka-broker-api-versions', '--bootstrap-server', `localhost:${INTERNAL_PORT}`],
        intervalSeconds: 15,
        timeoutSeconds: 30,
        startPeriodSeconds: 30,
        retries: 10,
      },
      waitTimeoutSeconds: 300,
    });
    this.bootstrapServers = `${this.container.name}:${INTERNAL_PORT}`;
    this.hostBootstrapServers = `${advertisedHost}:${hostPort}`;
  }
}
