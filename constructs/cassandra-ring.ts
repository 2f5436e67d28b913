import { Construct } from 'constructs';
import { Cassandra, CASSANDRA_ROLES, type CassandraClient, type CassandraCommitlogSync, type CassandraCredential, type ICassandraCluster } from './cassandra';
import { GeneratedSecret } from './generated-secret';
import { ImageSource } from './image-source';
import { JmxExporter } from './jmx-exporter';
import { PublishingServiceProps } from './platform-service-props';
import { ServiceImage } from './service-image';
import { PropError, validateIntegerRange, validatePort } from './validation';
import { IMAGES } from './versions';

export interface CassandraRingProps extends PublishingServiceProps {
  /**
   * Nodes in the ring, 1 to 5, one datacenter. Each is a JVM of `memoryMiB`; a ring of 3 keeps 3 copies of every row
   * and goes on reading and writing at LOCAL_QUORUM with one node lost.
   * @default 1
   */
  readonly nodes?: number;
  /**
   * Host port of the first node's CQL native protocol; node i publishes `hostPort + i - 1`.
   * @default 9042
   */
  readonly hostPort?: number;
  /**
   * Memory limit of each node in MiB (the JVM heap is half of it).
   * @default 2048
   */
  readonly memoryMiB?: number;
  /**
   * Start every node with the JMX exporter's Java agent, each a target of the monitoring.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
  /**
   * When every node syncs its commit log to disk (see CassandraCommitlogSync).
   * @default 'periodic'
   */
  readonly commitlogSync?: CassandraCommitlogSync;
}

/** The copies of a row a ring keeps by default at most: 3 go on at LOCAL_QUORUM with one node lost. */
const MAX_DEFAULT_REPLICATION = 3;
/** How many of the first nodes are seeds: the others ask them for the ring, and one of them may be down. */
const SEEDS = 2;

/**
 * The platform's own Cassandra: a ring of 1 to 5 nodes (Cassandra), one cluster and one datacenter, with what they
 * share: the image, the JMX exporter's agent, and each client's role password, generated at deploy time (the
 * cassandra-roles job, CassandraRoles, gives the roles these passwords and keeps the superuser's on the volume named
 * here).
 *
 * The first node keeps the names, volume and Terraform addresses of the platform's single node before the ring
 * (`<name>`, `<name>-data`; its construct id is `Default`, which addresses leave out), so that a deployed single-node
 * stack keeps its data; node i is `<name>-i` with `<name>-i-data`, publishing CQL on `hostPort + i - 1`. Node i is
 * created once node i-1 is healthy (joined the ring and serving CQL): Cassandra refuses a node that bootstraps while
 * another one does. The first two nodes are the seeds, which the others ask for the ring; the second does not name
 * itself, so that when it is new it bootstraps like the others (a seed never does: on a grown ring it would own rows it
 * never received).
 */
export class CassandraRing extends Construct implements ICassandraCluster {
  public readonly nodes: readonly Cassandra[];
  /** Every node's `host:port` for CQL clients on the platform network. */
  public readonly contactPoints: string;
  /** Every node's `host:port` for CQL clients on the Docker host. */
  public readonly hostContactPoints: string;
  /** The ring's one datacenter, which clients name as their local one. */
  public readonly datacenter: string;
  /** The copies of every row a ring of this size keeps unless told otherwise: one per node, 3 at most. */
  public readonly defaultReplication: number;
  /**
   * The volume that keeps the platform superuser's credential, the key to the roles in the nodes' data: named after
   * the ring, and kept exactly when the data is (`retainVolumes`).
   */
  public readonly superuserVolumeName: string;
  public readonly retainVolumes: boolean;
  /** Each client's generated password (deploy-time tokens, sensitive). */
  private readonly passwords: Readonly<Record<CassandraClient, string>>;

  constructor(scope: Construct, id: string, props: CassandraRingProps) {
    super(scope, id);
    const count = validateIntegerRange('nodes', props.nodes ?? 1, 1, Cassandra.MAX_RING_SIZE);
    const name = props.name ?? 'cassandra';
    const firstPort = validatePort('hostPort', props.hostPort ?? 9042);
    if (firstPort + count - 1 > 65535) throw new PropError('hostPort', `must leave room for ${count} nodes' ports (hostPort + ${count - 1} at most 65535), got ${firstPort}`);
    this.defaultReplication = Math.min(count, MAX_DEFAULT_REPLICATION);
    this.superuserVolumeName = `${name}-superuser`;
    this.retainVolumes = props.retainVolumes ?? false;
    // Created here with the ids the single node had, so that their Terraform addresses stay.
    this.passwords = {
      bootstrap: new GeneratedSecret(this, 'BootstrapPassword').value,
      pipeline: new GeneratedSecret(this, 'PipelinePassword').value,
      monitoring: new GeneratedSecret(this, 'MonitoringPassword').value,
    };
    const image = new ServiceImage(this, 'Image', { image: IMAGES.cassandra, source: props.imageSource });
    const jmxExporter = props.prometheusMetrics
      ? new JmxExporter(this, 'JmxExporter', { service: 'cassandra', image, imageSource: props.imageSource ?? ImageSource.publicRegistry(), containerName: name })
      : undefined;

    const names = Array.from({ length: count }, (_, i) => (i === 0 ? name : `${name}-${i + 1}`));
    const seeds = names.slice(0, SEEDS);
    const nodes: Cassandra[] = [];
    for (const [i, nodeName] of names.entries()) {
      const previous = nodes[i - 1] as Cassandra | undefined;
      nodes.push(
        new Cassandra(this, i === 0 ? 'Default' : `Node${i + 1}`, {
          network: props.network,
          name: nodeName,
          imageSource: props.imageSource,
          retainVolumes: props.retainVolumes,
          bindAddress: props.bindAddress,
          hostPort: firstPort + i,
          spreadOrdinal: i,
          memoryMiB: props.memoryMiB,
          prometheusMetrics: props.prometheusMetrics,
          commitlogSync: props.commitlogSync,
          healthCheckLogin: this.credential('monitoring'),
          ringSize: count,
          // Alone, the image's default (its own address). The first node names itself: it starts the ring.
          seeds: count === 1 ? undefined : seeds.filter((seed) => i === 0 || seed !== nodeName),
          image,
          jmxExporter,
          dependsOn: previous && [previous.container.resource],
        }),
      );
    }
    this.nodes = nodes;
    this.datacenter = nodes[0].datacenter;
    this.contactPoints = nodes.map((node) => node.contactPoint).join(',');
    this.hostContactPoints = nodes.map((node) => node.hostContactPoint).join(',');
  }

  public credential(client: CassandraClient): CassandraCredential {
    return { username: CASSANDRA_ROLES[client].role, password: this.passwords[client] };
  }
}
