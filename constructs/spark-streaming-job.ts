import * as path from 'path';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HealthCheck, STANDALONE_HEALTH_TIMING } from './health-check';
import { MetricsEndpoint } from './metrics-endpoint';
import type { CassandraCredential } from './cassandra';
import type { SchemaRegistryCredential } from './schema-registry';
import type { KafkaCredential } from './kafka-acls';
import { PIPELINE_CONTRACT_PYTHONPATH, pipelineContractFiles } from './pipeline-contract';
import { renderProperties } from './platform-service-props';
import { PlatformNetwork } from './platform-network';
import { ServiceContainer } from './service-container';
import { ShippedFiles } from './shipped-files';
import { ISparkCluster } from './spark-cluster';
import { SPARK_HEALTH_SCRIPT, SPARK_HEALTH_SCRIPT_SOURCE, SPARK_PROMETHEUS_SETTINGS } from './spark-image';
import { PropError, validateIntegerRange, validateMemoryMiB } from './validation';

export interface SparkStreamingJobProps {
  readonly network: PlatformNetwork;
  /** The standalone cluster the driver submits to. */
  readonly cluster: ISparkCluster;
  /** The job's configuration (`PIPELINE_*` variables, see docs/pipeline.md). */
  readonly environment: Record<string, string>;
  /** The Cassandra role the job writes as (the connector's `spark.cassandra.auth.*`). */
  readonly cassandraCredential: CassandraCredential;
  /** The registry login the driver reads schemas with (jobs/spark reads it from its properties file). */
  readonly schemaRegistryCredential: SchemaRegistryCredential;
  /** The Kafka user the job reads the users topic and writes the dead-letter topic as (SASL/SCRAM-SHA-512). */
  readonly kafkaCredential: KafkaCredential;
  /**
   * Container name of the driver.
   * @default 'spark-job'
   */
  readonly name?: string;
  /**
   * Local folder of the PySpark job; every file is shipped, and `entryPoint` is submitted.
   * @default - the repository's jobs/spark
   */
  readonly jobDirectory?: string;
  /**
   * The file in `jobDirectory` that spark-submit runs.
   * @default 'stream_users.py'
   */
  readonly entryPoint?: string;
  /**
   * Memory limit of the driver container in MiB (the driver heap is half of it).
   * @default 1536
   */
  readonly memoryMiB?: number;
  /**
   * Memory of each executor in MiB; must fit in a worker's executor memory.
   * @default 1024
   */
  readonly executorMemoryMiB?: number;
  /**
   * Cores the application may take across the cluster.
   * @default - every core the workers offer, those of a worker added later too (it takes executors without a restart)
   */
  readonly maxCores?: number;
  /**
   * Created only after these (e.g. the bootstrap job that creates topics and tables).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Serve the driver's figures (its JVM, the streaming query's input and processing rates and batch duration) and
   * the executors' in Prometheus' format on the driver's web UI, at `metricsEndpoints`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const JOB_DIRECTORY_IN_CONTAINER = '/opt/kafka-pipelining/jobs/spark';
/**
 * The driver's properties file (`--properties-file`): the Cassandra, registry and Kafka logins and the cluster's shared secret. Spark reads
 * one such file, so the secret's properties are repeated here rather than read from SparkSecurity's own file.
 */
export const SPARK_JOB_PROPERTIES = '/opt/kafka-pipelining/spark-job.conf';
/** The registry login's keys in the driver's properties file, as jobs/spark/stream_config.py reads them. */
export const SPARK_REGISTRY_USERNAME_KEY = 'spark.pipeline.schemaRegistry.username';
export const SPARK_REGISTRY_PASSWORD_KEY = 'spark.pipeline.schemaRegistry.password';
const DRIVER_PORT = 7078;
const BLOCK_MANAGER_PORT = 7079;
const UI_PORT = 4040;
/** The prefix of the driver's metric names (without it, each run's application id would be in them). */
const METRICS_NAMESPACE = 'users_stream';

/** The Cassandra driver's heartbeat on connections idle for reads (see the command below). */
const CASSANDRA_DRIVER_HEARTBEAT = '-Ddatastax-java-driver.advanced.heartbeat.interval=5s';

/**
 * How the driver writes its checkpoint (the offsets and the commit of every batch) to the volume. Spark's default
 * manager renames through Hadoop's FileContext, and without Hadoop's native library the local file system runs a
 * `chmod` or `readlink` process for each step: 8 processes a batch, one after the other on the thread that runs the
 * batches. A rename through the FileSystem API is a rename(2), atomic on a local disk, and the raw local file system
 * writes no checksum file beside each: 2 `chmod` processes a batch.
 */
const CHECKPOINT_SETTINGS = {
  'spark.sql.streaming.checkpointFileManagerClass': 'org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager',
  'spark.hadoop.fs.file.impl': 'org.apache.hadoop.fs.RawLocalFileSystem',
};

/**
 * The Structured Streaming job's driver, in client mode, as a long-running container: healthy once its
 * application runs, restarted by Docker if it dies, resuming from its checkpoint on the shared volume.
 * Changing any job file changes the plan and replaces the driver.
 */
export class SparkStreamingJob extends Construct {
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the driver and, through it, the executors, with `prometheusMetrics`. */
  public readonly metricsEndpoints: readonly MetricsEndpoint[];

  constructor(scope: Construct, id: string, props: SparkStreamingJobProps) {
    super(scope, id);
    const name = props.name ?? 'spark-job';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 1536, 512);
    const executorMemoryMiB = validateIntegerRange('executorMemoryMiB', props.executorMemoryMiB ?? 1024, 256, props.cluster.maxExecutorMemoryMiB);
    const maxCores = props.maxCores === undefined ? undefined : validateIntegerRange('maxCores', props.maxCores, 1, props.cluster.totalCores);
    const jobDirectory = props.jobDirectory ?? path.join(__dirname, '..', 'jobs', 'spark');
    const entryPoint = props.entryPoint ?? 'stream_users.py';

    const jobFiles = ShippedFiles.fromDirectory(jobDirectory, JOB_DIRECTORY_IN_CONTAINER).filter((f) => f.target.endsWith('.py'));
    const entryTarget = `${JOB_DIRECTORY_IN_CONTAINER}/${entryPoint}`;
    if (!jobFiles.some((f) => f.target === entryTarget)) {
      throw new PropError('entryPoint', `must be a .py file in ${jobDirectory}, got '${entryPoint}'`);
    }
    const modules = jobFiles.filter((f) => f.target !== entryTarget).map((f) => f.target);
    const metricsSettings: Record<string, string> = props.prometheusMetrics
      ? {
        ...SPARK_PROMETHEUS_SETTINGS,
        'spark.ui.prometheus.enabled': 'true',
        'spark.sql.streaming.metricsEnabled': 'true',
        'spark.metrics.namespace': METRICS_NAMESPACE,
      }
      : {};
    const shipped = new ShippedFiles(this, 'Code', {
      files: [...jobFiles, ...pipelineContractFiles(), { source: SPARK_HEALTH_SCRIPT_SOURCE, target: SPARK_HEALTH_SCRIPT }],
    });

    // In a file, not on the command line or in the environment: `docker inspect` shows neither secret. The
    // connector hands the login to the executors with the job's configuration.
    const properties: ContainerUpload = {
      file: SPARK_JOB_PROPERTIES,
      content: renderProperties({
        ...(props.cluster.security?.properties ?? {}),
        'spark.cassandra.auth.username': props.cassandraCredential.username,
        'spark.cassandra.auth.password': props.cassandraCredential.password,
        // Read by the driver alone; Spark redacts a key with "password" in it from its UI and logs.
        [SPARK_REGISTRY_USERNAME_KEY]: props.schemaRegistryCredential.username,
        [SPARK_REGISTRY_PASSWORD_KEY]: props.schemaRegistryCredential.password,
        // Read by the job (stream_config.kafka_login_options) into its Kafka source's and sink's options.
        'spark.pipeline.kafka.username': props.kafkaCredential.username,
        'spark.pipeline.kafka.password': props.kafkaCredential.password,
      }),
      executable: false,
    };

    this.container = new ServiceContainer(this, 'Driver', {
      name,
      image: props.cluster.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      command: [
        '/opt/spark/bin/spark-submit',
        '--master', props.cluster.masterUrl,
        '--deploy-mode', 'client',
        '--name', 'users-stream',
        // The cluster's shared secret and the Cassandra and Kafka logins, from a file, not the command line.
        '--properties-file', SPARK_JOB_PROPERTIES,
        '--driver-memory', `${Math.floor(this.memoryMiB / 2)}m`,
        '--executor-memory', `${executorMemoryMiB}m`,
        ...(maxCores === undefined ? [] : ['--conf', `spark.cores.max=${maxCores}`]),
        // Executors on the workers connect back to the driver by its container name on fixed ports.
        '--conf', `spark.driver.host=${name}`,
        '--conf', 'spark.driver.bindAddress=0.0.0.0',
        '--conf', `spark.driver.port=${DRIVER_PORT}`,
        '--conf', `spark.blockManager.port=${BLOCK_MANAGER_PORT}`,
        // A Cassandra node that dies without closing its connections (a crash, a host lost) holds every write sent to it
        // until the driver notices: a heartbeat on a connection idle for reads this long, 30 s by default, closes it and
        // the writes are retried on the other replicas. The connector builds its driver configuration over the system
        // properties, so this is where the driver's own setting can be changed.
        ...['spark.driver.extraJavaOptions', 'spark.executor.extraJavaOptions'].flatMap((key) => ['--conf', `${key}=${CASSANDRA_DRIVER_HEARTBEAT}`]),
        ...Object.entries(CHECKPOINT_SETTINGS).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
        ...Object.entries(metricsSettings).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
        ...(modules.length > 0 ? ['--py-files', modules.join(',')] : []),
        entryTarget,
      ],
      // The driver alone imports the contract package: the transforms are Spark SQL, so executors run no Python.
      environment: { ...props.environment, PYTHONPATH: `${JOB_DIRECTORY_IN_CONTAINER}:${PIPELINE_CONTRACT_PYTHONPATH}` },
      files: [...shipped.uploads, properties],
      volumes: [{ volumeName: props.cluster.checkpointsVolumeName, containerPath: '/checkpoints' }],
      // Standalone, once its UI is up, which is before it registers: the master and the executors answer at its name.
      healthCheck: HealthCheck.command(['python3', SPARK_HEALTH_SCRIPT, 'driver'], { intervalSeconds: 3, startPeriodSeconds: 60, retries: 40 })
        .withStandalone(HealthCheck.tcp(UI_PORT, STANDALONE_HEALTH_TIMING)),
      waitTimeoutSeconds: 300,
      dependsOn: [...(props.dependsOn ?? []), ...props.cluster.dependables],
    });
    this.metricsEndpoints = props.prometheusMetrics
      ? [
        { job: 'spark-driver', address: `${name}:${UI_PORT}`, path: '/metrics/prometheus/' },
        { job: 'spark-executors', address: `${name}:${UI_PORT}`, path: '/metrics/executors/prometheus' },
      ]
      : [];
  }
}
