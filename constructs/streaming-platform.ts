import * as path from 'path';
import { Construct } from 'constructs';
import { Airflow } from './airflow';
import { Cassandra } from './cassandra';
import { ControlCenter } from './control-center';
import { ImageSource } from './image-source';
import { KafkaBroker } from './kafka-broker';
import { NodeJob } from './node-job';
import { pipelineEnvironment } from './pipeline-environment';
import { PlatformNetwork } from './platform-network';
import { FakeRandomUserApi } from './fake-randomuser-api';
import { DEFAULT_BIND_ADDRESS } from './platform-service-props';
import { Postgres } from './postgres';
import { SchemaRegistry } from './schema-registry';
import { PublishedPort, ServiceContainer } from './service-container';
import { SparkCluster } from './spark-cluster';
import { SparkStreamingJob } from './spark-streaming-job';
import { validateBindAddress, validateNamePrefix } from './validation';
import { ZooKeeper } from './zookeeper';

/** Host ports the platform publishes, all bound to `bindAddress`. */
export interface PlatformPorts {
  /** @default 9092 */
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
  /** @default 9042 */
  readonly cassandra?: number;
}

/** Memory limits in MiB, per container. */
export interface PlatformMemory {
  /** @default 512 */
  readonly zookeeper?: number;
  /** @default 1536 */
  readonly kafka?: number;
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
  /** @default 2048 */
  readonly cassandra?: number;
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
  /** The DAG's schedule: cron, preset, or 'none' for triggered runs only. @default '@hourly' */
  readonly schedule?: string;
  /** @default 'users_created' */
  readonly topic?: string;
  /** @default 3 */
  readonly topicPartitions?: number;
  /** @default 'spark_streams' */
  readonly keyspace?: string;
  /** @default 'created_users' */
  readonly table?: string;
  /**
   * Seconds between micro-batches of the Spark job (a batch that runs longer starts the next at once).
   * 1 s took p50 produce→row latency from 3.0 s to 0.9 s in `npm run bench` against 5 s.
   * @default 1
   */
  readonly triggerSeconds?: number;
  /** Upper bound of records per micro-batch: larger batches spread the per-batch cost of a backlog. @default 50000 */
  readonly maxOffsetsPerTrigger?: number;
  /** Cassandra writes each Spark task keeps in flight (the connector's own default is 5). @default 64 */
  readonly cassandraConcurrentWrites?: number;
}

export interface StreamingPlatformProps {
  /**
   * Prefix of every container, volume and network name, so several platforms can share a Docker host.
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
   * Host address every published port binds to. `0.0.0.0` exposes the platform to the host's networks.
   * @default '127.0.0.1'
   */
  readonly bindAddress?: string;
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
   * Run Confluent Control Center (licensed: a 30-day trial without a key).
   * @default true
   */
  readonly controlCenter?: boolean;
  /**
   * Keep named volumes (data) when the stack is destroyed.
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
 */
export class StreamingPlatform extends Construct {
  public readonly network: PlatformNetwork;
  public readonly zookeeper: ZooKeeper;
  public readonly kafka: KafkaBroker;
  public readonly schemaRegistry: SchemaRegistry;
  public readonly controlCenter?: ControlCenter;
  public readonly postgres: Postgres;
  public readonly cassandra: Cassandra;
  public readonly spark: SparkCluster;
  public readonly bootstrap: NodeJob;
  public readonly airflow: Airflow;
  public readonly streamingJob: SparkStreamingJob;
  /** The local stand-in API, when `pipeline.localSourceApi` is set. */
  public readonly sourceApi?: FakeRandomUserApi;
  /** The `PIPELINE_*` settings every job reads (see docs/pipeline.md). */
  public readonly pipelineEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StreamingPlatformProps = {}) {
    super(scope, id);
    const prefix = validateNamePrefix('namePrefix', props.namePrefix ?? 'kp');
    const bindAddress = validateBindAddress('bindAddress', props.bindAddress ?? DEFAULT_BIND_ADDRESS);
    const ports = props.ports ?? {};
    const memory = props.memoryMiB ?? {};
    const shared = { imageSource: props.imageSource, retainVolumes: props.retainVolumes, bindAddress };

    this.network = props.network ?? new PlatformNetwork(this, 'Network', { name: `${prefix}-net` });
    const network = this.network;

    this.zookeeper = new ZooKeeper(this, 'ZooKeeper', { ...shared, network, name: `${prefix}-zookeeper`, memoryMiB: memory.zookeeper });
    this.kafka = new KafkaBroker(this, 'Kafka', {
      ...shared, network, name: `${prefix}-kafka`, zookeeper: this.zookeeper, hostPort: ports.kafka, memoryMiB: memory.kafka,
    });
    this.schemaRegistry = new SchemaRegistry(this, 'SchemaRegistry', {
      ...shared, network, name: `${prefix}-schema-registry`, kafka: this.kafka, hostPort: ports.schemaRegistry, memoryMiB: memory.schemaRegistry,
    });
    if (props.controlCenter ?? true) {
      this.controlCenter = new ControlCenter(this, 'ControlCenter', {
        ...shared, network, name: `${prefix}-control-center`, kafka: this.kafka, zookeeper: this.zookeeper,
        schemaRegistry: this.schemaRegistry, hostPort: ports.controlCenter, memoryMiB: memory.controlCenter,
      });
    }
    this.postgres = new Postgres(this, 'Postgres', { ...shared, network, name: `${prefix}-postgres`, hostPort: ports.postgres, memoryMiB: memory.postgres });
    this.cassandra = new Cassandra(this, 'Cassandra', { ...shared, network, name: `${prefix}-cassandra`, hostPort: ports.cassandra, memoryMiB: memory.cassandra });
    this.spark = new SparkCluster(this, 'Spark', {
      ...shared, network, name: `${prefix}-spark`, workers: props.sparkWorkers, masterUiHostPort: ports.sparkMasterUi,
      masterMemoryMiB: memory.sparkMaster, workerMemoryMiB: memory.sparkWorker,
    });

    const pipeline = props.pipeline ?? {};
    if (pipeline.localSourceApi) {
      if (pipeline.sourceUrl !== undefined) throw new Error('pipeline.sourceUrl and pipeline.localSourceApi exclude each other: set one');
      this.sourceApi = new FakeRandomUserApi(this, 'SourceApi', { network, name: `${prefix}-fake-randomuser`, imageSource: props.imageSource, bindAddress });
    }
    this.pipelineEnvironment = pipelineEnvironment({ ...pipeline, sourceUrl: this.sourceApi?.url ?? pipeline.sourceUrl }, {
      pgDsn: this.postgres.dsn('pipeline'),
      kafkaBootstrapServers: this.kafka.bootstrapServers,
      schemaRegistryUrl: this.schemaRegistry.url,
      cassandraContactPoints: this.cassandra.contactPoint,
      cassandraDatacenter: this.cassandra.datacenter,
    });

    // Topics, schema, keyspace and tables exist before anything produces or consumes.
    this.bootstrap = new NodeJob(this, 'Bootstrap', {
      network,
      name: `${prefix}-bootstrap`,
      entryPoint: path.join(JOBS_DIRECTORY, 'bootstrap.ts'),
      assets: [{ source: path.join(JOBS_DIRECTORY, 'schemas', 'user.avsc'), target: 'schemas/user.avsc' }],
      environment: { ...this.pipelineEnvironment },
      imageSource: props.imageSource,
    });
    const afterBootstrap = [this.bootstrap.container.resource];

    this.airflow = new Airflow(this, 'Airflow', {
      ...shared, network, name: `${prefix}-airflow`, postgres: this.postgres, hostPort: ports.airflow,
      apiServerMemoryMiB: memory.airflowApiServer, schedulerMemoryMiB: memory.airflowScheduler, dagProcessorMemoryMiB: memory.airflowDagProcessor,
      dagEnvironment: { ...this.pipelineEnvironment },
      dependsOn: afterBootstrap,
    });
    this.streamingJob = new SparkStreamingJob(this, 'StreamingJob', {
      network, name: `${prefix}-spark-job`, cluster: this.spark, memoryMiB: memory.sparkJob,
      environment: { ...this.pipelineEnvironment },
      dependsOn: afterBootstrap,
    });

    this.node.addValidation({ validate: () => duplicateHostPorts(this) });
  }
}

/** Every published port under `scope`, and an error for each host address:port taken twice. */
function duplicateHostPorts(scope: Construct): string[] {
  const seen = new Map<string, PublishedPort>();
  const errors: string[] = [];
  for (const service of scope.node.findAll().filter((c): c is ServiceContainer => c instanceof ServiceContainer)) {
    for (const port of service.publishedPorts) {
      // Keyed by port alone: 0.0.0.0 overlaps every host address, so a port number is taken once per host.
      const key = `${port.hostPort}`;
      const other = seen.get(key);
      if (other) errors.push(`${port.description} and ${other.description} both publish host port ${port.hostPort}: give one of them another port`);
      else seen.set(key, port);
    }
  }
  return errors;
}
