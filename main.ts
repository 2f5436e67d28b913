import * as path from 'path';
import { App } from 'cdktf';
import { type CassandraCommitlogSync, DeploymentTarget, ImageRegistry, ImageSource, type KafkaControllerPlacement, type KafkaMetadataMode, PlatformStack, type PlatformProfile } from './constructs';

// Deploy-time choices come from the environment, so `cdktf deploy` needs no code edit:
//   DOCKER_HOST                           the engine to deploy to (default: the local socket), or a swarm's manager
//   KP_SWARM_HOSTS                        deploy as services of a Docker Swarm: its hosts' kp.host labels, comma-separated
//                                         (README, "A swarm of hosts")
//   KP_SWARM_ADDRESSES                    the address each of those hosts is reached at, comma-separated in the same order
//   KP_SWARM_REGISTRY                     host:port of the registry the swarm's nodes pull every image from, by digest
//   KP_SWARM_REGISTRY_INSECURE=true       accept its self-signed certificate (scripts/swarm-hosts.sh registry)
//   KP_ACCEPT_UNENCRYPTED_NETWORK_ACCESS=true  allow ports that other machines reach (a swarm publishes on every node)
//   KP_IMAGE_SOURCE=host                  images built on the Docker host (scripts/build-host-images.sh), no registry
//   KP_IMAGE_MIRROR                       a registry mirror prefix serving the pinned images
//   KP_CONTROL_CENTER=false               leave out Confluent Control Center (licensed)
//   KP_MONITORING=false                   leave out the monitoring (Prometheus, exporters, the dashboard)
//   KP_PROFILE                            single (default) or replicated: 3 brokers (KRaft), 3 Cassandra nodes, 2 Spark workers
//   KP_SPARK_WORKERS                      number of Spark workers (default 1)
//   KP_KAFKA_BROKERS                      number of Kafka brokers (default 1)
//   KP_KAFKA_METADATA                     where Kafka keeps its metadata: zookeeper (default) or kraft
//   KP_KAFKA_CONTROLLERS                  with kraft, where the controllers run: combined (in the brokers, default) or dedicated
//   KP_CASSANDRA_NODES                    number of Cassandra nodes (default 1)
//   KP_CASSANDRA_COMMITLOG_SYNC           periodic (default: fsync every 10 s) or group (a write waits for its fsync)
//   KP_RETAIN_VOLUMES=true                keep the data volumes when the stack is destroyed (README "Keep the data")
//   KP_PIPELINE_SOURCE_URL                the randomuser.me-compatible API (default: the real one)
//   KP_LOCAL_SOURCE_API=true              serve users from a local stand-in API instead (no internet needed)
//   KP_PIPELINE_BATCH_SIZE                users fetched per DAG run (default 100)
//   KP_PIPELINE_SCHEDULE                  the DAG's schedule, or none (default @hourly)
//   KP_PIPELINE_RETRY_DELAY_SECONDS       first retry delay of a failed DAG task (default 30)
//   KP_PIPELINE_TOPIC_PARTITIONS          partitions of the topics the bootstrap creates (default 3)
//   KP_PIPELINE_TRIGGER_SECONDS           seconds between the Spark job's micro-batches, in tenths from 0.1 (default 1)
//   KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER   records per micro-batch at most (default 50000)
//   KP_PIPELINE_CASSANDRA_CONCURRENT_WRITES  Cassandra writes each Spark task keeps in flight (default 64)
//   KP_PIPELINE_SCHEMA_FILE               the users Avro schema to check and register (default jobs/schemas/user.avsc)
const env = process.env;
const app = new App();
new PlatformStack(app, 'kafka-pipelining', {
  dockerHost: env.DOCKER_HOST,
  target: env.KP_SWARM_HOSTS ? swarmTarget(env.KP_SWARM_HOSTS, env) : undefined,
  acceptUnencryptedNetworkAccess: optionalFlag('KP_ACCEPT_UNENCRYPTED_NETWORK_ACCESS', env.KP_ACCEPT_UNENCRYPTED_NETWORK_ACCESS),
  imageSource: imageSource(env),
  controlCenter: env.KP_CONTROL_CENTER !== 'false',
  monitoring: env.KP_MONITORING !== 'false',
  profile: (env.KP_PROFILE || undefined) as PlatformProfile | undefined,
  sparkWorkers: optionalNumber(env.KP_SPARK_WORKERS),
  kafkaBrokers: optionalNumber(env.KP_KAFKA_BROKERS),
  kafkaMetadata: (env.KP_KAFKA_METADATA || undefined) as KafkaMetadataMode | undefined,
  kafkaControllers: (env.KP_KAFKA_CONTROLLERS || undefined) as KafkaControllerPlacement | undefined,
  cassandraNodes: optionalNumber(env.KP_CASSANDRA_NODES),
  cassandraCommitlogSync: (env.KP_CASSANDRA_COMMITLOG_SYNC || undefined) as CassandraCommitlogSync | undefined,
  retainVolumes: optionalFlag('KP_RETAIN_VOLUMES', env.KP_RETAIN_VOLUMES),
  pipeline: {
    sourceUrl: env.KP_PIPELINE_SOURCE_URL,
    localSourceApi: env.KP_LOCAL_SOURCE_API === 'true',
    batchSize: optionalNumber(env.KP_PIPELINE_BATCH_SIZE),
    schedule: env.KP_PIPELINE_SCHEDULE || undefined,
    retryDelaySeconds: optionalNumber(env.KP_PIPELINE_RETRY_DELAY_SECONDS),
    topicPartitions: optionalNumber(env.KP_PIPELINE_TOPIC_PARTITIONS),
    triggerSeconds: optionalNumber(env.KP_PIPELINE_TRIGGER_SECONDS),
    maxOffsetsPerTrigger: optionalNumber(env.KP_PIPELINE_MAX_OFFSETS_PER_TRIGGER),
    cassandraConcurrentWrites: optionalNumber(env.KP_PIPELINE_CASSANDRA_CONCURRENT_WRITES),
    schemaFile: env.KP_PIPELINE_SCHEMA_FILE ? path.resolve(env.KP_PIPELINE_SCHEMA_FILE) : undefined,
  },
});
app.synth();

function swarmTarget(hosts: string, vars: NodeJS.ProcessEnv) {
  const registry = vars.KP_SWARM_REGISTRY
    ? new ImageRegistry({ address: vars.KP_SWARM_REGISTRY, insecureSkipVerify: optionalFlag('KP_SWARM_REGISTRY_INSECURE', vars.KP_SWARM_REGISTRY_INSECURE) })
    : undefined;
  const list = (value: string) => value.split(',').map((item) => item.trim());
  return DeploymentTarget.swarm({ hosts: list(hosts), addresses: vars.KP_SWARM_ADDRESSES ? list(vars.KP_SWARM_ADDRESSES) : undefined, registry });
}

function imageSource(vars: NodeJS.ProcessEnv): ImageSource {
  if (vars.KP_IMAGE_SOURCE === 'host') return ImageSource.builtOnHost();
  if (vars.KP_IMAGE_SOURCE !== undefined && vars.KP_IMAGE_SOURCE !== 'public') {
    throw new Error(`KP_IMAGE_SOURCE must be 'public' or 'host', got '${vars.KP_IMAGE_SOURCE}'`);
  }
  return vars.KP_IMAGE_MIRROR ? ImageSource.mirror(vars.KP_IMAGE_MIRROR) : ImageSource.publicRegistry();
}

// Unset means the construct's default; anything else is passed on for the construct to validate and name.
function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

// Strict, unlike the on/off switches above: a misspelt value must not quietly mean that destroy deletes the data.
function optionalFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be 'true' or 'false', got '${value}'`);
  return value === 'true';
}
