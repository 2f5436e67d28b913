import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { HealthCheck } from './health-check';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateAddresses, validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface ZooKeeperProps extends PlatformServiceProps {
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 512
   */
  readonly memoryMiB?: number;
  /**
   * Start the JVM with the JMX exporter's Java agent (rules in constructs/assets/jmx-exporter/zookeeper.yaml), serving its
   * figures for Prometheus at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

/** What a ZooKeeper client needs: where the ensemble answers. */
export interface IZooKeeper {
  /** `host:port[,host:port...]` for clients on the platform network. */
  readonly connectString: string;
}

/** A ZooKeeper ensemble the platform does not run, given by address. */
export interface ExistingZooKeeperAttributes {
  /** Its servers as `host:port`, reachable from the platform network. */
  readonly servers: readonly string[];
}

const CLIENT_PORT = 2181;

/** A single ZooKeeper server: Kafka's metadata quorum (Confluent Platform 7.9 runs Kafka in ZooKeeper mode). */
export class ZooKeeper extends Construct implements IZooKeeper {
  /** An ensemble that runs elsewhere, for a Kafka broker or Control Center to use. */
  public static fromExisting(attributes: ExistingZooKeeperAttributes): IZooKeeper {
    return { connectString: validateAddresses('servers', attributes.servers).join(',') };
  }

  /** `host:port` for clients on the platform network. */
  public readonly connectString: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the server, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: ZooKeeperProps) {
    super(scope, id);
    const name = props.name ?? 'zookeeper';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 512, 256);
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const log = new StateVolume(this, 'Log', { name: `${name}-log`, retain: props.retainVolumes });

    const server = new ConfluentService(this, 'Server', {
      name,
      network: props.network,
      image: IMAGES.zookeeper,
      imageSource: props.imageSource,
      memoryMiB: this.memoryMiB,
      startScript: 'zookeeper-server-start',
      configFileName: 'zookeeper.properties',
      heapOptionsVariable: 'KAFKA_HEAP_OPTS',
      log4jOptionsVariable: 'KAFKA_LOG4J_OPTS',
      properties: {
        dataDir: '/var/lib/zookeeper/data',
        dataLogDir: '/var/lib/zookeeper/log',
        clientPort: CLIENT_PORT,
        tickTime: 2000,
        initLimit: 10,
        syncLimit: 5,
        maxClientCnxns: 0,
        'admin.enableServer': false,
        // `srvr` answers "Mode: ..." only while the server serves requests, unlike a bare port check.
        '4lw.commands.whitelist': 'srvr',
      },
      volumes: [
        { volumeName: data.volumeName, containerPath: '/var/lib/zookeeper/data' },
        { volumeName: log.volumeName, containerPath: '/var/lib/zookeeper/log' },
      ],
      // Cheap, so every 2 s: Kafka's start waits for the first check that passes (API 1.41 has no start interval).
      healthCheck: HealthCheck.tcp(CLIENT_PORT, { send: 'srvr', expectLine: '^Mode: ', intervalSeconds: 2, startPeriodSeconds: 20, retries: 30 }),
      jmxExporter: props.prometheusMetrics ? { service: 'zookeeper', optionsVariable: 'KAFKA_OPTS' } : undefined,
    });
    this.container = server.container;
    this.metricsEndpoint = server.metricsEndpoint;
    this.connectString = `${this.container.name}:${CLIENT_PORT}`;
  }
}
