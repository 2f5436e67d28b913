import { Construct } from 'constructs';
import { CONFIG_DIRECTORY, confluentLogging } from './confluent-config';
import { heapMiB, PlatformServiceProps, renderProperties } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { StateVolume } from './state-volume';
import { validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface ZooKeeperProps extends PlatformServiceProps {
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 512
   */
  readonly memoryMiB?: number;
}

const CLIENT_PORT = 2181;

/** A single ZooKeeper server: Kafka's metadata quorum (Confluent Platform 7.9 runs Kafka in ZooKeeper mode). */
export class ZooKeeper extends Construct {
  /** `host:port` for clients on the platform network. */
  public readonly connectString: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: ZooKeeperProps) {
    super(scope, id);
    const name = props.name ?? 'zookeeper';
    this.memoryMiB = validateMemoryMiB('zookeeper.memoryMiB', props.memoryMiB ?? 512, 256);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.zookeeper, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const log = new StateVolume(this, 'Log', { name: `${name}-log`, retain: props.retainVolumes });
    const configFile = `${CONFIG_DIRECTORY}/zookeeper.properties`;
    const logging = confluentLogging();
    const heap = heapMiB(this.memoryMiB);

    this.container = new ServiceContainer(this, 'Server', {
      name,
      image: image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      command: ['zookeeper-server-start', configFile],
      environment: { KAFKA_HEAP_OPTS: `-Xms${heap}m -Xmx${heap}m`, KAFKA_LOG4J_OPTS: logging.option },
      files: [
        {
          file: configFile,
          content: renderProperties({
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
          }),
        },
        logging.upload,
      ],
      volumes: [
        { volumeName: data.volumeName, containerPath: '/var/lib/zookeeper/data' },
        { volumeName: log.volumeName, containerPath: '/var/lib/zookeeper/log' },
      ],
      healthCheck: {
        command: ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${CLIENT_PORT} && printf srvr >&3 && grep -q '^Mode: ' <&3`],
        startPeriodSeconds: 20,
      },
    });
    this.connectString = `${this.container.name}:${CLIENT_PORT}`;
  }
}
