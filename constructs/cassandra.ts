import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { JmxExporter } from './jmx-exporter';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, heapMiB, hostAddress, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { StateVolume } from './state-volume';
import { PropError, validateAddresses, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/** What a CQL client needs: where the cluster answers and which datacenter is local. */
export interface ICassandraCluster {
  /** `host:port[,host:port...]` for CQL clients on the platform network. */
  readonly contactPoints: string;
  /** The local datacenter clients must name (driver 4.x requires it). */
  readonly datacenter: string;
  /**
   * `host:port[,host:port...]` for CQL clients on the Docker host.
   * @default - unknown
   */
  readonly hostContactPoints?: string;
}

/** A Cassandra cluster the platform does not run, given by address. */
export interface ExistingCassandraAttributes {
  /** Nodes as `host:port`, reachable from the platform network. */
  readonly contactPoints: readonly string[];
  /** The datacenter of those nodes. */
  readonly datacenter: string;
  /**
   * Nodes as `host:port` from the Docker host, for the stack's outputs.
   * @default - no `cassandra_contact_point` output
   */
  readonly hostContactPoints?: readonly string[];
}

export interface CassandraProps extends PublishingServiceProps {
  /**
   * Host port of the CQL native protocol.
   * @default 9042
   */
  readonly hostPort?: number;
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 2048
   */
  readonly memoryMiB?: number;
  /**
   * Start the node with the JMX exporter's Java agent (rules in constructs/assets/jmx-exporter/cassandra.yaml), serving its
   * figures for Prometheus at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const CQL_PORT = 9042;
const DATACENTER = 'datacenter1';

/** A single Cassandra node: where the stream lands, keyed by user id so a replay is an upsert. */
export class Cassandra extends Construct implements ICassandraCluster {
  /** A cluster that runs elsewhere, for the pipeline's jobs to write to. */
  public static fromExisting(attributes: ExistingCassandraAttributes): ICassandraCluster {
    if (!/^\S+$/.test(attributes.datacenter)) throw new PropError('datacenter', `must be a datacenter name, got '${attributes.datacenter}'`);
    const host = attributes.hostContactPoints;
    return {
      contactPoints: validateAddresses('contactPoints', attributes.contactPoints).join(','),
      datacenter: attributes.datacenter,
      hostContactPoints: host === undefined ? undefined : validateAddresses('hostContactPoints', host).join(','),
    };
  }

  /** `host:port` of this node for CQL clients on the platform network. */
  public readonly contactPoints: string;
  /** `host:port` of this node for CQL clients on the Docker host. */
  public readonly hostContactPoints: string;
  /** The local datacenter clients must name (driver 4.x requires it). */
  public readonly datacenter = DATACENTER;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the node, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: CassandraProps) {
    super(scope, id);
    const name = props.name ?? 'cassandra';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 2048, 1024);
    const hostPort = validatePort('hostPort', props.hostPort ?? CQL_PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const image = new ServiceImage(this, 'Image', { image: IMAGES.cassandra, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const heap = heapMiB(this.memoryMiB);
    const agent = props.prometheusMetrics
      ? new JmxExporter(this, 'JmxExporter', { service: 'cassandra', image, imageSource: props.imageSource ?? ImageSource.publicRegistry(), containerName: name })
      : undefined;
    this.metricsEndpoint = agent?.endpoint;

    this.container = new ServiceContainer(this, 'Node', {
      name,
      image: agent?.imageId ?? image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      environment: {
        // The node's start script alone appends it (bin/cassandra, cassandra-env.sh): nodetool and cqlsh do not.
        ...(agent ? { JVM_EXTRA_OPTS: agent.javaOption } : {}),
        MAX_HEAP_SIZE: `${heap}M`,
        // Only CMS reads it (Java 17 runs G1), but cassandra-env.sh wants it set together with MAX_HEAP_SIZE.
        HEAP_NEWSIZE: `${Math.max(32, Math.floor(heap / 4))}M`,
        CASSANDRA_CLUSTER_NAME: 'kafka-pipelining',
        CASSANDRA_DC: DATACENTER,
        CASSANDRA_ENDPOINT_SNITCH: 'GossipingPropertyFileSnitch',
        CASSANDRA_NUM_TOKENS: '16',
      },
      files: agent?.uploads,
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/cassandra' }],
      ports: [{ containerPort: CQL_PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // A CQL round trip, not a port check: the port opens before the node accepts queries.
      healthCheck: HealthCheck.command(['cqlsh', '-e', 'describe keyspaces'], {
        intervalSeconds: 15,
        timeoutSeconds: 20,
        startPeriodSeconds: 60,
        retries: 20,
      }),
      waitTimeoutSeconds: 480,
    });
    this.contactPoints = `${this.container.name}:${CQL_PORT}`;
    this.hostContactPoints = `${hostAddress(bindAddress)}:${hostPort}`;
  }
}
