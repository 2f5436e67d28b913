import * as fs from 'fs';
import * as path from 'path';
import { Type, type Schema } from 'avsc';
import { Construct } from 'constructs';
import type { CassandraConsistency } from '../jobs/lib/consistency';
import { Airflow } from './airflow';
import { Cassandra, type CassandraCommitlogSync, ICassandraCluster } from './cassandra';
import { DeploymentTarget, type IDeploymentTarget } from './deployment-target';
import { CassandraRing } from './cassandra-ring';
import { CassandraRoles } from './cassandra-roles';
import { ControlCenter } from './control-center';
import { ImageSource } from './image-source';
import { Monitoring } from './monitoring';
import { KafkaBroker } from './kafka-broker';
import { IKafkaCluster, KafkaCluster, type KafkaControllerPlacement, type KafkaMetadataMode, replicationFactorOf } from './kafka-cluster';
import { KafkaController } from './kafka-controller';
import { NodeJob } from './node-job';
import { environmentReadBy, pipelineEnvironment, pipelineTopics, withKafkaLogin } from './pipeline-environment';
import { PlatformNetwork } from './platform-network';
import { type PlatformProfile, withProfile } from './platform-profile';
import { FakeRandomUserApi } from './fake-randomuser-api';
import { DEFAULT_BIND_ADDRESS } from './platform-service-props';
import { IPostgresDatabase, Postgres } from './postgres';
import { ISchemaRegistry, SchemaRegistry } from './schema-registry';
import { ServiceContainer } from './service-container';
import { SparkCluster } from './spark-cluster';
import { SparkStreamingJob } from './spark-streaming-job';
import { StateVolume } from './state-volume';
import { PropError, refuseUnencryptedNetworkAccess, validateBindAddress, validateNamePrefix, withPropNames } from './validation';
import { IZooKeeper, ZooKeeper } from './zookeeper';

/** Host ports the platform publishes, all bound to `bindAddress`. */
export interface PlatformPorts {
  /** The first Kafka broker's; broker i publishes `kafka + i - 1`. @default 9092 */
  readonly kafka?: number;
  /** @default 8081 */
  readonly schemaRegistry?: number;
  /** @default 9021 */
  readonly controlCenter?: number;
  /** @default 5432 */
  readonly postgres?: number;
  /** @default 8080 */
  readonly airflow?: number;
  /** @default 9090 */
  readonly sparkMasterUi?: number;
  /** CQL of the first Cassandra node; node i publishes this + i - 1. @default 9042 */
  readonly cassandra?: number;
  /** Prometheus' UI, API and the pipeline's dashboard. @default 9091 */
  readonly prometheus?: number;
}

/** Memory limits in MiB, per container. */
export interface PlatformMemory {
  /** @default 512 */
  readonly zookeeper?: number;
  /** Each Kafka broker's. @default 1536 */
  readonly kafka?: number;
  /** Each dedicated KRaft controller's (`kafkaControllers: 'dedicated'`). @default 768 */
  readonly kafkaController?: number;
  /** @default 768 */
  readonly schemaRegistry?: number;
  /** @default 2048 */
  readonly controlCenter?: number;
  /** @default 512 */
  readonly postgres?: number;
  /** @default 1536 */
  readonly airflowApiServer?: number;
  /** @default 1536 */
  readonly airflowScheduler?: number;
  /** @default 768 */
  readonly airflowDagProcessor?: number;
  /** @default 768 */
  readonly sparkMaster?: number;
  /** @default 2048 */
  readonly sparkWorker?: number;
  /** @default 1536 */
  readonly sparkJob?: number;
  /** Each Cassandra node. @default 2048 */
  readonly cassandra?: number;
  /** @default 384 */
  readonly prometheus?: number;
}

/** What the pipeline does; see docs/pipeline.md for how each setting reaches the jobs. */
export interface PipelineSettings {
  /** @default 'https://randomuser.me/api/' */
  readonly sourceUrl?: string;
  /**
   * Serve users from a local stand-in for randomuser.me (jobs/fake-randomuser.ts) on the platform network,
   * for hosts that cannot reach the real API and for the end-to-end proof. Excludes `sourceUrl`.
   * @default false
   */
  readonly localSourceApi?: boolean;
  /** Users fetched per DAG run (the API serves at most 5000). @default 100 */
  readonly batchSize?: number;
  /** Seconds before a failed DAG task's first retry (then doubling, at most 10 minutes). @default 30 */
  readonly retryDelaySeconds?: number;
  /**
   * Characters a field of a user may have, 36 to 20,000: the DAG rejects a longer one at ingest, naming the
   * field, instead of letting it reach Kafka's message size limit. @default 1000
   */
  readonly maxFieldLength?: number;
  /** The DAG's schedule: cron, preset, or 'none' for triggered runs only. @default '@hourly' */
  readonly schedule?: string;
  /**
   * The Kafka topic users are published to (its dead-letter topic is `<topic>.dlq`). A new topic starts
   * empty: users already published stay in the old one, and the stream reads the new one with a checkpoint
   * of its own.
   * @default 'users_created'
   */
  readonly topic?: string;
  /**
   * Partitions of the topic and of its dead-letter topic when the bootstrap job creates them. An existing
   * topic keeps its partitions: with more than this (Kafka cannot remove partitions), the bootstrap fails
   * naming both counts; with fewer, it warns and leaves them (adding partitions moves keys).
   * @default 3
   */
  readonly topicPartitions?: number;
  /**
   * The Cassandra keyspace the stream writes to. The stream's checkpoint follows it (and the topic and table):
   * a new keyspace gets the whole topic replayed into it, from what Kafka still retains.
   * @default 'spark_streams'
   */
  readonly keyspace?: string;
  /**
   * The Cassandra table the stream writes to; the checkpoint follows it, as for `keyspace`.
   * @default 'created_users'
   */
  readonly table?: string;
  /**
   * Copies of every row of the keyspace in the datacenter (NetworkTopologyStrategy); with the platform's own
   * Cassandra, at most `cassandraNodes`, and system_auth (every login) gets as many. The bootstrap job raises an
   * existing keyspace's factor (then run `nodetool repair -full`); it refuses to lower it unless
   * `acceptFewerCassandraReplicas` is set.
   * @default - one per node of the platform's own Cassandra, 3 at most; 1 with `cassandra` given
   */
  readonly cassandraReplication?: number;
  /**
   * Let the bootstrap job lower an existing keyspace's replication factor to `cassandraReplication`. Each row
   * then has fewer copies: a node lost afterwards can take rows with it.
   * @default false
   */
  readonly acceptFewerCassandraReplicas?: boolean;
  /**
   * The consistency level of the Spark job's writes and of every read (bootstrap, verify, `npm run status`): ONE, TWO,
   * THREE, QUORUM, ALL, LOCAL_ONE or LOCAL_QUORUM. TWO and THREE need that many copies (`cassandraReplication`).
   * @default - LOCAL_QUORUM with 3 copies or more (a node lost, reads and writes go on, and a read meets every
   * acknowledged write), else LOCAL_ONE (a quorum of 1 or 2 copies is every copy: one node lost would stop them)
   */
  readonly cassandraConsistency?: CassandraConsistency;
  /**
   * Seconds between micro-batches of the Spark job (a batch that runs longer starts the next at once), in tenths from
   * 0.1. A record waits up to this long for the next batch to start: a latency below a second needs a trigger below it.
   * 1 s took p50 produce→row latency from 3.0 s to 0.9 s in `npm run bench` against 5 s.
   * @default 1
   */
  readonly triggerSeconds?: number;
  /** Upper bound of records per micro-batch: larger batches spread the per-batch cost of a backlog. @default 50000 */
  readonly maxOffsetsPerTrigger?: number;
  /** Cassandra writes each Spark task keeps in flight (the connector's own default is 5). @default 64 */
  readonly cassandraConcurrentWrites?: number;
  /**
   * The users record's Avro schema (absolute path). Only the bootstrap job gets it: it checks the file against the
   * versions registered (BACKWARD_TRANSITIVE) and fails the deploy naming the field before any running service
   * changes, else adds the new fields' columns and registers it; the DAG and the Spark job take it up from the
   * registry while they run. See docs/pipeline.md, "Schema evolution".
   * @default - the repository's jobs/schemas/user.avsc
   */
  readonly schemaFile?: string;
}

export interface StreamingPlatformProps {
  /**
   * Sizes for who would rather not pick numbers (PlatformProfile): 'single' runs one of each; 'replicated' runs 3 Kafka
   * brokers in KRaft mode, 3 Cassandra nodes and 2 Spark workers with smaller memory limits per node. Every count,
   * `kafkaMetadata` and memory prop given overrides its profile value.
   * @default 'single'
   */
  readonly profile?: PlatformProfile;
  /**
   * Where the services run: `DeploymentTarget.dockerHost()`, containers on one Docker engine, or
   * `DeploymentTarget.swarm({ hosts })`, services on a Docker Swarm through its manager, stateful ones pinned to the
   * labelled hosts (SwarmTarget). A swarm publishes ports on its nodes' addresses: it needs
   * `acceptUnencryptedNetworkAccess`, and `bindAddress` must be unset.
   * @default DeploymentTarget.dockerHost()
   */
  readonly target?: IDeploymentTarget;
  /**
   * Prefix of every container, volume and network name, so several platforms can share a Docker host.
   * Changing it on a deployed stack replaces everything under the new names and starts from empty
   * volumes: without `retainVolumes`, the old volumes and their data are destroyed; with it, they stay on
   * the host, unused, until the old prefix comes back (see docs/pipeline.md, "Changing settings").
   * @default 'kp'
   */
  readonly namePrefix?: string;
  /**
   * The network to join.
   * @default - a new network named `<namePrefix>-net`
   */
  readonly network?: PlatformNetwork;
  /**
   * Where images are pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
  /**
   * Host address every published port binds to. Any address but a loopback one (127.0.0.0/8) exposes the
   * platform to the host's networks, and is refused unless `acceptUnencryptedNetworkAccess` is set.
   * @default '127.0.0.1'
   */
  readonly bindAddress?: string;
  /**
   * Allow a `bindAddress` other machines reach, though no service serves TLS (README, "Security"): whoever reaches the
   * network can then read the passwords and data that cross it.
   * @default false
   */
  readonly acceptUnencryptedNetworkAccess?: boolean;
  /** @default - see PlatformPorts */
  readonly ports?: PlatformPorts;
  /** @default - see PlatformMemory */
  readonly memoryMiB?: PlatformMemory;
  /**
   * Number of Spark workers, 1 to 8.
   * @default 1
   */
  readonly sparkWorkers?: number;
  /**
   * Number of Kafka brokers, 1 to 5, on this Docker host: `<namePrefix>-kafka`, `<namePrefix>-kafka-2`, ...
   * Every partition gets min(3, brokers) copies: the pipeline's topics, the registry's, Control Center's and Kafka's
   * own. With 3 or more, a write the producer (`acks=all`) was told succeeded is on 2 brokers (`min.insync.replicas=2`),
   * so one broker can be lost without losing an acknowledged record or stopping writes. Decide it before the first
   * deploy: topics that exist keep their copies (README, "Kafka brokers"). Unset when `kafka` is given.
   * @default 1
   */
  readonly kafkaBrokers?: number;
  /**
   * Where the platform's Kafka keeps its metadata: `zookeeper`, a ZooKeeper container beside the brokers, or `kraft`,
   * the brokers' own Raft quorum (the first min(3, brokers) brokers are its controllers; no ZooKeeper runs, nor
   * Control Center, which needs one). Kafka 4 and Confluent Platform 8 know only KRaft. Decide it before the first
   * deploy: a deployed cluster's metadata does not move between the two. Unset when `kafka` is given.
   * @default 'zookeeper'
   */
  readonly kafkaMetadata?: KafkaMetadataMode;
  /**
   * Where the KRaft controllers run, with `kafkaMetadata` 'kraft': `combined`, in the first min(3, brokers) brokers, or
   * `dedicated`, min(3, brokers) controllers of their own (`<namePrefix>-kafka-controller-1`, ...), of
   * `memoryMiB.kafkaController` each, which no broker's load or restart disturbs. Decide it before the first deploy.
   * @default 'combined'
   */
  readonly kafkaControllers?: KafkaControllerPlacement;
  /**
   * Nodes of the platform's own Cassandra ring, 1 to 5, each a container of `memoryMiB.cassandra` (see CassandraRing):
   * with 3 or more, every row has 3 copies and the pipeline reads and writes at LOCAL_QUORUM, so one node lost stops
   * nothing. Changing it on a deployed stack restarts every node (their settings name the ring's size); growing a
   * ring adds copies to rows written before, which reach the new nodes with `nodetool repair -full` (the bootstrap
   * job says so). Must be unset with `cassandra` given.
   * @default 1
   */
  readonly cassandraNodes?: number;
  /**
   * When each node of the platform's own Cassandra syncs its commit log to disk: 'periodic' (every 10 s, Cassandra's
   * default) or 'group' (a write is acknowledged after the sync that covers it, every 15 ms). See
   * CassandraCommitlogSync. Must be unset with `cassandra` given.
   * @default 'periodic'
   */
  readonly cassandraCommitlogSync?: CassandraCommitlogSync;
  /**
   * Run Confluent Control Center (licensed: a 30-day trial without a key). It needs the Kafka cluster's
   * ZooKeeper: with `kafka` given, it runs only if `zookeeper` is given too; with `kafkaMetadata` 'kraft', not at all.
   * @default - true, unless `kafka` is given without `zookeeper` or `kafkaMetadata` is 'kraft'
   */
  readonly controlCenter?: boolean;
  /**
   * An existing PostgreSQL server for Airflow's metadata and the pipeline's staging tables, with a role for
   * each, e.g. `Postgres.fromExisting({ host: 'db.internal', airflow: { user, password }, pipeline: { user, password } })`.
   * Then no PostgreSQL container runs, and `ports.postgres` and `memoryMiB.postgres` must be unset.
   * @default - a PostgreSQL container
   */
  readonly postgres?: IPostgresDatabase;
  /**
   * An existing Kafka cluster with SASL/SCRAM-SHA-512 listeners, e.g.
   * `KafkaCluster.fromExisting({ bootstrapServers: ['kafka.internal:9092'], credentials: { pipeline } })`, with a login
   * per client (or one for all) and the ACLs each needs (README, "Security"). Then neither Kafka nor ZooKeeper runs
   * here, and `kafkaBrokers`, `ports.kafka`, `memoryMiB.kafka` and `memoryMiB.zookeeper` must be unset. Topics are
   * created with replication 1.
   * @default - a Kafka cluster of `kafkaBrokers` brokers and its ZooKeeper
   */
  readonly kafka?: IKafkaCluster;
  /**
   * An existing ZooKeeper, e.g. `ZooKeeper.fromExisting({ servers: ['zk.internal:2181'] })`: the one the
   * platform's Kafka uses, or, with `kafka` given, that cluster's, for Control Center. Then
   * `memoryMiB.zookeeper` must be unset.
   * @default - a ZooKeeper container when the platform runs Kafka
   */
  readonly zookeeper?: IZooKeeper;
  /**
   * An existing registry speaking the Confluent Schema Registry API, e.g.
   * `SchemaRegistry.fromExisting({ url: 'http://registry.internal:8081', credentials: { writer } })`. Then no registry runs here,
   * and `ports.schemaRegistry` and `memoryMiB.schemaRegistry` must be unset.
   * @default - a Schema Registry container storing schemas in the platform's Kafka
   */
  readonly schemaRegistry?: ISchemaRegistry;
  /**
   * An existing Cassandra cluster the stream lands in, e.g.
   * `Cassandra.fromExisting({ contactPoints: ['cassandra.internal:9042'], datacenter: 'dc1', credentials: { pipeline } })`,
   * with a role per purpose (or one for all). Then no Cassandra container runs, no roles are managed, and
   * `ports.cassandra`, `memoryMiB.cassandra`, `cassandraNodes` and `cassandraCommitlogSync` must be unset.
   * @default - a ring of `cassandraNodes` Cassandra containers
   */
  readonly cassandra?: ICassandraCluster;
  /**
   * Run the monitoring (constructs/monitoring.ts, docs/monitoring.md): Prometheus with recording and alerting rules
   * and the pipeline's dashboard, scraping the JMX exporter's agent in Kafka, ZooKeeper and Cassandra, Spark's own
   * endpoints, and exporters of the Docker host, PostgreSQL and the pipeline's figures. Off, none of them runs, the
   * services start without their agents or endpoints, and `ports.prometheus` and `memoryMiB.prometheus` must be unset.
   * @default true
   */
  readonly monitoring?: boolean;
  /**
   * Keep named volumes (data) when the stack is destroyed, so the next deploy finds the data: they are
   * then not Terraform resources but made by Docker on first use, under the same names. Generated
   * passwords are still new on each deploy; PostgreSQL, Cassandra and Airflow take them over at start, and
   * Airflow's Fernet key and Cassandra's superuser are kept on volumes of their own.
   * @default false
   */
  readonly retainVolumes?: boolean;
  /** @default - see PipelineSettings */
  readonly pipeline?: PipelineSettings;
}

const JOBS_DIRECTORY = path.join(__dirname, '..', 'jobs');

/**
 * The whole platform: randomuser.me → Airflow → PostgreSQL → Kafka (+ Schema Registry) → Spark →
 * Cassandra, each service a construct wired to the others through the typed values they expose.
 * PostgreSQL, Kafka (with ZooKeeper), Schema Registry and Cassandra can each be an existing service given
 * by address instead: bring yours or the platform runs one.
 */
export class StreamingPlatform extends Construct {
  public readonly network: PlatformNetwork;
  /** The ZooKeeper of the Kafka cluster, when known: the platform's own, or `props.zookeeper`. */
  public readonly zookeeper?: IZooKeeper;
  public readonly kafka: IKafkaCluster;
  public readonly schemaRegistry: ISchemaRegistry;
  public readonly controlCenter?: ControlCenter;
  public readonly postgres: IPostgresDatabase;
  public readonly cassandra: ICassandraCluster;
  /** The platform's own Cassandra ring (none for a brought cluster). */
  public readonly cassandraRing?: CassandraRing;
  /** The job that applies the roles of the platform's own Cassandra (none for a brought cluster). */
  public readonly cassandraRoles?: CassandraRoles;
  public readonly spark: SparkCluster;
  public readonly bootstrap: NodeJob;
  public readonly airflow: Airflow;
  public readonly streamingJob: SparkStreamingJob;
  /** The local stand-in API, when `pipeline.localSourceApi` is set. */
  public readonly sourceApi?: FakeRandomUserApi;
  /** Prometheus and its exporters, unless `monitoring` is false. */
  public readonly monitoring?: Monitoring;
  /** Every `PIPELINE_*` variable the platform sets; each container gets those its code reads (see docs/pipeline.md). */
  public readonly pipelineEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, given: StreamingPlatformProps = {}) {
    super(scope, id);
    const props = withProfile(given);
    const target = props.target ?? DeploymentTarget.dockerHost();
    if (target.kind === 'swarm') refuseLocalOnlyPorts(props);
    DeploymentTarget.use(this, target);
    const prefix = validateNamePrefix('namePrefix', props.namePrefix ?? 'kp');
    // A swarm binds every address of the node that publishes.
    const bindAddress = target.kind === 'swarm' ? '0.0.0.0' : validateBindAddress('bindAddress', props.bindAddress ?? DEFAULT_BIND_ADDRESS);
    refuseUnencryptedNetworkAccess('bindAddress', bindAddress, 'acceptUnencryptedNetworkAccess', props.acceptUnencryptedNetworkAccess ?? false);
    const ports = props.ports ?? {};
    const memory = props.memoryMiB ?? {};
    const shared = { imageSource: props.imageSource, retainVolumes: props.retainVolumes, bindAddress };
    refuseSettingsOfBroughtServices(props);
    const runControlCenter = controlCenterWanted(props);
    const monitored = monitoringWanted(props);
    // Which platform prop set each published host port, for the duplicate check's message.
    const hostPortProps = new Map<ServiceContainer, string>();

    this.network = props.network ?? new PlatformNetwork(this, 'Network', { name: `${prefix}-net` });
    const network = this.network;
    const pipeline = props.pipeline ?? {};

    const kraft = props.kafka === undefined && props.kafkaMetadata === 'kraft';
    if (props.kafka) {
      this.kafka = props.kafka;
      this.zookeeper = props.zookeeper;
    } else {
      const zookeeper = kraft ? undefined : props.zookeeper ?? withPropNames({ memoryMiB: 'memoryMiB.zookeeper' }, () =>
        new ZooKeeper(this, 'ZooKeeper', { ...shared, network, name: `${prefix}-zookeeper`, memoryMiB: memory.zookeeper, prometheusMetrics: monitored }),
      );
      const kafka = withPropNames({
        brokers: 'kafkaBrokers', metadata: 'kafkaMetadata', controllers: 'kafkaControllers', controllerMemoryMiB: 'memoryMiB.kafkaController', hostPort: 'ports.kafka',
        memoryMiB: 'memoryMiB.kafka',
      }, () =>
        new KafkaCluster(this, 'Kafka', {
          ...shared, network, name: `${prefix}-kafka`, metadata: props.kafkaMetadata, zookeeper, topics: pipelineTopics(pipeline), brokers: props.kafkaBrokers,
          controllers: props.kafkaControllers, controllerMemoryMiB: memory.kafkaController, hostPort: ports.kafka, memoryMiB: memory.kafka, prometheusMetrics: monitored,
        }),
      );
      kafka.brokers.forEach((broker, index) => hostPortProps.set(broker.container, index === 0 ? 'ports.kafka' : `ports.kafka + ${index} (Kafka broker ${index + 1})`));
      this.zookeeper = zookeeper;
      this.kafka = kafka;
    }
    if (props.schemaRegistry) {
      this.schemaRegistry = props.schemaRegistry;
    } else {
      const registry = withPropNames({ hostPort: 'ports.schemaRegistry', memoryMiB: 'memoryMiB.schemaRegistry' }, () =>
        new SchemaRegistry(this, 'SchemaRegistry', {
          ...shared, network, name: `${prefix}-schema-registry`, kafka: this.kafka, hostPort: ports.schemaRegistry, memoryMiB: memory.schemaRegistry,
        }),
      );
      hostPortProps.set(registry.container, 'ports.schemaRegistry');
      this.schemaRegistry = registry;
    }
    if (runControlCenter && this.zookeeper) {
      const zookeeper = this.zookeeper;
      this.controlCenter = withPropNames({ hostPort: 'ports.controlCenter', memoryMiB: 'memoryMiB.controlCenter' }, () =>
        new ControlCenter(this, 'ControlCenter', {
          ...shared, network, name: `${prefix}-control-center`, kafka: this.kafka, zookeeper,
          schemaRegistry: this.schemaRegistry, hostPort: ports.controlCenter, memoryMiB: memory.controlCenter,
        }),
      );
      hostPortProps.set(this.controlCenter.container, 'ports.controlCenter');
    }
    if (props.postgres) {
      this.postgres = props.postgres;
    } else {
      const postgres = withPropNames({ hostPort: 'ports.postgres', memoryMiB: 'memoryMiB.postgres' }, () =>
        new Postgres(this, 'Postgres', { ...shared, network, name: `${prefix}-postgres`, hostPort: ports.postgres, memoryMiB: memory.postgres }),
      );
      hostPortProps.set(postgres.container, 'ports.postgres');
      this.postgres = postgres;
    }
    if (props.cassandra) {
      this.cassandra = props.cassandra;
    } else {
      const ring = withPropNames({ hostPort: 'ports.cassandra', memoryMiB: 'memoryMiB.cassandra', nodes: 'cassandraNodes', commitlogSync: 'cassandraCommitlogSync' }, () =>
        new CassandraRing(this, 'Cassandra', {
          ...shared, network, name: `${prefix}-cassandra`, nodes: props.cassandraNodes, hostPort: ports.cassandra, memoryMiB: memory.cassandra,
          prometheusMetrics: monitored, commitlogSync: props.cassandraCommitlogSync,
        }),
      );
      for (const [i, node] of ring.nodes.entries()) hostPortProps.set(node.container, i === 0 ? 'ports.cassandra' : `ports.cassandra + ${i} (Cassandra node ${i + 1})`);
      this.cassandraRing = ring;
      this.cassandra = ring;
    }
    this.spark = withPropNames(
      { workers: 'sparkWorkers', masterUiHostPort: 'ports.sparkMasterUi', masterMemoryMiB: 'memoryMiB.sparkMaster', workerMemoryMiB: 'memoryMiB.sparkWorker' },
      () => new SparkCluster(this, 'Spark', {
        ...shared, network, name: `${prefix}-spark`, workers: props.sparkWorkers, masterUiHostPort: ports.sparkMasterUi,
        masterMemoryMiB: memory.sparkMaster, workerMemoryMiB: memory.sparkWorker, prometheusMetrics: monitored,
      }),
    );
    hostPortProps.set(this.spark.master.container, 'ports.sparkMasterUi');

    if (pipeline.localSourceApi) {
      if (pipeline.sourceUrl !== undefined) throw new Error('pipeline.sourceUrl and pipeline.localSourceApi exclude each other: set one');
      this.sourceApi = new FakeRandomUserApi(this, 'SourceApi', { network, name: `${prefix}-fake-randomuser`, imageSource: props.imageSource, bindAddress });
      hostPortProps.set(this.sourceApi.container, 'pipeline.localSourceApi');
    }
    this.pipelineEnvironment = pipelineEnvironment({ ...pipeline, sourceUrl: this.sourceApi?.url ?? pipeline.sourceUrl }, {
      pgDsn: this.postgres.dsn('pipeline'),
      kafkaBootstrapServers: this.kafka.bootstrapServers,
      schemaRegistryUrl: this.schemaRegistry.url,
      // The writer, for the bootstrap job that registers the schema; the DAG's tasks get the reader's below.
      schemaRegistryUsername: this.schemaRegistry.credential('writer').username,
      schemaRegistryPassword: this.schemaRegistry.credential('writer').password,
      cassandraContactPoints: this.cassandra.contactPoints,
      cassandraDatacenter: this.cassandra.datacenter,
      // Of the containers, only the bootstrap job reads them (verify runs from the host, with the outputs' login).
      cassandraUsername: this.cassandra.credential('bootstrap').username,
      cassandraPassword: this.cassandra.credential('bootstrap').password,
      cassandraRing: this.cassandraRing && { nodes: this.cassandraRing.nodes.length, defaultReplication: this.cassandraRing.defaultReplication },
      kafkaLogin: this.kafka.credential('bootstrap'),
      kafkaReplicationFactor: replicationFactorOf(this.kafka),
    });
    if (this.cassandraRing) {
      this.cassandraRoles = new CassandraRoles(this, 'CassandraRoles', {
        network,
        name: `${prefix}-cassandra-roles`,
        cassandra: this.cassandraRing,
        keyspace: this.pipelineEnvironment.PIPELINE_CASSANDRA_KEYSPACE,
        // system_auth follows the keyspace's factor.
        replication: Number(this.pipelineEnvironment.PIPELINE_CASSANDRA_REPLICATION),
        imageSource: props.imageSource,
      });
    }

    // Whoever logs in to Cassandra starts after the roles job has applied this deploy's roles and passwords.
    const afterLogins = this.cassandraRoles ? [this.cassandraRoles.job.container.resource] : undefined;
    // Topics, schema, keyspace and tables exist before anything produces or consumes.
    this.bootstrap = new NodeJob(this, 'Bootstrap', {
      network,
      name: `${prefix}-bootstrap`,
      entryPoint: path.join(JOBS_DIRECTORY, 'bootstrap.ts'),
      assets: [{ source: validateSchemaFile('pipeline.schemaFile', pipeline.schemaFile ?? path.join(JOBS_DIRECTORY, 'schemas', 'user.avsc')), target: 'schemas/user.avsc' }],
      environment: environmentReadBy(this.pipelineEnvironment, 'bootstrap'),
      imageSource: props.imageSource,
      dependsOn: afterLogins,
    });

    this.airflow = withPropNames(
      {
        hostPort: 'ports.airflow',
        apiServerMemoryMiB: 'memoryMiB.airflowApiServer',
        schedulerMemoryMiB: 'memoryMiB.airflowScheduler',
        dagProcessorMemoryMiB: 'memoryMiB.airflowDagProcessor',
      },
      () => new Airflow(this, 'Airflow', {
        ...shared, network, name: `${prefix}-airflow`, postgres: this.postgres, hostPort: ports.airflow,
        // A brought PostgreSQL keeps Airflow's metadata across destroy and deploy: the key it is encrypted with must stay too.
        retainFernetKey: (props.retainVolumes ?? false) || props.postgres !== undefined,
        apiServerMemoryMiB: memory.airflowApiServer, schedulerMemoryMiB: memory.airflowScheduler, dagProcessorMemoryMiB: memory.airflowDagProcessor,
        dagEnvironment: environmentReadBy(this.pipelineEnvironment, 'dag'),
        // The tasks publish and read the subject's latest schema: the producer's Kafka login, the registry reader's.
        taskEnvironment: withKafkaLogin(
          {
            ...environmentReadBy(this.pipelineEnvironment, 'dag-tasks'),
            PIPELINE_SCHEMA_REGISTRY_USERNAME: this.schemaRegistry.credential('reader').username,
            PIPELINE_SCHEMA_REGISTRY_PASSWORD: this.schemaRegistry.credential('reader').password,
          },
          this.kafka.credential('producer'),
        ),
        // Its scheduler runs tasks that write the tables and topics the bootstrap makes.
        dependsOn: [this.bootstrap.container.resource],
      }),
    );
    hostPortProps.set(this.airflow.apiServer, 'ports.airflow');
    this.streamingJob = withPropNames({ memoryMiB: 'memoryMiB.sparkJob' }, () =>
      new SparkStreamingJob(this, 'StreamingJob', {
        network, name: `${prefix}-spark-job`, cluster: this.spark, memoryMiB: memory.sparkJob,
        environment: environmentReadBy(this.pipelineEnvironment, 'spark-job'),
        cassandraCredential: this.cassandra.credential('pipeline'),
        schemaRegistryCredential: this.schemaRegistry.credential('reader'),
        kafkaCredential: this.kafka.credential('stream'),
        // Not after the bootstrap: its SparkContext starts meanwhile, and the driver waits for the subject, which the
        // bootstrap registers last (jobs/spark/stream_users.py), before its query reads a record.
        dependsOn: afterLogins,
        prometheusMetrics: monitored,
      }),
    );

    if (monitored) {
      // The services' own endpoints, of those the platform runs (a brought service is not scraped).
      const endpoints = [
        ...this.node.findAll().flatMap((c) => (c instanceof ZooKeeper || c instanceof KafkaBroker || c instanceof KafkaController || c instanceof Cassandra) && c.metricsEndpoint ? [c.metricsEndpoint] : []),
        ...this.spark.metricsEndpoints,
        ...this.streamingJob.metricsEndpoints,
      ];
      const stateVolumes = this.node.findAll().filter((c): c is StateVolume => c instanceof StateVolume && !c.holdsSecret);
      this.monitoring = withPropNames({ hostPort: 'ports.prometheus', memoryMiB: 'memoryMiB.prometheus' }, () =>
        new Monitoring(this, 'Monitoring', {
          ...shared, network, namePrefix: prefix, endpoints, stateVolumes, postgres: this.postgres,
          pipelineEnvironment: withKafkaLogin(environmentReadBy(this.pipelineEnvironment, 'pipeline-metrics'), this.kafka.credential('monitoring')),
          checkpointsVolumeName: this.spark.checkpointsVolumeName, hostPort: ports.prometheus, memoryMiB: memory.prometheus,
        }),
      );
      hostPortProps.set(this.monitoring.prometheus.container, 'ports.prometheus');
    }

    this.node.addValidation({ validate: () => duplicateHostPorts(hostPortProps) });
  }
}

/** An existing file holding an Avro schema: caught at synth rather than by the bootstrap job at deploy. */
function validateSchemaFile(prop: string, file: string): string {
  if (!path.isAbsolute(file) || !fs.existsSync(file)) throw new PropError(prop, `must be the absolute path of an existing file, got '${file}'`);
  try {
    Type.forSchema(JSON.parse(fs.readFileSync(file, 'utf8')) as Schema);
  } catch (error) {
    throw new PropError(prop, `must hold an Avro schema: ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return file;
}

/** Refuses settings of a service the platform would run when the user brings that service instead. */
function refuseSettingsOfBroughtServices(props: StreamingPlatformProps): void {
  const ports = props.ports ?? {};
  const memory = props.memoryMiB ?? {};
  const rules: [service: string, brought: unknown, settings: [prop: string, value: unknown][]][] = [
    ['postgres', props.postgres, [['ports.postgres', ports.postgres], ['memoryMiB.postgres', memory.postgres]]],
    ['kafka', props.kafka, [
      ['kafkaBrokers', props.kafkaBrokers], ['kafkaMetadata', props.kafkaMetadata], ['kafkaControllers', props.kafkaControllers], ['ports.kafka', ports.kafka],
      ['memoryMiB.kafka', memory.kafka], ['memoryMiB.kafkaController', memory.kafkaController], ['memoryMiB.zookeeper', memory.zookeeper],
    ]],
    ['zookeeper', props.zookeeper, [['memoryMiB.zookeeper', memory.zookeeper]]],
    ['schemaRegistry', props.schemaRegistry, [['ports.schemaRegistry', ports.schemaRegistry], ['memoryMiB.schemaRegistry', memory.schemaRegistry]]],
    [
      'cassandra',
      props.cassandra,
      [['ports.cassandra', ports.cassandra], ['memoryMiB.cassandra', memory.cassandra], ['cassandraNodes', props.cassandraNodes], ['cassandraCommitlogSync', props.cassandraCommitlogSync]],
    ],
  ];
  if (props.kafka === undefined && props.kafkaMetadata === 'kraft') {
    for (const [prop, value] of [['zookeeper', props.zookeeper], ['memoryMiB.zookeeper', memory.zookeeper]] as const) {
      if (value !== undefined) throw new PropError(prop, "is for ZooKeeper, which does not run when kafkaMetadata is 'kraft': leave it unset");
    }
  }
  for (const [service, brought, settings] of rules) {
    if (brought === undefined) continue;
    for (const [prop, value] of settings) {
      if (value !== undefined) throw new PropError(prop, `is for the platform's own ${service}, which does not run when ${service} is given: leave it unset`);
    }
  }
}

/** A swarm publishes ports on its nodes' addresses (all of them, with the routing mesh): no loopback-only binding exists there. */
function refuseLocalOnlyPorts(props: StreamingPlatformProps): void {
  if (props.bindAddress !== undefined) {
    throw new PropError('bindAddress', "is for one Docker host: a swarm publishes ports on its nodes' addresses; leave it unset");
  }
  if (props.acceptUnencryptedNetworkAccess !== true) {
    throw new PropError(
      'target',
      "is a swarm, which publishes ports on its nodes' addresses, though no service serves TLS (README, \"Security\"): set acceptUnencryptedNetworkAccess to accept it",
    );
  }
}

/** Whether the monitoring runs; its settings are refused without it. */
function monitoringWanted(props: StreamingPlatformProps): boolean {
  const wanted = props.monitoring ?? true;
  if (!wanted) {
    for (const [prop, value] of [['ports.prometheus', props.ports?.prometheus], ['memoryMiB.prometheus', props.memoryMiB?.prometheus]] as const) {
      if (value !== undefined) throw new PropError(prop, 'is for the monitoring, which does not run when monitoring is false: leave it unset');
    }
  }
  return wanted;
}

/** Whether Control Center runs: it needs the Kafka cluster's ZooKeeper, unknown for a brought cluster unless given. */
function controlCenterWanted(props: StreamingPlatformProps): boolean {
  const kraft = props.kafka === undefined && props.kafkaMetadata === 'kraft';
  const zookeeperKnown = props.kafka === undefined ? !kraft : props.zookeeper !== undefined;
  const wanted = props.controlCenter ?? zookeeperKnown;
  if (wanted && kraft) throw new PropError('controlCenter', "needs a ZooKeeper, and kafkaMetadata 'kraft' runs none: set controlCenter to false");
  if (wanted && !zookeeperKnown) {
    throw new PropError('controlCenter', "needs the Kafka cluster's ZooKeeper: with kafka given, give zookeeper too, or set controlCenter to false");
  }
  if (props.kafka !== undefined && props.zookeeper !== undefined && !wanted) {
    throw new PropError('zookeeper', "is read only by the platform's own Kafka and by Control Center: with kafka given and controlCenter false, leave it unset");
  }
  return wanted;
}

/** An error for each host port that two of the platform's services publish, naming the props that set them. */
function duplicateHostPorts(hostPortProps: ReadonlyMap<ServiceContainer, string>): string[] {
  const seen = new Map<number, string>();
  const errors: string[] = [];
  for (const [service, prop] of hostPortProps) {
    for (const port of service.publishedPorts) {
      // Keyed by port alone: 0.0.0.0 overlaps every host address, so a port number is taken once per host.
      const other = seen.get(port.hostPort);
      if (other) errors.push(`${prop} and ${other} both publish host port ${port.hostPort}: give one of them another port`);
      else seen.set(port.hostPort, prop);
    }
  }
  return errors;
}
