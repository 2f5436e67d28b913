import { TerraformStack, Testing } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Cassandra, IMAGES, imageReference, KafkaBroker, KafkaCluster, PlatformNetwork, Postgres, SchemaRegistry, SparkCluster, SparkStreamingJob, ZooKeeper } from '../../constructs';
import { synthPlatform, SynthesizedPlan } from '../helpers/synth';

const envOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const propertiesOf = (plan: SynthesizedPlan, name: string, file: string): string =>
  plan.container(name).upload.find((u: { file: string }) => u.file.endsWith(file)).content;

describe('the platform against an existing PostgreSQL and Kafka given by address', () => {
  // GIVEN a PostgreSQL and a Kafka cluster that run elsewhere
  const plan = synthPlatform({
    postgres: Postgres.fromExisting({
      host: 'db.internal', port: 6432, hostAddress: 'db.example.org:6432',
      airflow: { user: 'airflow_meta_owner', password: 'from-vault-1', database: 'airflow_meta' },
      pipeline: { user: 'etl', password: 'from-vault-2' },
      monitoring: { user: 'stats', password: 'from-vault-3' },
    }),
    kafka: KafkaCluster.fromExisting({ bootstrapServers: ['kafka-1.internal:9092', 'kafka-2.internal:9092'], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }),
  });

  test('runs no PostgreSQL, Kafka or ZooKeeper of its own, and no Control Center (it would need the ZooKeeper)', () => {
    const names = plan.containers().map((c) => c.name);
    for (const name of ['kp-postgres', 'kp-kafka', 'kp-zookeeper', 'kp-control-center']) expect(names).not.toContain(name);
    const images = Object.values(plan.resourcesOfType('docker_image')).map((i) => i.name);
    for (const image of [IMAGES.kafka, IMAGES.zookeeper, IMAGES.postgres, IMAGES.controlCenter]) expect(images).not.toContain(imageReference(image));
    const volumes = Object.values(plan.resourcesOfType('docker_volume')).map((v) => v.name);
    expect(volumes).not.toEqual(expect.arrayContaining(['kp-postgres-data', 'kp-kafka-data', 'kp-zookeeper-data']));
  });

  test("Airflow's metadata database is on the given server", () => {
    for (const name of ['kp-airflow-init', 'kp-airflow-api-server', 'kp-airflow-scheduler', 'kp-airflow-dag-processor']) {
      expect(envOf(plan, name).AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).toBe('postgresql+psycopg2://airflow_meta_owner:from-vault-1@db.internal:6432/airflow_meta');
    }
  });

  test('every job reads the given PostgreSQL and Kafka, where it reads them', () => {
    for (const name of ['kp-bootstrap', 'kp-airflow-scheduler']) {
      expect(envOf(plan, name).PIPELINE_PG_DSN).toBe('postgresql://etl:from-vault-2@db.internal:6432/pipeline');
    }
    for (const name of ['kp-bootstrap', 'kp-spark-job', 'kp-airflow-scheduler']) {
      expect(envOf(plan, name).PIPELINE_KAFKA_BOOTSTRAP_SERVERS).toBe('kafka-1.internal:9092,kafka-2.internal:9092');
    }
  });

  test("the PostgreSQL exporter reads the given server with the monitoring role given, from its maintenance database", () => {
    expect(envOf(plan, 'kp-postgres-exporter')).toEqual(expect.objectContaining({
      DATA_SOURCE_URI: 'db.internal:6432/postgres?sslmode=disable',
      DATA_SOURCE_USER: 'stats',
      DATA_SOURCE_PASS: 'from-vault-3',
    }));
  });

  test("without a monitoring role the exporter takes the pipeline's, and no container gets Airflow's credential but Airflow's", () => {
    const plain = synthPlatform({
      postgres: Postgres.fromExisting({ host: 'db.internal', airflow: { user: 'meta', password: 'secret-a' }, pipeline: { user: 'etl', password: 'secret-p' } }),
    });
    expect(envOf(plain, 'kp-postgres-exporter')).toEqual(expect.objectContaining({
      DATA_SOURCE_URI: 'db.internal:5432/pipeline?sslmode=disable',
      DATA_SOURCE_USER: 'etl',
      DATA_SOURCE_PASS: 'secret-p',
    }));
    const withAirflowSecret = plain.containers().filter((c) => (c.env ?? []).some((e: string) => e.includes('secret-a'))).map((c) => c.name).sort();
    expect(withAirflowSecret).toEqual(['kp-airflow-api-server', 'kp-airflow-dag-processor', 'kp-airflow-init', 'kp-airflow-scheduler']);
    expect(plain.json.output.postgres_dsn).toBeUndefined();
  });

  test('the Schema Registry the platform still runs stores its schemas in the given Kafka, one URL per broker, with its login', () => {
    const properties = propertiesOf(plan, 'kp-schema-registry', 'schema-registry.properties');
    expect(properties).toContain('kafkastore.bootstrap.servers=SASL_PLAINTEXT://kafka-1.internal:9092,SASL_PLAINTEXT://kafka-2.internal:9092\n');
    expect(properties).toContain('kafkastore.security.protocol=SASL_PLAINTEXT\nkafkastore.topic=_schemas\n');
    expect(properties).toContain('kafkastore.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="etl" password="etl-password";\n');
    expect(properties).toContain('kafkastore.sasl.mechanism=SCRAM-SHA-512\n');
  });

  test('outputs only what is known: the given host-side DSN, no Kafka address from the host', () => {
    expect(plan.json.output.postgres_dsn).toEqual(expect.objectContaining({ value: 'postgresql://etl:from-vault-2@db.example.org:6432/pipeline', sensitive: true }));
    expect(plan.json.output.kafka_bootstrap_servers).toBeUndefined();
    expect(plan.json.output.control_center_url).toBeUndefined();
  });

  test('the services the platform still runs keep their resource addresses (state stays where it is)', () => {
    const own = synthPlatform();
    const addresses = (p: SynthesizedPlan) => Object.keys(p.resourcesOfType('docker_container'));
    expect(addresses(own)).toEqual(expect.arrayContaining(addresses(plan)));
  });
});

describe('the platform against existing services of every kind', () => {
  const plan = synthPlatform({
    kafka: KafkaCluster.fromExisting({
      bootstrapServers: ['kafka.internal:9092'], hostBootstrapServers: ['kafka.example.org:9092'],
      credentials: {
        pipeline: { username: 'etl', password: 'etl-password' },
        producer: { username: 'dag', password: 'dag-password' },
        monitoring: { username: 'reader', password: 'reader-password' },
        admin: { username: 'ops', password: 'ops-password' },
      },
    }),
    zookeeper: ZooKeeper.fromExisting({ servers: ['zk.internal:2181'] }),
    schemaRegistry: SchemaRegistry.fromExisting({ url: 'http://registry.internal:8081', credentials: { writer: { username: 'writer', password: 'writer-secret' } } }),
    cassandra: Cassandra.fromExisting({ contactPoints: ['cassandra-1.internal:9042', 'cassandra-2.internal:9042'], datacenter: 'dc-east', credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }),
  });

  test('runs only what is left: Control Center over the given cluster, PostgreSQL, Spark, Airflow and the monitoring', () => {
    expect(plan.containers().map((c) => c.name).sort()).toEqual([
      'kp-airflow-api-server', 'kp-airflow-dag-processor', 'kp-airflow-fernet-key', 'kp-airflow-init', 'kp-airflow-scheduler', 'kp-bootstrap',
      'kp-control-center', 'kp-node-exporter', 'kp-pipeline-metrics', 'kp-postgres', 'kp-postgres-exporter', 'kp-prometheus',
      'kp-spark-job', 'kp-spark-master', 'kp-spark-worker-1',
    ]);
    const controlCenter = propertiesOf(plan, 'kp-control-center', 'control-center.properties');
    expect(controlCenter).toContain('bootstrap.servers=kafka.internal:9092\n');
    expect(controlCenter).toContain('zookeeper.connect=zk.internal:2181\n');
    expect(controlCenter).toContain('confluent.controlcenter.schema.registry.url=http://registry.internal:8081\n');
  });

  test('the monitoring scrapes what the platform runs, not the brought Kafka, ZooKeeper or Cassandra; the pipeline figures read the given Kafka', () => {
    const jobs = (JSON.parse(plan.stack.platform.monitoring!.prometheus.configuration) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);
    expect(jobs.sort()).toEqual(['node', 'pipeline', 'postgres', 'prometheus', 'spark-driver', 'spark-executors', 'spark-master', 'spark-worker']);
    expect(envOf(plan, 'kp-pipeline-metrics').PIPELINE_KAFKA_BOOTSTRAP_SERVERS).toBe('kafka.internal:9092');
  });

  test("each client logs in to the given Kafka with its own login, or the pipeline's where none is given", () => {
    expect(envOf(plan, 'kp-airflow-scheduler')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'dag', PIPELINE_KAFKA_PASSWORD: 'dag-password' }));
    expect(envOf(plan, 'kp-bootstrap')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'etl', PIPELINE_KAFKA_PASSWORD: 'etl-password' }));
    expect(envOf(plan, 'kp-pipeline-metrics')).toEqual(expect.objectContaining({ PIPELINE_KAFKA_USERNAME: 'reader', PIPELINE_KAFKA_PASSWORD: 'reader-password' }));
    expect(propertiesOf(plan, 'kp-spark-job', 'spark-job.conf')).toContain('spark.pipeline.kafka.password=etl-password\nspark.pipeline.kafka.username=etl\n');
    expect(propertiesOf(plan, 'kp-control-center', 'control-center.properties')).toContain(
      'confluent.controlcenter.streams.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="ops" password="ops-password";\n',
    );
    // The DAG file itself (the dag-processor) logs in nowhere.
    expect(envOf(plan, 'kp-airflow-dag-processor').PIPELINE_KAFKA_USERNAME).toBeUndefined();
  });

  test('the jobs read the given registry and Cassandra', () => {
    for (const name of ['kp-spark-job', 'kp-bootstrap']) {
      const env = envOf(plan, name);
      expect(env.PIPELINE_SCHEMA_REGISTRY_URL).toBe('http://registry.internal:8081');
      expect(env.PIPELINE_CASSANDRA_CONTACT_POINTS).toBe('cassandra-1.internal:9042,cassandra-2.internal:9042');
    }
    expect(envOf(plan, 'kp-bootstrap').PIPELINE_CASSANDRA_DATACENTER).toBe('dc-east');
  });

  test('outputs the given host-side Kafka address; no registry or Cassandra address from the host, since none was given', () => {
    const outputs = plan.json.output;
    expect(outputs.kafka_bootstrap_servers.value).toBe('kafka.example.org:9092');
    expect(outputs.schema_registry_url).toBeUndefined();
    expect(outputs.cassandra_contact_point).toBeUndefined();
    expect(outputs.cassandra_datacenter.value).toBe('dc-east');
  });

  test('what the platform creates on a brought cluster, whose size it does not know, has one copy: topics, the registry\'s, Control Center\'s', () => {
    expect(envOf(plan, 'kp-bootstrap').PIPELINE_TOPIC_REPLICATION).toBe('1');
    expect(propertiesOf(plan, 'kp-control-center', 'control-center.properties')).toContain('confluent.controlcenter.internal.topics.replication=1\n');
    const registry = propertiesOf(synthPlatform({ kafka: KafkaCluster.fromExisting({ bootstrapServers: ['k:9092'], credentials: { pipeline: { username: 'etl', password: 'etl-password' } } }), controlCenter: false }), 'kp-schema-registry', 'schema-registry.properties');
    expect(registry).toContain('kafkastore.topic.replication.factor=1\n');
  });

  test('KafkaBroker.fromExisting, the older path, gives the same cluster', () => {
    const attributes = { bootstrapServers: ['k-1:9092', 'k-2:9092'], hostBootstrapServers: ['h:9092'], credentials: { pipeline: { username: 'etl', password: 'etl-password' }, admin: { username: 'ops', password: 'ops-password' } } };
    const [older, newer] = [KafkaBroker.fromExisting(attributes), KafkaCluster.fromExisting(attributes)];
    expect([older.bootstrapServers, older.hostBootstrapServers, older.replicationFactor]).toEqual([newer.bootstrapServers, newer.hostBootstrapServers, undefined]);
    expect([older.credential('admin'), older.credential('stream')]).toEqual([newer.credential('admin'), newer.credential('stream')]);
  });

  test("the platform's own Kafka can use a given ZooKeeper", () => {
    const own = synthPlatform({ zookeeper: ZooKeeper.fromExisting({ servers: ['zk.internal:2181'] }), controlCenter: false });
    expect(own.containers().map((c) => c.name)).not.toContain('kp-zookeeper');
    expect(propertiesOf(own, 'kp-kafka', 'server.properties')).toContain('zookeeper.connect=zk.internal:2181\n');
  });
});

describe('a streaming job against an existing Spark cluster', () => {
  test('submits to the given master, mounts its checkpoint volume, and waits for nothing of ours', () => {
    const stack = new TerraformStack(Testing.app(), 'job');
    new DockerProvider(stack, 'Docker', {});
    const network = new PlatformNetwork(stack, 'Network', { name: 'net' });
    const cluster = SparkCluster.fromExisting(stack, 'SparkImage', {
      masterUrl: 'spark://spark.internal:7077', checkpointsVolumeName: 'shared-checkpoints', maxExecutorMemoryMiB: 4096, totalCores: 16,
    });
    new SparkStreamingJob(stack, 'Job', { network, cluster, cassandraCredential: { username: 'pipeline', password: 'pipeline-password' }, schemaRegistryCredential: { username: 'reader', password: 'reader-password' }, kafkaCredential: { username: 'stream', password: 'stream-password' }, environment: {}, executorMemoryMiB: 2048, maxCores: 8 });
    const synthesized: { resource: { docker_container: Record<string, { command: string[]; volumes: unknown; image: string; depends_on?: string[] }> } } =
      JSON.parse(Testing.synth(stack, true));
    const [driver] = Object.values(synthesized.resource.docker_container);
    expect(driver.command).toEqual(expect.arrayContaining(['spark://spark.internal:7077', '2048m', 'spark.cores.max=8']));
    expect(driver.volumes).toEqual([{ volume_name: 'shared-checkpoints', container_path: '/checkpoints' }]);
    expect(driver.image).toMatch(/^\$\{docker_image\.[A-Za-z0-9_-]+\.image_id\}$/);
    expect(driver.depends_on ?? []).toEqual([]);
  });
});
