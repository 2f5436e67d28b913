import { IMAGES, imageReference } from '../../constructs';
import { addressOf, dependenciesOf, type PlanResource, synthPlatform } from '../helpers/synth';

// Synthesizing bundles the bootstrap job and hashes every shipped file: do it once per configuration.
const plan = synthPlatform();
const longRunning = () => plan.containers().filter((c) => c.must_run !== false);
const oneShot = () => plan.containers().filter((c) => c.must_run === false);

describe('StreamingPlatform, default props', () => {
  test('snapshot of the whole synthesized stack', () => {
    expect(plan.json).toMatchSnapshot();
  });

  test('runs every service of the platform', () => {
    expect(plan.containers().map((c) => c.name).sort()).toEqual([
      'kp-airflow-api-server',
      'kp-airflow-dag-processor',
      'kp-airflow-fernet-key',
      'kp-airflow-init',
      'kp-airflow-scheduler',
      'kp-bootstrap',
      'kp-cassandra',
      'kp-cassandra-roles',
      'kp-control-center',
      'kp-kafka',
      'kp-kafka-access',
      'kp-kafka-client-access',
      'kp-node-exporter',
      'kp-pipeline-metrics',
      'kp-postgres',
      'kp-postgres-exporter',
      'kp-prometheus',
      'kp-schema-registry',
      'kp-spark-job',
      'kp-spark-master',
      'kp-spark-worker-1',
      'kp-zookeeper',
    ]);
  });

  test('every pulled image is a pinned tag from versions.ts, never latest', () => {
    const pinned = new Set(Object.values(IMAGES).map(imageReference));
    const images = Object.values(plan.resourcesOfType('docker_image'));
    const pulled = images.filter((i) => !i.build);
    const built = images.filter((i) => i.build);
    expect(pulled.length).toBeGreaterThanOrEqual(8);
    for (const image of pulled) {
      expect(pinned.has(image.name)).toBe(true);
      expect(image.keep_locally).toBe(true);
    }
    for (const image of [...pulled, ...built]) {
      expect(image.name).toMatch(/:[A-Za-z0-9][A-Za-z0-9._-]*$/);
      expect(image.name).not.toMatch(/:latest$/);
    }
    // Derived images build FROM a pinned base and are tagged with its version: the DAG's packages, Spark's
    // connectors, and the JMX exporter's agent for the monitoring.
    expect(built.map((i) => i.build.build_args.BASE_IMAGE).sort()).toEqual(
      [IMAGES.airflow, IMAGES.spark, IMAGES.zookeeper, IMAGES.kafka, IMAGES.cassandra].map(imageReference).sort(),
    );
    for (const image of built) expect(image.name.split(':').pop()).toBe(image.build.build_args.BASE_IMAGE.split(':').pop());
  });

  test('every container runs an image resource of the plan, not a hand-typed reference', () => {
    for (const c of plan.containers()) expect(c.image).toMatch(/^\$\{docker_image\.[A-Za-z0-9_-]+\.image_id\}$/);
  });

  test('every long-running container has a real health check and is created only once healthy', () => {
    expect(longRunning()).toHaveLength(16);
    for (const c of longRunning()) {
      expect(c.healthcheck.test[0]).toBe('CMD');
      expect(c.healthcheck.test.length).toBeGreaterThan(1);
      expect(c.wait).toBe(true);
      expect(c.wait_timeout).toBeGreaterThanOrEqual(180);
      expect(c.restart).toBe('unless-stopped');
    }
  });

  test('health checks ask the service, not the port', () => {
    const check = (name: string) => plan.container(name).healthcheck.test.slice(1).join(' ');
    expect(check('kp-zookeeper')).toContain('srvr');
    expect(check('kp-kafka')).toBe('bash /opt/kafka-pipelining/kafka-health.sh 29092 /var/lib/kafka-pipelining/secrets/client.properties');
    expect(check('kp-schema-registry')).toContain('/subjects');
    expect(check('kp-postgres')).toContain('pg_isready');
    expect(check('kp-cassandra')).toBe('bash /opt/kafka-pipelining/cassandra-health.sh /opt/kafka-pipelining/cassandra-health.credentials');
    expect(check('kp-airflow-api-server')).toContain('/api/v2/monitor/health');
    expect(check('kp-airflow-scheduler')).toContain(':8974/health');
    // Its job's heartbeat in Airflow's database, without importing Airflow (airflow jobs check took 3 s of CPU a check).
    expect(check('kp-airflow-dag-processor')).toBe('python /opt/kafka-pipelining/airflow_job_health.py DagProcessorJob 30 --parsed');
    expect(check('kp-spark-worker-1')).toContain('worker http://${docker_container.');
  });

  test('the checks on the deploy\'s longest chain run every 2 or 3 s, and start no JVM but Kafka\'s one login a start', () => {
    // Each of these starts once the one before it passes a check: a check's interval is time the deploy waits.
    const timing = (name: string) => {
      const { interval, retries } = plan.container(name).healthcheck;
      return { interval, retries };
    };
    expect(timing('kp-zookeeper')).toEqual({ interval: '2s', retries: 30 });
    expect(timing('kp-kafka')).toEqual({ interval: '3s', retries: 50 });
    expect(timing('kp-schema-registry')).toEqual({ interval: '2s', retries: 60 });
    expect(timing('kp-airflow-api-server')).toEqual({ interval: '3s', retries: 60 });
    expect(timing('kp-airflow-scheduler')).toEqual({ interval: '3s', retries: 40 });
    expect(timing('kp-spark-job')).toEqual({ interval: '3s', retries: 40 });
  });

  test('the JVMs that serve a few calls start with the client compiler alone; the data path keeps the JVM\'s defaults', () => {
    const env = (name: string) => plan.container(name).env as string[];
    const light = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
    expect(env('kp-schema-registry')).toContain(`SCHEMA_REGISTRY_JVM_PERFORMANCE_OPTS=${light} -Djava.awt.headless=true`);
    for (const name of ['kp-spark-master', 'kp-spark-worker-1']) expect(env(name)).toContain(`SPARK_DAEMON_JAVA_OPTS=${light}`);
    // The executors (started by the worker with the job's options), the driver, the brokers and Cassandra do not.
    const command = plan.container('kp-spark-job').command as string[];
    expect(command.join(' ')).not.toContain('TieredStopAtLevel');
    for (const name of ['kp-kafka', 'kp-cassandra']) expect(JSON.stringify(plan.container(name))).not.toContain('TieredStopAtLevel');
  });

  test('the dag-processor alone is told to parse an unchanged DAG file every 600 s (its files change only with the container)', () => {
    const setting = 'AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=600';
    expect(plan.container('kp-airflow-dag-processor').env).toContain(setting);
    const others = plan.containers().filter((c) => c.name !== 'kp-airflow-dag-processor' && (c.env ?? []).some((e: string) => e.startsWith('AIRFLOW__DAG_PROCESSOR__')));
    expect(others.map((c) => c.name)).toEqual([]);
  });

  test('one-shot containers run to completion and fail the deploy unless they exit 0, with their last lines', () => {
    expect(oneShot().map((c) => c.name).sort()).toEqual(['kp-airflow-fernet-key', 'kp-airflow-init', 'kp-bootstrap', 'kp-cassandra-roles', 'kp-kafka-access', 'kp-kafka-client-access']);
    for (const c of oneShot()) {
      expect(c.attach).toBe(true);
      expect(c.logs).toBe(true);
      expect(c.restart).toBe('no');
      expect(c.lifecycle.postcondition[0].condition).toBe('${self.exit_code == 0}');
      // Why it failed is in its output (the bootstrap job names the field of an incompatible schema).
      const message: string = c.lifecycle.postcondition[0].error_message;
      expect(message.startsWith(`${c.name} exited non-zero`)).toBe(true);
      expect(message).toContain('its last lines:\n${join("\\n", slice(split("\\n", trimspace(replace(self.container_logs');
    }
  });

  test('every container has a memory limit and no swap beyond it', () => {
    for (const c of plan.containers()) {
      expect(c.memory).toBeGreaterThanOrEqual(128);
      expect(c.memory_swap).toBe(c.memory);
    }
  });

  test.each([
    ['kp-kafka-access', ['kp-zookeeper']],
    ['kp-kafka', ['kp-zookeeper', 'kp-kafka-access']],
    ['kp-kafka-client-access', ['kp-zookeeper']],
    ['kp-schema-registry', ['kp-kafka', 'kp-kafka-client-access']],
    ['kp-control-center', ['kp-kafka', 'kp-zookeeper', 'kp-schema-registry']],
    ['kp-airflow-init', ['kp-postgres']],
    ['kp-airflow-api-server', ['kp-airflow-init', 'kp-postgres']],
    ['kp-airflow-dag-processor', ['kp-airflow-init', 'kp-postgres']],
    ['kp-airflow-scheduler', ['kp-airflow-api-server', 'kp-bootstrap']],
    ['kp-spark-worker-1', ['kp-spark-master']],
    ['kp-spark-job', ['kp-spark-master', 'kp-spark-worker-1', 'kp-cassandra-roles']],
    ['kp-cassandra-roles', ['kp-cassandra']],
    ['kp-bootstrap', ['kp-kafka', 'kp-schema-registry', 'kp-cassandra', 'kp-cassandra-roles', 'kp-postgres']],
  ])('%s is created after %j', (name, upstream) => {
    const deps = dependenciesOf(plan, name);
    for (const u of upstream) expect(deps).toContain(addressOf(plan, u));
  });

  test('the Spark job starts its SparkContext beside the bootstrap, not after it: its driver waits for the subject the bootstrap registers last', () => {
    expect(dependenciesOf(plan, 'kp-spark-job')).not.toContain(addressOf(plan, 'kp-bootstrap'));
  });

  test('the scheduler starts beside the dag-processor, not after it: neither waits for the other', () => {
    expect(dependenciesOf(plan, 'kp-airflow-scheduler')).not.toContain(addressOf(plan, 'kp-airflow-dag-processor'));
    expect(dependenciesOf(plan, 'kp-airflow-dag-processor')).not.toContain(addressOf(plan, 'kp-airflow-scheduler'));
  });

  test('the dag-processor parses while the API server and the bootstrap start: only the scheduler, whose tasks need them, waits', () => {
    for (const upstream of ['kp-airflow-api-server', 'kp-bootstrap']) {
      expect(dependenciesOf(plan, 'kp-airflow-dag-processor')).not.toContain(addressOf(plan, upstream));
    }
    // It runs Airflow's execution API in its own process; the scheduler's tasks call the API server's.
    const executionApi = (name: string) => plan.container(name).env.find((e: string) => e.startsWith('AIRFLOW__CORE__EXECUTION_API_SERVER_URL='));
    expect(executionApi('kp-airflow-dag-processor')).toBeUndefined();
    expect(executionApi('kp-airflow-scheduler')).toMatch(/^AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http:\/\/\$\{docker_container\.[A-Za-z0-9_]+\.name\}:8080\/execution\/$/);
  });

  test('every published port binds to 127.0.0.1', () => {
    const ports = plan.containers().flatMap((c) => c.ports ?? []);
    expect(ports.map((p) => p.external).sort()).toEqual([5432, 8080, 8081, 9021, 9042, 9090, 9091, 9092]);
    for (const p of ports) expect(p.ip).toBe('127.0.0.1');
  });

  test('services reach each other by container name, taken from the upstream construct', () => {
    const env = (name: string) => Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
    const bootstrap = env('kp-bootstrap');
    // Through the broker's readiness gate (kafka-auth.test.ts), whose input is the broker container's name.
    const [[gate, { input }]] = Object.entries(plan.resourcesOfType('terraform_data'));
    expect(input.bootstrapServers).toBe(`\${${addressOf(plan, 'kp-kafka')}.name}:29092`);
    expect(bootstrap.PIPELINE_KAFKA_BOOTSTRAP_SERVERS).toBe(`\${terraform_data.${gate}.output["bootstrapServers"]}`);
    expect(bootstrap.PIPELINE_SCHEMA_REGISTRY_URL).toBe(`http://\${${addressOf(plan, 'kp-schema-registry')}.name}:8081`);
    expect(bootstrap.PIPELINE_CASSANDRA_CONTACT_POINTS).toBe(`\${${addressOf(plan, 'kp-cassandra')}.name}:9042`);
    expect(bootstrap.PIPELINE_PG_DSN).toMatch(new RegExp(`@\\$\\{${addressOf(plan, 'kp-postgres').replace('.', '\\.')}\\.name\\}:5432/pipeline$`));
    const kafkaConfig: string = plan.container('kp-kafka').upload.find((u: PlanResource) => u.file.endsWith('server.properties')).content;
    expect(kafkaConfig).toContain(`zookeeper.connect=\${${addressOf(plan, 'kp-zookeeper')}.name}:2181`);
    expect(kafkaConfig).toContain('advertised.listeners=INTERNAL://kp-kafka:29092,EXTERNAL://localhost:9092');
  });

  test('no secret is a literal: every secret-bearing value references a generated secret', () => {
    const secretish = /(PASSWORD|SECRET|FERNET_KEY|SQL_ALCHEMY_CONN|_DSN)=/;
    const values = plan.containers().flatMap((c) => (c.env as string[]).filter((e) => secretish.test(e)));
    expect(values.length).toBeGreaterThanOrEqual(8);
    for (const entry of values) expect(entry).toMatch(/\$\{random_(password|bytes)\.[A-Za-z0-9_-]+\.(result|base64)\}/);
    // No credential pair of the tutorial's kind, nor a password-like literal in any URL.
    expect(plan.text).not.toMatch(/:\/\/[A-Za-z0-9_]+:(?!\$\{)[^@\s"]+@/);
    expect(plan.text).not.toMatch(/airflow:airflow|admin:admin/);
    for (const password of Object.values(plan.resourcesOfType('random_password'))) expect(password.special).toBe(false);
  });

  test('secrets are sensitive outputs; what a user needs after deploy is an output', () => {
    const outputs = plan.json.output;
    expect(Object.keys(outputs).sort()).toEqual([
      'airflow_admin_password', 'airflow_admin_user', 'airflow_url', 'cassandra_consistency', 'cassandra_contact_point', 'cassandra_datacenter',
      'cassandra_monitoring_password', 'cassandra_monitoring_user', 'cassandra_password', 'cassandra_user',
      'control_center_url', 'kafka_admin_password', 'kafka_admin_user', 'kafka_bootstrap_servers', 'kafka_monitoring_password', 'kafka_monitoring_user',
      'kafka_producer_password', 'kafka_producer_user', 'monitoring_dashboard_url', 'postgres_dsn', 'prometheus_url', 'schema_registry_password',
      'schema_registry_url', 'schema_registry_user', 'schema_registry_writer_password', 'schema_registry_writer_user',
      'spark_master_ui_url',
    ]);
    for (const name of ['kafka_admin_password', 'kafka_monitoring_password', 'kafka_producer_password']) expect(outputs[name].sensitive).toBe(true);
    expect(outputs.airflow_admin_password.sensitive).toBe(true);
    expect(outputs.postgres_dsn.sensitive).toBe(true);
    expect(outputs.cassandra_password.sensitive).toBe(true);
    expect(outputs.cassandra_monitoring_password.sensitive).toBe(true);
    expect([outputs.cassandra_user.value, outputs.cassandra_monitoring_user.value]).toEqual(['pipeline', 'monitoring']);
    expect(outputs.airflow_url.value).toBe('http://127.0.0.1:8080');
    expect(outputs.kafka_bootstrap_servers.value).toBe('localhost:9092');
    expect(outputs.prometheus_url.value).toBe('http://127.0.0.1:9091');
    expect(outputs.monitoring_dashboard_url.value).toBe('http://127.0.0.1:9091/consoles/pipeline.html');
  });

  test.each([
    ['kp-zookeeper', ['/var/lib/zookeeper/data', '/var/lib/zookeeper/log']],
    // And the broker's secrets volume, which the kafka-access job writes (read-only here).
    ['kp-kafka', ['/var/lib/kafka/data', '/var/lib/kafka-pipelining/secrets']],
    ['kp-kafka-access', ['/var/lib/kafka-pipelining/secrets']],
    ['kp-postgres', ['/var/lib/postgresql/data']],
    ['kp-cassandra', ['/var/lib/cassandra']],
    ['kp-control-center', ['/var/lib/confluent-control-center']],
    ['kp-spark-job', ['/checkpoints']],
    ['kp-airflow-fernet-key', ['/opt/airflow/fernet']],
    ['kp-airflow-init', ['/opt/airflow/fernet', '/opt/airflow/logs']],
    ['kp-airflow-api-server', ['/opt/airflow/fernet', '/opt/airflow/logs']],
    ['kp-airflow-scheduler', ['/opt/airflow/fernet', '/opt/airflow/logs']],
    ['kp-airflow-dag-processor', ['/opt/airflow/fernet', '/opt/airflow/logs']],
    ['kp-prometheus', ['/prometheus']],
  ])('%s keeps its state on named volumes at %j', (name, paths) => {
    const volumes = plan.container(name).volumes;
    expect(volumes.map((v: PlanResource) => v.container_path).sort()).toEqual([...paths].sort());
    for (const v of volumes) expect(v.volume_name).toMatch(/^\$\{docker_volume\.[A-Za-z0-9_-]+\.name\}$/);
  });

  test('the pipeline code is shipped into the containers that run it', () => {
    const files = (name: string) => plan.container(name).upload.map((u: PlanResource) => u.file);
    expect(files('kp-airflow-scheduler')).toEqual(
      expect.arrayContaining(['/opt/airflow/dags/randomuser_pipeline.py', '/opt/airflow/dags/pipeline/transform.py', '/opt/airflow/dags/.airflowignore']),
    );
    // And the dag-processor its health check script.
    expect(files('kp-airflow-dag-processor')).toEqual([...files('kp-airflow-scheduler'), '/opt/kafka-pipelining/airflow_job_health.py']);
    expect(files('kp-spark-job')).toEqual(expect.arrayContaining(['/opt/kafka-pipelining/jobs/spark/stream_users.py']));
    expect(files('kp-bootstrap')).toEqual(['/opt/kafka-pipelining/job/bootstrap.js', '/opt/kafka-pipelining/job/schemas/user.avsc']);
    for (const upload of plan.containers().flatMap((c) => c.upload ?? [])) {
      // Local files travel as assets with a content hash; generated configs as content.
      expect(Boolean(upload.content) !== Boolean(upload.source && upload.source_hash)).toBe(true);
    }
  });
});

describe('StreamingPlatform, non-default props', () => {
  test("bindAddress 0.0.0.0, with the risk accepted, publishes every port on all interfaces but the Spark master's UI (no login), on loopback", () => {
    const open = synthPlatform({ bindAddress: '0.0.0.0', acceptUnencryptedNetworkAccess: true });
    const ports = open.containers().flatMap((c) => (c.ports ?? []).map((p: { ip: string }) => ({ name: c.name as string, ip: p.ip })));
    expect(ports.length).toBe(8);
    for (const p of ports) expect(p).toEqual({ name: p.name, ip: p.name === 'kp-spark-master' ? '127.0.0.1' : '0.0.0.0' });
    expect(open.json.output.spark_master_ui_url.value).toBe('http://127.0.0.1:9090');
    expect(open.json.output.airflow_url.value).toBe('http://localhost:8080');
  });

  test('controlCenter false leaves Control Center out entirely', () => {
    const without = synthPlatform({ controlCenter: false });
    expect(without.containers().map((c) => c.name)).not.toContain('kp-control-center');
    expect(without.json.output.control_center_url).toBeUndefined();
    expect(Object.values(without.resourcesOfType('docker_image')).map((i) => i.name)).not.toContain(imageReference(IMAGES.controlCenter));
  });

  test('sparkWorkers 3 runs three workers, each after the master, and the job after all of them', () => {
    const three = synthPlatform({ sparkWorkers: 3, namePrefix: 'big' });
    const workers = three.containers().filter((c) => /^big-spark-worker-\d$/.test(c.name));
    expect(workers.map((w) => w.name).sort()).toEqual(['big-spark-worker-1', 'big-spark-worker-2', 'big-spark-worker-3']);
    for (const w of workers) expect(dependenciesOf(three, w.name)).toContain(addressOf(three, 'big-spark-master'));
    const jobDeps = dependenciesOf(three, 'big-spark-job');
    for (const w of workers) expect(jobDeps).toContain(addressOf(three, w.name));
    // No cap on the job's cores: a worker added later takes executors without restarting the job.
    expect((three.container('big-spark-job').command as string[]).filter((arg) => arg.startsWith('spark.cores.max'))).toEqual([]);
    expect(synthPlatform({ sparkWorkers: 1 }).container('kp-spark-job').command).toEqual(three.container('big-spark-job').command.map((arg: string) => arg.replace(/big-/g, 'kp-')));
  });

  test('retainVolumes keeps data out of Terraform, so destroy leaves it', () => {
    const kept = synthPlatform({ retainVolumes: true });
    expect(kept.resourcesOfType('docker_volume')).toEqual({});
    expect(kept.container('kp-kafka').volumes[0].volume_name).toBe('kp-kafka-data');
  });

  test('host ports and memory limits follow their props', () => {
    const custom = synthPlatform({ ports: { airflow: 18080, kafka: 19092 }, memoryMiB: { cassandra: 4096 } });
    expect(custom.container('kp-airflow-api-server').ports[0]).toEqual(expect.objectContaining({ internal: 8080, external: 18080 }));
    const kafka = custom.container('kp-kafka');
    expect(kafka.ports[0]).toEqual(expect.objectContaining({ internal: 9092, external: 19092 }));
    expect(kafka.upload.find((u: PlanResource) => u.file.endsWith('server.properties')).content).toContain('EXTERNAL://localhost:19092');
    expect(custom.container('kp-cassandra').memory).toBe(4096);
    expect(custom.container('kp-cassandra').env).toContain('MAX_HEAP_SIZE=2048M');
  });
});

describe('StreamingPlatform pipeline settings', () => {
  test('the Spark job runs with the benchmarked settings unless told otherwise', () => {
    expect(plan.container('kp-spark-job').env).toEqual(expect.arrayContaining([
      'PIPELINE_TRIGGER_SECONDS=1', 'PIPELINE_MAX_OFFSETS_PER_TRIGGER=50000', 'PIPELINE_CASSANDRA_CONCURRENT_WRITES=64',
    ]));
    const tuned = synthPlatform({ pipeline: { triggerSeconds: 0.5, maxOffsetsPerTrigger: 200, cassandraConcurrentWrites: 8, schedule: 'none', retryDelaySeconds: 5, maxFieldLength: 250 } });
    expect(tuned.container('kp-spark-job').env).toEqual(expect.arrayContaining([
      'PIPELINE_TRIGGER_SECONDS=0.5', 'PIPELINE_MAX_OFFSETS_PER_TRIGGER=200', 'PIPELINE_CASSANDRA_CONCURRENT_WRITES=8',
    ]));
    expect(tuned.container('kp-airflow-scheduler').env).toEqual(expect.arrayContaining(['PIPELINE_SCHEDULE=none', 'PIPELINE_RETRY_DELAY_SECONDS=5', 'PIPELINE_MAX_FIELD_LENGTH=250']));
    expect(plan.container('kp-airflow-scheduler').env).toContain('PIPELINE_MAX_FIELD_LENGTH=1000');
  });

  test('the driver writes its checkpoint by rename(2) on the raw local file system: no process a step, no checksum files', () => {
    const command = plan.container('kp-spark-job').command as string[];
    const conf = (key: string) => command[command.findIndex((word, i) => word.startsWith(`${key}=`) && command[i - 1] === '--conf')];
    expect(conf('spark.sql.streaming.checkpointFileManagerClass')).toBe(
      'spark.sql.streaming.checkpointFileManagerClass=org.apache.spark.sql.execution.streaming.FileSystemBasedCheckpointFileManager',
    );
    expect(conf('spark.hadoop.fs.file.impl')).toBe('spark.hadoop.fs.file.impl=org.apache.hadoop.fs.RawLocalFileSystem');
  });
});

describe('StreamingPlatform with a local source API', () => {
  const local = synthPlatform({ pipeline: { localSourceApi: true } });

  test('the DAG reads from the stand-in on the platform network, which starts before Airflow', () => {
    const api = local.container('kp-fake-randomuser');
    expect(api.healthcheck.test[0]).toBe('CMD');
    expect(api.ports[0]).toEqual(expect.objectContaining({ internal: 8000, external: 8000, ip: '127.0.0.1' }));
    expect(local.container('kp-airflow-scheduler').env).toContain(`PIPELINE_SOURCE_URL=http://\${${addressOf(local, 'kp-fake-randomuser')}.name}:8000/api/`);
    expect(dependenciesOf(local, 'kp-airflow-scheduler')).toContain(addressOf(local, 'kp-fake-randomuser'));
    expect(local.json.output.source_api_url.value).toBe('http://127.0.0.1:8000');
  });

  test('a source URL and the stand-in exclude each other', () => {
    expect(() => synthPlatform({ pipeline: { localSourceApi: true, sourceUrl: 'http://example.org/api/' } })).toThrow(
      'pipeline.sourceUrl and pipeline.localSourceApi exclude each other: set one',
    );
  });
});
