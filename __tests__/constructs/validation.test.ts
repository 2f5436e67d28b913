import { DataResource, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { Construct } from 'constructs';
import {
  Airflow, Cassandra, CassandraRing, ControlCenter, FakeRandomUserApi, HealthCheck, ImageSource, KafkaBroker, KafkaCluster, NodeJob, PlatformNetwork, Postgres,
  SchemaRegistry, SparkCluster, SparkMaster, SparkStreamingJob, SparkWorker, StateVolume, StreamingPlatform, ZooKeeper, type PlatformStackProps,
} from '../../constructs';
import { synthPlatform } from '../helpers/synth';

const kafka = KafkaCluster.fromExisting({ bootstrapServers: ['kafka.internal:9092'], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } });
const zookeeper = ZooKeeper.fromExisting({ servers: ['zk.internal:2181'] });
const topics = { topic: 'users_created', dlqTopic: 'users_created.dlq' };
const brought = Cassandra.fromExisting({ contactPoints: ['cassandra.internal:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } });
const healthCheckLogin = { username: 'monitoring', password: 'monitoring-s3cret' };
const postgres = Postgres.fromExisting({ host: 'db.internal', airflow: { user: 'airflow', password: 'secret1' }, pipeline: { user: 'pipeline', password: 'secret2' } });

/** Builds one construct on its own, as a user of that construct (not of the platform) would. */
function build(create: (scope: Construct, network: PlatformNetwork) => unknown): () => void {
  return () => {
    const stack = new TerraformStack(Testing.app(), 'leaf');
    create(stack, new PlatformNetwork(stack, 'Network', { name: 'net' }));
  };
}

describe('props are validated where they enter, naming the prop and what is allowed', () => {
  test.each<[PlatformStackProps, string]>([
    [{ sparkWorkers: 0 }, 'sparkWorkers must be an integer between 1 and 8, got 0'],
    [{ sparkWorkers: 9 }, 'sparkWorkers must be an integer between 1 and 8, got 9'],
    [{ sparkWorkers: 1.5 }, 'sparkWorkers must be an integer between 1 and 8, got 1.5'],
    [{ memoryMiB: { zookeeper: 100 } }, 'memoryMiB.zookeeper must be an integer between 256 and 262144, got 100'],
    [{ memoryMiB: { kafka: 100 } }, 'memoryMiB.kafka must be an integer between 512 and 262144, got 100'],
    [{ memoryMiB: { kafka: 100 }, kafkaBrokers: 3 }, 'memoryMiB.kafka must be an integer between 512 and 262144, got 100'],
    [{ kafkaBrokers: 0 }, 'kafkaBrokers must be an integer between 1 and 5, got 0'],
    [{ kafkaBrokers: 6 }, 'kafkaBrokers must be an integer between 1 and 5, got 6'],
    [{ kafkaBrokers: 2.5 }, 'kafkaBrokers must be an integer between 1 and 5, got 2.5'],
    [{ kafkaBrokers: 3, ports: { kafka: 65534 } }, 'ports.kafka must leave a port for each of the 3 brokers (hostPort to hostPort + 2): at most 65533, got 65534'],
    [{ memoryMiB: { schemaRegistry: 100 } }, 'memoryMiB.schemaRegistry must be an integer between 512 and 262144, got 100'],
    [{ memoryMiB: { controlCenter: 100 } }, 'memoryMiB.controlCenter must be an integer between 1024 and 262144, got 100'],
    [{ memoryMiB: { postgres: 100 } }, 'memoryMiB.postgres must be an integer between 256 and 262144, got 100'],
    [{ memoryMiB: { cassandra: 512 } }, 'memoryMiB.cassandra must be an integer between 1024 and 262144, got 512'],
    [{ memoryMiB: { sparkMaster: 100 } }, 'memoryMiB.sparkMaster must be an integer between 384 and 262144, got 100'],
    [{ memoryMiB: { sparkWorker: 100 } }, 'memoryMiB.sparkWorker must be an integer between 1024 and 262144, got 100'],
    [{ memoryMiB: { sparkJob: 100 } }, 'memoryMiB.sparkJob must be an integer between 512 and 262144, got 100'],
    [{ memoryMiB: { airflowApiServer: 0 } }, 'memoryMiB.airflowApiServer must be an integer between 768 and 262144, got 0'],
    [{ memoryMiB: { airflowScheduler: 0 } }, 'memoryMiB.airflowScheduler must be an integer between 768 and 262144, got 0'],
    [{ memoryMiB: { airflowDagProcessor: 0 } }, 'memoryMiB.airflowDagProcessor must be an integer between 384 and 262144, got 0'],
    [{ ports: { kafka: 70000 } }, 'ports.kafka must be an integer between 1 and 65535, got 70000'],
    [{ ports: { schemaRegistry: 0 } }, 'ports.schemaRegistry must be an integer between 1 and 65535, got 0'],
    [{ ports: { controlCenter: 0 } }, 'ports.controlCenter must be an integer between 1 and 65535, got 0'],
    [{ ports: { postgres: 0 } }, 'ports.postgres must be an integer between 1 and 65535, got 0'],
    [{ ports: { cassandra: 0 } }, 'ports.cassandra must be an integer between 1 and 65535, got 0'],
    [{ ports: { sparkMasterUi: 0 } }, 'ports.sparkMasterUi must be an integer between 1 and 65535, got 0'],
    [{ ports: { airflow: 0 } }, 'ports.airflow must be an integer between 1 and 65535, got 0'],
    [{ bindAddress: 'localhost' }, "bindAddress must be an IPv4 address such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces), got 'localhost'"],
    [{ bindAddress: '256.0.0.1' }, "bindAddress must be an IPv4 address such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces), got '256.0.0.1'"],
    [{ namePrefix: 'KP!' }, "namePrefix must be 1-32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got 'KP!'"],
    [{ pipeline: { batchSize: 0 } }, 'pipeline.batchSize must be an integer between 1 and 5000, got 0'],
    [{ pipeline: { triggerSeconds: 0 } }, 'pipeline.triggerSeconds must be a number of seconds in tenths between 0.1 and 3600, got 0'],
    [{ pipeline: { triggerSeconds: 0.25 } }, 'pipeline.triggerSeconds must be a number of seconds in tenths between 0.1 and 3600, got 0.25'],
    [{ pipeline: { retryDelaySeconds: 0 } }, 'pipeline.retryDelaySeconds must be an integer between 1 and 3600, got 0'],
    [{ pipeline: { maxFieldLength: 35 } }, 'pipeline.maxFieldLength must be an integer between 36 and 20000, got 35'],
    [{ pipeline: { maxFieldLength: 20001 } }, 'pipeline.maxFieldLength must be an integer between 36 and 20000, got 20001'],
    [{ pipeline: { cassandraConcurrentWrites: 0 } }, 'pipeline.cassandraConcurrentWrites must be an integer between 1 and 1024, got 0'],
    [{ pipeline: { topic: 'users topic' } }, "pipeline.topic must be 1-200 characters of A-Z, a-z, 0-9, '.', '_' and '-', got 'users topic'"],
    [{ pipeline: { keyspace: 'Spark-Streams' } }, "pipeline.keyspace must be a lower-case CQL identifier (a-z, 0-9, '_', at most 48 characters, starting with a letter), got 'Spark-Streams'"],
    [{ pipeline: { sourceUrl: 'ftp://example.org' } }, "pipeline.sourceUrl must be an http(s) URL, got 'ftp://example.org'"],
    [{ pipeline: { cassandraConsistency: 'TWO' } }, 'pipeline.cassandraConsistency TWO needs 2 copies of every row, but pipeline.cassandraReplication is 1: raise it, or take LOCAL_QUORUM'],
    [{ pipeline: { cassandraConsistency: 'EACH_QUORUM' as never } }, "pipeline.cassandraConsistency must be one of ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, got 'EACH_QUORUM'"],
    [
      { pipeline: { cassandraReplication: 2 } },
      "pipeline.cassandraReplication must be at most cassandraNodes (1) with the platform's own Cassandra, got 2: a ring keeps at most one copy of a row per node. Raise cassandraNodes, or give cassandra (a cluster) for more",
    ],
    [{ cassandraNodes: 3, pipeline: { cassandraReplication: 4 } }, 'pipeline.cassandraReplication must be at most cassandraNodes (3)'],
    [{ cassandraNodes: 2, pipeline: { cassandraConsistency: 'THREE' } }, 'pipeline.cassandraConsistency THREE needs 3 copies of every row, but pipeline.cassandraReplication is 2'],
    [{ cassandraNodes: 0 }, 'cassandraNodes must be an integer between 1 and 5, got 0'],
    [{ cassandraNodes: 6 }, 'cassandraNodes must be an integer between 1 and 5, got 6'],
    [{ cassandraNodes: 2.5 }, 'cassandraNodes must be an integer between 1 and 5, got 2.5'],
    [{ cassandraCommitlogSync: 'batch' as never }, "cassandraCommitlogSync must be 'periodic' or 'group', got 'batch'"],
    [{ cassandraNodes: 3, ports: { cassandra: 65534 } }, "ports.cassandra must leave room for 3 nodes' ports (hostPort + 2 at most 65535), got 65534"],
  ])('%j is refused', (props, message) => {
    expect(() => synthPlatform(props)).toThrow(message);
  });

  test.each<[PlatformStackProps, string]>([
    [{ postgres, ports: { postgres: 15432 } }, "ports.postgres is for the platform's own postgres, which does not run when postgres is given: leave it unset"],
    [{ postgres, memoryMiB: { postgres: 1024 } }, "memoryMiB.postgres is for the platform's own postgres, which does not run when postgres is given: leave it unset"],
    [{ kafka, kafkaBrokers: 3 }, "kafkaBrokers is for the platform's own kafka, which does not run when kafka is given: leave it unset"],
    [{ kafka, kafkaBrokers: 1 }, "kafkaBrokers is for the platform's own kafka, which does not run when kafka is given: leave it unset"],
    [{ kafka, ports: { kafka: 19092 } }, "ports.kafka is for the platform's own kafka, which does not run when kafka is given: leave it unset"],
    [{ kafka, memoryMiB: { kafka: 1024 } }, "memoryMiB.kafka is for the platform's own kafka, which does not run when kafka is given: leave it unset"],
    [{ kafka, memoryMiB: { zookeeper: 1024 } }, "memoryMiB.zookeeper is for the platform's own kafka, which does not run when kafka is given: leave it unset"],
    [{ zookeeper, memoryMiB: { zookeeper: 1024 } }, "memoryMiB.zookeeper is for the platform's own zookeeper, which does not run when zookeeper is given: leave it unset"],
    [
      { schemaRegistry: SchemaRegistry.fromExisting({ url: 'http://registry.internal:8081', credentials: { writer: { username: 'writer', password: 'writer-secret' } } }), ports: { schemaRegistry: 18081 } },
      "ports.schemaRegistry is for the platform's own schemaRegistry, which does not run when schemaRegistry is given: leave it unset",
    ],
    [
      { cassandra: Cassandra.fromExisting({ contactPoints: ['cassandra.internal:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), memoryMiB: { cassandra: 4096 } },
      "memoryMiB.cassandra is for the platform's own cassandra, which does not run when cassandra is given: leave it unset",
    ],
    [{ cassandra: brought, cassandraNodes: 3 }, "cassandraNodes is for the platform's own cassandra, which does not run when cassandra is given: leave it unset"],
    [{ cassandra: brought, cassandraCommitlogSync: 'group' }, "cassandraCommitlogSync is for the platform's own cassandra, which does not run when cassandra is given: leave it unset"],
    [
      { cassandra: Cassandra.fromExisting({ contactPoints: ['cassandra.internal:9042'], datacenter: 'dc1', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), pipeline: { cassandraReplication: 0 } },
      'pipeline.cassandraReplication must be an integer between 1 and 32, got 0',
    ],
    [{ kafka, controlCenter: true }, "controlCenter needs the Kafka cluster's ZooKeeper: with kafka given, give zookeeper too, or set controlCenter to false"],
    [{ kafka, zookeeper, controlCenter: false }, "zookeeper is read only by the platform's own Kafka and by Control Center: with kafka given and controlCenter false, leave it unset"],
  ])('bringing a service refuses settings of the one it replaces: %j', (props, message) => {
    expect(() => synthPlatform(props)).toThrow(message);
  });

  test('two services on one host port fail synthesis, naming both', () => {
    expect(() => synthPlatform({ ports: { airflow: 9092 } })).toThrow(
      /ports\.airflow and ports\.kafka both publish host port 9092: give one of them another port/,
    );
  });

  test("every Kafka broker's host port is checked: the next ones are ports.kafka + 1, + 2, ...", () => {
    expect(() => synthPlatform({ kafkaBrokers: 3, ports: { schemaRegistry: 9094 } })).toThrow(
      /ports\.schemaRegistry and ports\.kafka \+ 2 \(Kafka broker 3\) both publish host port 9094: give one of them another port/,
    );
    expect(() => synthPlatform({ kafkaBrokers: 3, ports: { kafka: 8079 } })).toThrow(
      /ports\.airflow and ports\.kafka \+ 1 \(Kafka broker 2\) both publish host port 8080/,
    );
    // Two brokers stop short of a port three would take.
    expect(() => synthPlatform({ kafkaBrokers: 2, ports: { schemaRegistry: 9094 } })).not.toThrow();
  });

  test('a mirror prefix must look like a registry host', () => {
    expect(() => ImageSource.mirror('')).toThrow("ImageSource.mirror: prefix must look like 'host[:port][/path]', got ''");
    expect(() => ImageSource.mirror('http://mirror')).toThrow(/prefix must look like/);
  });
});

describe('a construct used on its own names its own props', () => {
  test.each([
    ['ZooKeeper memoryMiB', build((s, network) => new ZooKeeper(s, 'Z', { network, memoryMiB: 100 })), 'memoryMiB must be an integer between 256 and 262144, got 100'],
    ['KafkaCluster hostPort', build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, hostPort: 70000 })), 'hostPort must be an integer between 1 and 65535, got 70000'],
    ['KafkaCluster memoryMiB', build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, memoryMiB: 100 })), 'memoryMiB must be an integer between 512 and 262144, got 100'],
    ['KafkaCluster brokers', build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, brokers: 6 })), 'brokers must be an integer between 1 and 5, got 6'],
    [
      'KafkaCluster hostPort with brokers',
      build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, brokers: 5, hostPort: 65532 })),
      'hostPort must leave a port for each of the 5 brokers (hostPort to hostPort + 4): at most 65531, got 65532',
    ],
    ['KafkaCluster metadata', build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, metadata: 'raft' as never })), "metadata must be one of 'zookeeper', 'kraft', got 'raft'"],
    ['KafkaCluster zookeeper in KRaft mode', build((s, network) => new KafkaCluster(s, 'K', { network, zookeeper, topics, metadata: 'kraft' })), "zookeeper must be unset with metadata 'kraft': the brokers keep the metadata themselves"],
    ['KafkaCluster without zookeeper', build((s, network) => new KafkaCluster(s, 'K', { network, topics })), "zookeeper is required with metadata 'zookeeper'"],
    [
      'KafkaBroker replicationFactor',
      build((s, network) => {
        const secretsVolume = new StateVolume(s, 'Secrets', { name: 'secrets' });
        new KafkaBroker(s, 'B', { network, metadata: { mode: 'zookeeper', zookeeper }, secretsVolume, secretsJob: new DataResource(s, 'Job', {}), replicationFactor: 0 });
      }),
      'replicationFactor must be an integer between 1 and 32767, got 0',
    ],
    ['SchemaRegistry hostPort', build((s, network) => new SchemaRegistry(s, 'R', { network, kafka, hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
    ['SchemaRegistry memoryMiB', build((s, network) => new SchemaRegistry(s, 'R', { network, kafka, memoryMiB: 100 })), 'memoryMiB must be an integer between 512 and 262144, got 100'],
    [
      'ControlCenter hostPort',
      build((s, network) => new ControlCenter(s, 'C', { network, kafka, zookeeper, schemaRegistry: SchemaRegistry.fromExisting({ url: 'http://r:8081', credentials: { writer: { username: 'writer', password: 'writer-secret' } } }), hostPort: 0 })),
      'hostPort must be an integer between 1 and 65535, got 0',
    ],
    [
      'ControlCenter memoryMiB',
      build((s, network) => new ControlCenter(s, 'C', { network, kafka, zookeeper, schemaRegistry: SchemaRegistry.fromExisting({ url: 'http://r:8081', credentials: { writer: { username: 'writer', password: 'writer-secret' } } }), memoryMiB: 100 })),
      'memoryMiB must be an integer between 1024 and 262144, got 100',
    ],
    ['Postgres hostPort', build((s, network) => new Postgres(s, 'P', { network, hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
    ['Postgres memoryMiB', build((s, network) => new Postgres(s, 'P', { network, memoryMiB: 100 })), 'memoryMiB must be an integer between 256 and 262144, got 100'],
    ['Cassandra hostPort', build((s, network) => new Cassandra(s, 'C', { network, healthCheckLogin, hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
    ['Cassandra memoryMiB', build((s, network) => new Cassandra(s, 'C', { network, healthCheckLogin, memoryMiB: 512 })), 'memoryMiB must be an integer between 1024 and 262144, got 512'],
    ['Cassandra ringSize', build((s, network) => new Cassandra(s, 'C', { network, healthCheckLogin, ringSize: 6 })), 'ringSize must be an integer between 1 and 5, got 6'],
    ['Cassandra commitlogSync', build((s, network) => new Cassandra(s, 'C', { network, healthCheckLogin, commitlogSync: 'batch' as never })), "commitlogSync must be 'periodic' or 'group', got 'batch'"],
    ['CassandraRing nodes', build((s, network) => new CassandraRing(s, 'R', { network, nodes: 0 })), 'nodes must be an integer between 1 and 5, got 0'],
    ['CassandraRing hostPort', build((s, network) => new CassandraRing(s, 'R', { network, nodes: 3, hostPort: 65534 })), "hostPort must leave room for 3 nodes' ports (hostPort + 2 at most 65535), got 65534"],
    ['Airflow hostPort', build((s, network) => new Airflow(s, 'A', { network, postgres, hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
    ['Airflow apiServerMemoryMiB', build((s, network) => new Airflow(s, 'A', { network, postgres, apiServerMemoryMiB: 0 })), 'apiServerMemoryMiB must be an integer between 768 and 262144, got 0'],
    ['Airflow schedulerMemoryMiB', build((s, network) => new Airflow(s, 'A', { network, postgres, schedulerMemoryMiB: 0 })), 'schedulerMemoryMiB must be an integer between 768 and 262144, got 0'],
    [
      'Airflow dagProcessorMemoryMiB',
      build((s, network) => new Airflow(s, 'A', { network, postgres, dagProcessorMemoryMiB: 0 })),
      'dagProcessorMemoryMiB must be an integer between 384 and 262144, got 0',
    ],
    [
      'Airflow requirementsFile',
      build((s, network) => new Airflow(s, 'A', { network, postgres, requirementsFile: '/nonexistent/requirements.lock' })),
      "requirementsFile must name an existing file, got '/nonexistent/requirements.lock'",
    ],
    [
      'Airflow requirementsFile pins',
      build((s, network) => new Airflow(s, 'A', { network, postgres, requirementsFile: __filename })),
      'requirementsFile must pin an exact version on every line (pkg==x.y.z), got',
    ],
    ['SparkMaster hostPort', build((s, network) => new SparkMaster(s, 'M', { network, imageId: 'spark', hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
    ['SparkMaster memoryMiB', build((s, network) => new SparkMaster(s, 'M', { network, imageId: 'spark', memoryMiB: 100 })), 'memoryMiB must be an integer between 384 and 262144, got 100'],
    [
      'SparkWorker memoryMiB',
      build((s, network) => new SparkWorker(s, 'W', { network, name: 'w', imageId: 'spark', master: new SparkMaster(s, 'M', { network, imageId: 'spark' }), memoryMiB: 100 })),
      'memoryMiB must be an integer between 1024 and 262144, got 100',
    ],
    [
      'SparkWorker cores',
      build((s, network) => new SparkWorker(s, 'W', { network, name: 'w', imageId: 'spark', master: new SparkMaster(s, 'M', { network, imageId: 'spark' }), cores: 0 })),
      'cores must be an integer between 1 and 64, got 0',
    ],
    ['SparkCluster workers', build((s, network) => new SparkCluster(s, 'S', { network, workers: 9 })), 'workers must be an integer between 1 and 8, got 9'],
    ['SparkCluster masterUiHostPort', build((s, network) => new SparkCluster(s, 'S', { network, masterUiHostPort: 0 })), 'masterUiHostPort must be an integer between 1 and 65535, got 0'],
    ['SparkCluster masterMemoryMiB', build((s, network) => new SparkCluster(s, 'S', { network, masterMemoryMiB: 100 })), 'masterMemoryMiB must be an integer between 384 and 262144, got 100'],
    ['SparkCluster workerMemoryMiB', build((s, network) => new SparkCluster(s, 'S', { network, workerMemoryMiB: 100 })), 'workerMemoryMiB must be an integer between 1024 and 262144, got 100'],
    ['SparkCluster workerCores', build((s, network) => new SparkCluster(s, 'S', { network, workerCores: 0 })), 'workerCores must be an integer between 1 and 64, got 0'],
    [
      'SparkStreamingJob memoryMiB',
      build((s, network) => new SparkStreamingJob(s, 'J', { network, cluster: new SparkCluster(s, 'S', { network }), cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {}, memoryMiB: 100 })),
      'memoryMiB must be an integer between 512 and 262144, got 100',
    ],
    [
      'SparkStreamingJob maxCores',
      build((s, network) => new SparkStreamingJob(s, 'J', { network, cluster: new SparkCluster(s, 'S', { network }), cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {}, maxCores: 5 })),
      'maxCores must be an integer between 1 and 4, got 5',
    ],
    [
      'SparkStreamingJob entryPoint',
      build((s, network) => new SparkStreamingJob(s, 'J', { network, cluster: new SparkCluster(s, 'S', { network }), cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {}, entryPoint: 'missing.py' })),
      "entryPoint must be a .py file in",
    ],
    [
      'NodeJob memoryMiB',
      build((s, network) => new NodeJob(s, 'N', { network, name: 'job', entryPoint: '/nonexistent.ts', environment: {}, memoryMiB: 64 })),
      'memoryMiB must be an integer between 128 and 262144, got 64',
    ],
    ['FakeRandomUserApi hostPort', build((s, network) => new FakeRandomUserApi(s, 'F', { network, hostPort: 0 })), 'hostPort must be an integer between 1 and 65535, got 0'],
  ])('%s', (_, create, message) => {
    expect(create).toThrow(message);
  });

  test.each([
    [() => KafkaCluster.fromExisting({ bootstrapServers: [], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), 'bootstrapServers must list at least one host:port address, got none'],
    [() => KafkaCluster.fromExisting({ bootstrapServers: ['kafka.internal'], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), "bootstrapServers must list host:port addresses, got 'kafka.internal'"],
    [() => KafkaCluster.fromExisting({ bootstrapServers: ['k:9092'], hostBootstrapServers: ['k:0'], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), "hostBootstrapServers must list host:port addresses, got 'k:0'"],
    [() => KafkaCluster.fromExisting({ bootstrapServers: ['k:9092'], credentials: { pipeline: { username: '1etl', password: 'etl-password' } } }), "credentials.pipeline.username must be a user name (a letter, then letters, digits, '_' or '-', at most 64), got '1etl'"],
    [() => KafkaCluster.fromExisting({ bootstrapServers: ['k:9092'], credentials: { pipeline: { username: 'etl', password: 'short' } } }), 'credentials.pipeline.password must be 8 or more of letters, digits and ._~- (it goes into JAAS and properties files as is)'],
    [() => KafkaCluster.fromExisting({ bootstrapServers: ['k:9092'], credentials: { pipeline: { username: 'etl', password: 'etl-password' }, stream: { username: 'spark', password: 'with"quote' } } }), 'credentials.stream.password must be 8 or more of letters, digits and ._~-'],
    [() => ZooKeeper.fromExisting({ servers: ['zk internal:2181'] }), "servers must list host:port addresses, got 'zk internal:2181'"],
    [() => SchemaRegistry.fromExisting({ url: 'registry:8081', credentials: { writer: { username: 'writer', password: 'writer-secret' } } }), "url must be an http(s) URL, got 'registry:8081'"],
    [() => Cassandra.fromExisting({ contactPoints: ['c:9042'], datacenter: '', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), "datacenter must be a datacenter name, got ''"],
    [() => Postgres.fromExisting({ host: 'db/x', airflow: { user: 'airflow_etl', password: 'a' }, pipeline: { user: 'u', password: 'p' } }), "host must be a host name or IP address, got 'db/x'"],
    [() => Postgres.fromExisting({ host: 'db', port: 0, airflow: { user: 'airflow_etl', password: 'a' }, pipeline: { user: 'u', password: 'p' } }), 'port must be an integer between 1 and 65535, got 0'],
    [() => Postgres.fromExisting({ host: 'db', airflow: { user: 'a', password: 'a' }, pipeline: { user: 'u', password: 'p@ss' } }), 'pipeline.password must be letters, digits and ._~- only (it goes into DSNs unquoted)'],
    [() => Postgres.fromExisting({ host: 'db', airflow: { user: 'a b', password: 'a' }, pipeline: { user: 'u', password: 'p' } }), 'airflow.user must be letters, digits and ._~- only (it goes into DSNs unquoted)'],
    [() => Postgres.fromExisting({ host: 'db', airflow: { user: 'airflow_etl', password: 'a' }, pipeline: { user: 'u', password: 'p' }, monitoring: { user: 'm', password: 'm', database: 'Stats DB' } }), "monitoring.database must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit), got 'Stats DB'"],
    [() => Postgres.fromExisting({ host: 'db', airflow: { user: 'airflow_etl', password: 'a' }, pipeline: { user: 'u', password: 'p' }, hostAddress: 'db' }), "hostAddress must list host:port addresses, got 'db'"],
    [() => SparkCluster.fromExisting(new TerraformStack(Testing.app(), 's'), 'Image', { masterUrl: 'http://m:7077', checkpointsVolumeName: 'c', maxExecutorMemoryMiB: 1024, totalCores: 2 }), "masterUrl must be spark://host:port, got 'http://m:7077'"],
  ])('an existing service given by a bad address is refused: %#', (create, message) => {
    expect(create).toThrow(message);
  });

  test('health checks refuse what they cannot render faithfully', () => {
    expect(() => HealthCheck.command([])).toThrow('command must name a program, got []');
    expect(() => HealthCheck.http('localhost:8080/health')).toThrow("url must be an http(s) URL, got 'localhost:8080/health'");
    expect(() => HealthCheck.tcp(0)).toThrow('port must be an integer between 1 and 65535, got 0');
    expect(() => HealthCheck.tcp(2181, { send: 'srvr; rm -rf /' })).toThrow("send must be letters and digits only, got 'srvr; rm -rf /'");
    expect(() => HealthCheck.tcp(2181, { expectLine: "it's" })).toThrow("expectLine must not contain a single quote or a newline, got 'it's'");
    expect(() => HealthCheck.command(['true'], { retries: 0 })).toThrow('retries must be an integer between 1 and 100, got 0');
  });
});

describe('image sources', () => {
  test('a mirror serves the same pinned references under its prefix', () => {
    const mirrored = synthPlatform({ imageSource: ImageSource.mirror('registry.internal:5000/') });
    const pulled = Object.values(mirrored.resourcesOfType('docker_image')).filter((i) => !i.build);
    for (const image of pulled) expect(image.name).toMatch(/^registry\.internal:5000\/[a-z]/);
    expect(pulled.map((i) => i.name)).toContain('registry.internal:5000/confluentinc/cp-kafka:7.9.1');
  });

  test('images built on the host keep the pinned tags under the local namespace', () => {
    const local = synthPlatform({ imageSource: ImageSource.builtOnHost() });
    const names = Object.values(local.resourcesOfType('docker_image')).filter((i) => !i.build).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['kafka-pipelining/cp-kafka:7.9.1', 'kafka-pipelining/cassandra:5.0.4', 'kafka-pipelining/airflow:3.3.2-python3.11']));
    for (const name of names) expect(name).toMatch(/^kafka-pipelining\/[a-z-]+:v?[0-9]/);
    // Host-built images already carry the DAG's packages, the connectors and the JMX exporter's agent: nothing is built in the plan.
    expect(Object.values(local.resourcesOfType('docker_image')).filter((i) => i.build)).toEqual([]);
    expect(local.container('kp-spark-job').image).toBe(local.container('kp-spark-master').image);
  });
});

describe('a bind address other machines reach is refused unless the risk is accepted', () => {
  const risk = (shown: string) =>
    `bindAddress is ${shown}: every published port would answer other machines without TLS, so passwords and data would cross ` +
    'the network in clear text (Kafka\'s SCRAM exchange hides its passwords, not its records; the other services\' logins and ' +
    "everyone's data travel readable). Keep 127.0.0.1 (reach the ports through an SSH tunnel), or set acceptUnencryptedNetworkAccess: true to accept that risk";

  test.each(['0.0.0.0', '192.168.1.20', '10.0.0.5'])('bindAddress %s, naming the prop, the risk and the way out', (bindAddress) => {
    expect(() => synthPlatform({ bindAddress })).toThrow(risk(`'${bindAddress}', not a loopback address (127.0.0.0/8)`));
    expect(() => synthPlatform({ bindAddress, acceptUnencryptedNetworkAccess: false })).toThrow('acceptUnencryptedNetworkAccess: true');
  });

  test('a deploy-time bindAddress is refused too: it cannot be checked at synth', () => {
    const stack = new TerraformStack(Testing.app(), 'leaf');
    const variable = new TerraformVariable(stack, 'bind', { type: 'string' });
    expect(() => new StreamingPlatform(stack, 'P', { bindAddress: variable.stringValue })).toThrow(risk('a deploy-time value, which may not be a loopback address'));
  });

  test.each(['127.0.0.1', '127.0.1.1'])('loopback %s needs no acknowledgement', (bindAddress) => {
    const ports = synthPlatform({ bindAddress }).containers().flatMap((c) => c.ports ?? []);
    for (const p of ports) expect(p.ip).toBe(bindAddress);
  });

  test('accepted, 0.0.0.0 deploys', () => {
    expect(() => synthPlatform({ bindAddress: '0.0.0.0', acceptUnencryptedNetworkAccess: true })).not.toThrow();
  });
});
