import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { HealthCheck } from './health-check';
import { prefixed, saslClientProperties } from './kafka-acls';
import { IKafkaCluster, replicationFactorOf } from './kafka-cluster';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps } from './platform-service-props';
import { ISchemaRegistry } from './schema-registry';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

export interface ControlCenterProps extends PublishingServiceProps {
  /** The cluster to monitor. */
  readonly kafka: IKafkaCluster;
  /** That cluster's ZooKeeper. */
  readonly zookeeper: IZooKeeper;
  /** The registry whose schemas the UI shows. */
  readonly schemaRegistry: ISchemaRegistry;
  /**
   * Host port of the web UI.
   * @default 9021
   */
  readonly hostPort?: number;
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 2048
   */
  readonly memoryMiB?: number;
}

const PORT = 9021;

/**
 * Confluent Control Center, the web UI over the cluster. It is licensed software (a trial without a
 * license key), which is why the platform lets it be switched off.
 */
export class ControlCenter extends Construct {
  /** Web UI from the Docker host. */
  public readonly hostUrl: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: ControlCenterProps) {
    super(scope, id);
    const name = props.name ?? 'control-center';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 2048, 1024);
    const hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const replication = replicationFactorOf(props.kafka);

    this.container = new ConfluentService(this, 'Server', {
      name,
      network: props.network,
      image: IMAGES.controlCenter,
      imageSource: props.imageSource,
      memoryMiB: this.memoryMiB,
      startScript: 'control-center-start',
      configFileName: 'control-center.properties',
      heapOptionsVariable: 'CONTROL_CENTER_HEAP_OPTS',
      log4jOptionsVariable: 'CONTROL_CENTER_LOG4J_OPTS',
      properties: {
        'bootstrap.servers': props.kafka.bootstrapServers,
        // Control Center administers the cluster: its login is the admin's, a super user.
        ...prefixed('confluent.controlcenter.streams.', saslClientProperties(props.kafka.credential('admin'))),
        'zookeeper.connect': props.zookeeper.connectString,
        'confluent.controlcenter.id': 1,
        'confluent.controlcenter.rest.listeners': `http://0.0.0.0:${PORT}`,
        'confluent.controlcenter.data.dir': '/var/lib/confluent-control-center',
        'confluent.controlcenter.schema.registry.url': props.schemaRegistry.url,
        // The reader's login, in the properties file (not the environment).
        'confluent.controlcenter.schema.registry.basic.auth.credentials.source': 'USER_INFO',
        'confluent.controlcenter.schema.registry.basic.auth.user.info':
          `${props.schemaRegistry.credential('reader').username}:${props.schemaRegistry.credential('reader').password}`,
        // Its internal topics as many copies as the cluster asks for; one partition each, for a small cluster.
        'confluent.controlcenter.internal.topics.replication': replication,
        'confluent.controlcenter.internal.topics.partitions': 1,
        'confluent.controlcenter.command.topic.replication': replication,
        'confluent.monitoring.interceptor.topic.replication': replication,
        'confluent.monitoring.interceptor.topic.partitions': 1,
        'confluent.metrics.topic.replication': replication,
        'confluent.controlcenter.streams.num.stream.threads': 1,
      },
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/confluent-control-center' }],
      ports: [{ containerPort: PORT, hostPort, bindAddress, prop: 'hostPort' }],
      healthCheck: HealthCheck.http(`http://localhost:${PORT}/`, { intervalSeconds: 15, startPeriodSeconds: 60, retries: 16 }),
      waitTimeoutSeconds: 420,
    }).container;
    this.hostUrl = `http://${this.container.publishedHost}:${hostPort}`;
  }
}
