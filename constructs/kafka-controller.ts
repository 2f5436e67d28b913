import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { HealthCheck } from './health-check';
import { CONTROLLER_LISTENER, CONTROLLER_PORT, CONTROLLER_PROTOCOL, KAFKA_TOOL_HEALTH_TIMING, kafkaNodeService, kraftNodeProperties, kraftStart, voterHealthCheck } from './kafka-broker';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateIntegerRange, validateMemoryMiB } from './validation';

export interface KafkaControllerProps extends PlatformServiceProps {
  /** Its `node.id`, unique in the cluster among brokers and controllers. */
  readonly nodeId: number;
  /** The id every node of the cluster formats its log with (Kafka's form: 16 bytes, base64url). */
  readonly clusterId: string;
  /** `id@host:port,...` of every controller of the quorum, this one included. */
  readonly quorumVoters: string;
  /**
   * Memory limit in MiB (the JVM heap is half of it). A controller holds the metadata alone, no partition's data.
   * @default 768
   */
  readonly memoryMiB?: number;
  /**
   * Start the JVM with the JMX exporter's Java agent (rules in constructs/assets/jmx-exporter/kafka.yaml), serving its
   * figures for Prometheus at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

/**
 * A dedicated KRaft controller: a voter of the cluster's metadata quorum that serves no client and holds no partition,
 * so a broker's load (a burst, a slow disk, a long pause of its heap) cannot delay the quorum's elections and metadata
 * writes, and restarting a broker does not move the quorum's leader. It has one listener, CONTROLLER, on the platform
 * network alone. The cluster's brokers reach the quorum there (KafkaCluster with `controllers: 'dedicated'`).
 */
export class KafkaController extends Construct {
  public readonly nodeId: number;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the controller, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: KafkaControllerProps) {
    super(scope, id);
    const name = props.name ?? 'kafka-controller';
    this.nodeId = validateIntegerRange('nodeId', props.nodeId, 0, 2147483647);
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 768, 512);
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const controller = new ConfluentService(this, 'Controller', {
      name,
      network: props.network,
      ...kafkaNodeService(props.prometheusMetrics),
      imageSource: props.imageSource,
      spreadOrdinal: this.nodeId - 1,
      memoryMiB: this.memoryMiB,
      ...kraftStart(this, props.clusterId),
      properties: {
        ...kraftNodeProperties(this.nodeId, props.quorumVoters),
        'process.roles': 'controller',
        listeners: CONTROLLER_LISTENER,
        'listener.security.protocol.map': CONTROLLER_PROTOCOL,
        'log.dirs': '/var/lib/kafka/data',
      },
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/kafka/data' }],
      // Answers once the quorum has a leader that this controller reaches.
      healthCheck: voterHealthCheck(
        HealthCheck.command(['kafka-metadata-quorum', '--bootstrap-controller', `localhost:${CONTROLLER_PORT}`, 'describe', '--status'], KAFKA_TOOL_HEALTH_TIMING),
        props.quorumVoters,
      ),
    });
    this.container = controller.container;
    this.metricsEndpoint = controller.metricsEndpoint;
  }
}
