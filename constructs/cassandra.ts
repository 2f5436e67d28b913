import * as path from 'path';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KeyspacePermission } from '../jobs/lib/cassandra-roles';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { JMX_EXPORTER_PORT, JmxExporter } from './jmx-exporter';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, heapMiB, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { PropError, validateAddresses, validateIntegerRange, type Login, validateLogin, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/**
 * Who logs in to Cassandra. Each has a role of its own, none a superuser: the bootstrap job (creates the pipeline's
 * tables and alters them), the pipeline (the Spark job, which reads and writes the table) and the monitoring (read
 * only: the health check, `npm run status`, verify).
 */
export type CassandraClient = 'bootstrap' | 'pipeline' | 'monitoring';

/** A login of a Cassandra role. */
export type CassandraCredential = Login;

/** What a CQL client needs: where the cluster answers, which datacenter is local, and a login per purpose. */
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
  /** The login of `client`: pass its password as a secret. */
  credential(client: CassandraClient): CassandraCredential;
}

/** The logins of a brought cluster, one per purpose. */
export interface ExistingCassandraCredentials {
  /** The Spark job's role: SELECT and MODIFY on the pipeline's keyspace. */
  readonly pipeline: CassandraCredential;
  /**
   * The bootstrap job's role: CREATE and ALTER on the keyspace (its tables and replication), and CREATE on every
   * keyspace while the keyspace does not exist.
   * @default - the pipeline's role, which then needs those too
   */
  readonly bootstrap?: CassandraCredential;
  /**
   * A read-only role (SELECT on the keyspace), for verify and `npm run status`.
   * @default - the pipeline's role
   */
  readonly monitoring?: CassandraCredential;
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
  /**
   * The roles the pipeline logs in as. A cluster that does not authenticate (AllowAllAuthenticator) ignores them,
   * so any name and password do there.
   */
  readonly credentials: ExistingCassandraCredentials;
}

/**
 * When the commit log is synced to disk. `periodic` (Cassandra's default): a write is acknowledged once it is in the
 * log's memory-mapped segment, which is synced every 10 s; the operating system keeps those pages when the node's
 * process dies, so only a host's crash or power loss loses what it acknowledged since, and with copies on 3 nodes
 * that takes all three going down together. `group`: a write is acknowledged only after the sync that covers it, one
 * every 15 ms, so nothing acknowledged is lost, at up to 15 ms more per write.
 */
export type CassandraCommitlogSync = 'periodic' | 'group';

/** The window of each mode: commitlog_sync_period for periodic, commitlog_sync_group_window for group. */
const COMMITLOG_SYNC_WINDOW: Readonly<Record<CassandraCommitlogSync, string>> = { periodic: '10000ms', group: '15ms' };

export interface CassandraProps extends PublishingServiceProps {
  /**
   * Its place in the ring, for a target of several hosts: node i runs on the i-th host (see ServiceContainerProps).
   * @default 0
   */
  readonly spreadOrdinal?: number;
  /** The read-only role the health check logs in as: its ring's `monitoring` role. */
  readonly healthCheckLogin: CassandraCredential;
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
  /**
   * Nodes of the ring this node is one of, 1 to 5. A ring of one starts without waiting for peers; in a larger one,
   * system_auth (every login) is created with a copy on every node, so that no row of it is ever short of replicas
   * as the ring forms (the roles job then sets it to the keyspace's copies).
   * @default 1
   */
  readonly ringSize?: number;
  /**
   * Host names of the nodes a starting node asks for the ring (CASSANDRA_SEEDS). A node that names itself is a seed:
   * it never bootstraps (streams its share of the rows from the others), so only a ring's first node should.
   * @default - the node's own address: a ring of its own
   */
  readonly seeds?: readonly string[];
  /**
   * When the commit log is synced to disk (see CassandraCommitlogSync).
   * @default 'periodic'
   */
  readonly commitlogSync?: CassandraCommitlogSync;
  /**
   * The pinned image, shared by the nodes of a ring.
   * @default - the node pulls its own
   */
  readonly image?: ServiceImage;
  /**
   * The JMX exporter's agent for `prometheusMetrics`, shared by the nodes of a ring.
   * @default - the node's own
   */
  readonly jmxExporter?: JmxExporter;
  /**
   * What is healthy before this node is created: in a ring, the node before it, since Cassandra refuses a node that
   * bootstraps while another one does.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
}

const CQL_PORT = 9042;
const DATACENTER = 'datacenter1';
const MAX_RING_SIZE = 5;
const ASSETS = '/opt/kafka-pipelining';
const START_SCRIPT = `${ASSETS}/cassandra-start.sh`;
const HEALTH_SCRIPT = `${ASSETS}/cassandra-health.sh`;
/** The monitoring role's login in cqlsh's credentials format, for the health check: readable by root alone. */
const HEALTH_CREDENTIALS = `${ASSETS}/cassandra-health.credentials`;

/**
 * A node alone in its ring has no peer to hear from, yet a node waits for them: 30 s of ring delay before it picks its
 * tokens and two 8 s rounds of "waiting for gossip to settle", 46 of the 85 s a fresh node took to serve CQL here. Both
 * waits are for other nodes' state, so a ring of one skips them; a node of a larger ring needs them.
 */
const SINGLE_NODE_START_OPTIONS = ['-Dcassandra.ring_delay_ms=1000', '-Dcassandra.skip_wait_for_gossip_to_settle=0'];

/** Each client's role on the platform's own Cassandra and its permissions on the pipeline's keyspace (and so its tables). */
export const CASSANDRA_ROLES: Readonly<Record<CassandraClient, { readonly role: string; readonly permissions: readonly KeyspacePermission[] }>> = {
  bootstrap: { role: 'bootstrap', permissions: ['CREATE', 'ALTER'] },
  pipeline: { role: 'pipeline', permissions: ['SELECT', 'MODIFY'] },
  monitoring: { role: 'monitoring', permissions: ['SELECT'] },
};

/** A role name or password that goes into CQL, cqlsh's credentials file and the Spark job's properties as is. */
function validateCredential(prop: string, credential: CassandraCredential): CassandraCredential {
  return validateLogin(prop, credential, { pattern: /^[A-Za-z][A-Za-z0-9_]{0,47}$/, described: "a role name (a letter, then letters, digits or '_', at most 48)" }, 'properties and credentials');
}

/**
 * One Cassandra node (CassandraRing makes the platform's ring of them): where the stream lands, keyed by user id so a
 * replay is an upsert. It authenticates every client (PasswordAuthenticator) and authorizes what each does
 * (CassandraAuthorizer), with the roles its ring's cassandra-roles job (CassandraRoles) applies once it serves.
 */
export class Cassandra extends Construct {
  /** A cluster that runs elsewhere, for the pipeline's jobs to write to. */
  public static fromExisting(attributes: ExistingCassandraAttributes): ICassandraCluster {
    if (!/^\S+$/.test(attributes.datacenter)) throw new PropError('datacenter', `must be a datacenter name, got '${attributes.datacenter}'`);
    const host = attributes.hostContactPoints;
    const given = attributes.credentials;
    const pipeline = validateCredential('credentials.pipeline', given.pipeline);
    const credentials: Record<CassandraClient, CassandraCredential> = {
      pipeline,
      bootstrap: given.bootstrap ? validateCredential('credentials.bootstrap', given.bootstrap) : pipeline,
      monitoring: given.monitoring ? validateCredential('credentials.monitoring', given.monitoring) : pipeline,
    };
    return {
      contactPoints: validateAddresses('contactPoints', attributes.contactPoints).join(','),
      datacenter: attributes.datacenter,
      hostContactPoints: host === undefined ? undefined : validateAddresses('hostContactPoints', host).join(','),
      credential: (client) => credentials[client],
    };
  }

  /** The most nodes a ring has here: each is a JVM of `memoryMiB` on one Docker host. */
  public static readonly MAX_RING_SIZE = MAX_RING_SIZE;

  /** `host:port` of this node for CQL clients on the platform network. */
  public readonly contactPoint: string;
  /** `host:port` of this node for CQL clients on the Docker host. */
  public readonly hostContactPoint: string;
  /** The node's datacenter, which clients name as their local one (driver 4.x requires it). */
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
    const ringSize = validateIntegerRange('ringSize', props.ringSize ?? 1, 1, MAX_RING_SIZE);
    const commitlogSync = props.commitlogSync ?? 'periodic';
    if (!Object.keys(COMMITLOG_SYNC_WINDOW).includes(commitlogSync)) throw new PropError('commitlogSync', `must be 'periodic' or 'group', got '${String(commitlogSync)}'`);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const image = props.image ?? new ServiceImage(this, 'Image', { image: IMAGES.cassandra, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    const heap = heapMiB(this.memoryMiB);
    const agent = props.prometheusMetrics
      ? (props.jmxExporter ?? new JmxExporter(this, 'JmxExporter', { service: 'cassandra', image, imageSource: props.imageSource ?? ImageSource.publicRegistry(), containerName: name }))
      : undefined;
    // The agent may be the ring's: every node is a target of its own.
    this.metricsEndpoint = agent && { ...agent.endpoint, address: `${name}:${JMX_EXPORTER_PORT}` };
    const login = props.healthCheckLogin;
    const scripts = new ShippedFiles(this, 'Scripts', {
      files: [
        { source: path.join(__dirname, 'assets', 'cassandra-start.sh'), target: START_SCRIPT },
        { source: path.join(__dirname, 'assets', 'cassandra-health.sh'), target: HEALTH_SCRIPT },
      ],
    });
    const ringOptions = ringSize === 1 ? SINGLE_NODE_START_OPTIONS : [`-Dcassandra.system_auth.default_rf=${ringSize}`];

    this.container = new ServiceContainer(this, 'Node', {
      name,
      spreadOrdinal: props.spreadOrdinal,
      image: agent?.imageId ?? image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      environment: {
        // The node's start script alone appends it (bin/cassandra, cassandra-env.sh): nodetool and cqlsh do not.
        JVM_EXTRA_OPTS: [...(agent ? [agent.javaOption] : []), ...ringOptions].join(' '),
        MAX_HEAP_SIZE: `${heap}M`,
        // Only CMS reads it (Java 17 runs G1), but cassandra-env.sh wants it set together with MAX_HEAP_SIZE.
        HEAP_NEWSIZE: `${Math.max(32, Math.floor(heap / 4))}M`,
        CASSANDRA_CLUSTER_NAME: 'kafka-pipelining',
        CASSANDRA_DC: DATACENTER,
        CASSANDRA_ENDPOINT_SNITCH: 'GossipingPropertyFileSnitch',
        // Both images' default, set so that every node of a ring has it whatever the image's file says.
        CASSANDRA_NUM_TOKENS: '16',
        ...(props.seeds ? { CASSANDRA_SEEDS: props.seeds.join(',') } : {}),
        KP_CASSANDRA_COMMITLOG_SYNC: commitlogSync,
        KP_CASSANDRA_COMMITLOG_SYNC_WINDOW: COMMITLOG_SYNC_WINDOW[commitlogSync],
      },
      // The start script turns authentication on and sets the commit log's sync in cassandra.yaml, then runs the image's entrypoint.
      command: ['bash', START_SCRIPT],
      files: [
        ...(agent?.uploads ?? []),
        ...scripts.uploads,
        {
          file: HEALTH_CREDENTIALS,
          content: `[plain_text_auth]\nusername = ${login.username}\npassword = ${login.password}\n`,
          permissions: '0600',
        },
      ],
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/cassandra' }],
      ports: [{ containerPort: CQL_PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // The node joined the ring and serves CQL through its authentication, not a port check: the port opens before
      // the node accepts queries (constructs/assets/cassandra-health.sh).
      healthCheck: HealthCheck.command(['bash', HEALTH_SCRIPT, HEALTH_CREDENTIALS], {
        intervalSeconds: 15,
        timeoutSeconds: 20,
        startPeriodSeconds: 60,
        retries: 20,
      }),
      waitTimeoutSeconds: 480,
      dependsOn: props.dependsOn,
    });
    this.contactPoint = `${this.container.name}:${CQL_PORT}`;
    this.hostContactPoint = `${this.container.publishedHost}:${hostPort}`;
  }
}
