import * as fs from 'fs';
import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { IMAGES, imageReference, JMX_EXPORTER_AGENT, mavenJarPath, PlatformNetwork, PrometheusServer, type PrometheusServerProps } from '../../constructs';
import { JMX_EXPORTER_AGENT_PATH } from '../../constructs/jmx-exporter';
import { type PlanResource, synthPlatform, type SynthesizedPlan } from '../helpers/synth';

const REPO = path.join(__dirname, '..', '..');
const MONITORING = ['kp-node-exporter', 'kp-pipeline-metrics', 'kp-postgres-exporter', 'kp-prometheus'];

const envOf = (plan: SynthesizedPlan, name: string): Record<string, string> =>
  Object.fromEntries(plan.container(name).env.map((e: string) => e.split(/=(.*)/s).slice(0, 2)));
const uploadsOf = (plan: SynthesizedPlan, name: string): string[] => (plan.container(name).upload ?? []).map((u: PlanResource) => u.file);

interface ScrapeConfig {
  job_name: string;
  metrics_path: string;
  static_configs: { targets: string[] }[];
  metric_relabel_configs?: unknown[];
}
/** The scrape jobs of a plan's Prometheus: job → path and targets. */
function scrapeJobs(plan: SynthesizedPlan): Record<string, { path: string; targets: string[] }> {
  const config = JSON.parse(plan.stack.platform.monitoring!.prometheus.configuration) as { scrape_configs: ScrapeConfig[] };
  return Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, { path: j.metrics_path, targets: j.static_configs.flatMap((s) => s.targets) }]));
}

describe('the monitoring, on by default', () => {
  const plan = synthPlatform();

  test('runs Prometheus and its three exporters, each healthy before the deploy goes on', () => {
    for (const name of MONITORING) {
      const c = plan.container(name);
      expect(c.wait).toBe(true);
      expect(c.healthcheck.test.slice(1).join(' ')).toMatch(/\/-\/ready|\/-\/healthy|\/metrics/);
    }
  });

  test('its images are the pinned ones of versions.ts', () => {
    const pulled = Object.values(plan.resourcesOfType('docker_image')).map((i) => i.name);
    expect(pulled).toEqual(expect.arrayContaining([IMAGES.prometheus, IMAGES.nodeExporter, IMAGES.postgresExporter, IMAGES.node].map(imageReference)));
  });

  test('the scrape configuration names every service the platform runs, at the path that serves its figures', () => {
    expect(scrapeJobs(plan)).toEqual({
      prometheus: { path: '/metrics', targets: ['localhost:9090'] },
      zookeeper: { path: '/metrics', targets: ['kp-zookeeper:9404'] },
      kafka: { path: '/metrics', targets: ['kp-kafka:9404'] },
      cassandra: { path: '/metrics', targets: ['kp-cassandra:9404'] },
      'spark-master': { path: '/metrics/master/prometheus/', targets: ['kp-spark-master:8080'] },
      'spark-worker': { path: '/metrics/prometheus/', targets: ['kp-spark-worker-1:8081'] },
      'spark-driver': { path: '/metrics/prometheus/', targets: ['kp-spark-job:4040'] },
      'spark-executors': { path: '/metrics/executors/prometheus', targets: ['kp-spark-job:4040'] },
      pipeline: { path: '/metrics', targets: ['kp-pipeline-metrics:9405'] },
      postgres: { path: '/metrics', targets: ['kp-postgres-exporter:9187'] },
      node: { path: '/metrics', targets: ['kp-node-exporter:9100'] },
    });
    // Every target is a container of the plan, named as a literal: Prometheus waits for none of them.
    const names = plan.containers().map((c) => c.name);
    for (const { targets } of Object.values(scrapeJobs(plan))) for (const target of targets.filter((t) => !t.startsWith('localhost'))) expect(names).toContain(target.split(':')[0]);
    expect(plan.container('kp-prometheus').depends_on ?? []).toEqual([]);
  });

  test('each worker is a target of its own', () => {
    expect(scrapeJobs(synthPlatform({ sparkWorkers: 3 }))['spark-worker'].targets).toEqual(['kp-spark-worker-1:8081', 'kp-spark-worker-2:8081', 'kp-spark-worker-3:8081']);
  });

  test('Prometheus gets the configuration, the rules and the dashboard, and stays small', () => {
    const prometheus = plan.container('kp-prometheus');
    const config = prometheus.upload.find((u: PlanResource) => u.file === '/etc/prometheus/prometheus.yml');
    expect(config.content).toBe(plan.stack.platform.monitoring!.prometheus.configuration);
    expect(JSON.parse(config.content as string)).toEqual(expect.objectContaining({
      global: { scrape_interval: '15s', scrape_timeout: '10s', evaluation_interval: '15s' },
      rule_files: ['/etc/prometheus/rules/pipeline.rules.yml', '/etc/prometheus/rules/platform.rules.yml'],
    }));
    expect(uploadsOf(plan, 'kp-prometheus').sort()).toEqual([
      '/etc/prometheus/consoles/pipeline.html', '/etc/prometheus/prometheus.yml', '/etc/prometheus/rules/pipeline.rules.yml', '/etc/prometheus/rules/platform.rules.yml',
    ]);
    expect(prometheus.command).toEqual(expect.arrayContaining([
      '--storage.tsdb.retention.time=24h', '--storage.tsdb.retention.size=512MB',
      '--web.console.libraries=/usr/share/prometheus/console_libraries', '--web.console.templates=/etc/prometheus/consoles',
    ]));
    expect(prometheus.memory).toBe(384);
    expect(envOf(plan, 'kp-prometheus')).toEqual({ GOMEMLIMIT: '307MiB' });
    expect(prometheus.ports).toEqual([expect.objectContaining({ internal: 9090, external: 9091, ip: '127.0.0.1' })]);
    expect(prometheus.volumes).toEqual([expect.objectContaining({ container_path: '/prometheus' })]);
  });

  test("Spark's gauges given twice and timers' details are dropped at scrape, and only Spark's", () => {
    const config = JSON.parse(plan.stack.platform.monitoring!.prometheus.configuration) as { scrape_configs: ScrapeConfig[] };
    expect(config.scrape_configs.filter((j) => j.metric_relabel_configs).map((j) => j.job_name).sort()).toEqual(['spark-driver', 'spark-executors', 'spark-master', 'spark-worker']);
  });

  test('Kafka and ZooKeeper start the JMX exporter in the server alone, not in every java command of the container', () => {
    for (const [name, rules] of [['kp-kafka', 'kafka'], ['kp-zookeeper', 'zookeeper']]) {
      const c = plan.container(name);
      // The broker's options go on with its JAAS file (constructs/kafka-broker.ts).
      expect(c.command.slice(0, 2)).toEqual(['env', expect.stringMatching(new RegExp(`^KAFKA_OPTS=-javaagent:${JMX_EXPORTER_AGENT_PATH}=9404:/opt/jmx-exporter/${rules}\\.yaml( |$)`))]);
      expect(envOf(plan, name).KAFKA_OPTS).toBeUndefined();
      expect(uploadsOf(plan, name)).toContain(`/opt/jmx-exporter/${rules}.yaml`);
    }
    expect(envOf(plan, 'kp-cassandra').JVM_EXTRA_OPTS?.split(' ')).toContain(`-javaagent:${JMX_EXPORTER_AGENT_PATH}=9404:/opt/jmx-exporter/cassandra.yaml`);
    expect(uploadsOf(plan, 'kp-cassandra').filter((file) => file.startsWith('/opt/jmx-exporter/'))).toEqual(['/opt/jmx-exporter/cassandra.yaml']);
  });

  test("the public images get the agent from Maven Central in a derived image, at the path the host-built ones have it", () => {
    const derived = Object.values(plan.resourcesOfType('docker_image')).filter((i) => i.build?.build_args?.JAR_PATH);
    expect(derived.map((i) => i.name).sort()).toEqual([
      `kafka-pipelining/cassandra-jmx-exporter:${IMAGES.cassandra.tag}`,
      `kafka-pipelining/cp-kafka-jmx-exporter:${IMAGES.kafka.tag}`,
      `kafka-pipelining/cp-zookeeper-jmx-exporter:${IMAGES.zookeeper.tag}`,
    ]);
    for (const image of derived) expect(image.build.build_args.JAR_PATH).toBe(mavenJarPath(JMX_EXPORTER_AGENT));
    for (const dockerfile of ['cp-kafka/derived', 'cassandra/derived']) {
      expect(fs.readFileSync(path.join(REPO, 'images', dockerfile, 'Dockerfile'), 'utf8')).toContain(`\${MAVEN_REPOSITORY}/\${JAR_PATH} ${JMX_EXPORTER_AGENT_PATH}`);
    }
    for (const image of ['cp-kafka', 'cassandra']) {
      const dockerfile = fs.readFileSync(path.join(REPO, 'images', image, 'host', 'Dockerfile'), 'utf8');
      expect(dockerfile).toContain(`COPY jmx-exporter/ ${path.dirname(JMX_EXPORTER_AGENT_PATH)}/`);
      expect(fs.readFileSync(path.join(REPO, 'images', image, 'build.sh'), 'utf8')).toContain('jmx_exporter_agent "$ctx/jmx-exporter"');
    }
  });

  test("Spark serves its own figures: the servlet on the master's and workers' UIs, the driver's with executors and streaming metrics", () => {
    expect(envOf(plan, 'kp-spark-master').SPARK_MASTER_OPTS).toContain('-Dspark.metrics.conf.*.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet');
    expect(envOf(plan, 'kp-spark-master').SPARK_MASTER_OPTS).toContain('-Dspark.metrics.conf.master.sink.prometheusServlet.path=/metrics/master/prometheus');
    expect(envOf(plan, 'kp-spark-worker-1').SPARK_WORKER_OPTS).toContain('-Dspark.metrics.conf.*.source.jvm.class=org.apache.spark.metrics.source.JvmSource');
    expect(plan.container('kp-spark-job').command).toEqual(expect.arrayContaining([
      'spark.ui.prometheus.enabled=true', 'spark.sql.streaming.metricsEnabled=true', 'spark.metrics.namespace=users_stream',
    ]));
    // The console and the rules read the streaming query's figures by its name.
    expect(fs.readFileSync(path.join(REPO, 'jobs', 'spark', 'stream_users.py'), 'utf8')).toContain('QUERY_NAME = "users_to_cassandra"');
  });

  test('the pipeline figures read the checkpoints where the driver writes them, read-only', () => {
    expect(plan.container('kp-pipeline-metrics').volumes).toEqual([
      { volume_name: plan.container('kp-spark-job').volumes[0].volume_name, container_path: '/checkpoints', read_only: true },
    ]);
    expect(envOf(plan, 'kp-pipeline-metrics').PIPELINE_CHECKPOINT_DIR).toBe(envOf(plan, 'kp-spark-job').PIPELINE_CHECKPOINT_DIR);
    expect(uploadsOf(plan, 'kp-pipeline-metrics')).toEqual(['/opt/kafka-pipelining/pipeline-metrics.js']);
  });

  test("the node exporter sees each state volume's filesystem, read-only, under /volumes/<volume>", () => {
    const mounts = plan.container('kp-node-exporter').volumes as PlanResource[];
    expect(mounts.map((m) => m.container_path).sort()).toEqual(
      ['airflow-logs', 'cassandra-data', 'control-center-data', 'kafka-data', 'postgres-data', 'spark-checkpoints', 'zookeeper-data', 'zookeeper-log'].map((v) => `/volumes/kp-${v}`),
    );
    for (const m of mounts) expect(m.read_only).toBe(true);
  });

  test("the PostgreSQL exporter reads the server as the monitoring role (pg_monitor), from the maintenance database, with its generated password and no TLS", () => {
    const env = envOf(plan, 'kp-postgres-exporter');
    expect(env.DATA_SOURCE_URI).toMatch(/^\$\{docker_container\.[A-Za-z0-9_]+\.name\}:5432\/postgres\?sslmode=disable$/);
    expect(env.DATA_SOURCE_USER).toBe('monitoring');
    expect(env.DATA_SOURCE_PASS).toMatch(/^\$\{random_password\.Platform_Postgres_MonitoringPassword_[A-Za-z0-9_]+\.result\}$/);
    expect(env.DATA_SOURCE_NAME).toBeUndefined();
  });
});

describe('monitoring: false', () => {
  const plan = synthPlatform({ monitoring: false });

  test('runs none of it, outputs none of it, and the services start as they would without it', () => {
    const names = plan.containers().map((c) => c.name);
    for (const name of MONITORING) expect(names).not.toContain(name);
    expect(plan.json.output.prometheus_url).toBeUndefined();
    expect(plan.json.output.monitoring_dashboard_url).toBeUndefined();
    // No agent: the broker's options are its JAAS file's alone.
    expect(plan.container('kp-kafka').command).toEqual([
      'env', 'KAFKA_OPTS=-Djava.security.auth.login.config=/var/lib/kafka-pipelining/secrets/broker-jaas.conf -Dzookeeper.sasl.client=false',
      'kafka-server-start', '/etc/kafka-pipelining/server.properties',
    ]);
    expect(plan.container('kp-zookeeper').command).toEqual(['zookeeper-server-start', '/etc/kafka-pipelining/zookeeper.properties']);
    expect(envOf(plan, 'kp-cassandra').JVM_EXTRA_OPTS).not.toContain('javaagent');
    expect(envOf(plan, 'kp-spark-master').SPARK_MASTER_OPTS).toBeUndefined();
    expect(plan.container('kp-spark-job').command.join(' ')).not.toContain('prometheus');
    expect(Object.values(plan.resourcesOfType('docker_image')).filter((i) => i.build?.build_args?.JAR_PATH)).toEqual([]);
  });

  test('its settings are refused, naming the prop', () => {
    expect(() => synthPlatform({ monitoring: false, ports: { prometheus: 9999 } })).toThrow(
      'ports.prometheus is for the monitoring, which does not run when monitoring is false: leave it unset',
    );
    expect(() => synthPlatform({ monitoring: false, memoryMiB: { prometheus: 512 } })).toThrow('memoryMiB.prometheus is for the monitoring');
  });
});

describe('monitoring settings', () => {
  test("the platform's names for Prometheus' port and memory", () => {
    const custom = synthPlatform({ ports: { prometheus: 19091 }, memoryMiB: { prometheus: 512 } });
    expect(custom.container('kp-prometheus').ports[0].external).toBe(19091);
    expect(custom.container('kp-prometheus').memory).toBe(512);
    expect(() => synthPlatform({ ports: { prometheus: 9090 } })).toThrow('ports.prometheus and ports.sparkMasterUi both publish host port 9090');
    expect(() => synthPlatform({ memoryMiB: { prometheus: 64 } })).toThrow(/^memoryMiB\.prometheus /);
  });

  test('PrometheusServer refuses what would not scrape well, naming the prop', () => {
    const server = (props: Partial<PrometheusServerProps>) => () => {
      const stack = new TerraformStack(Testing.app(), 's');
      new PrometheusServer(stack, 'P', { network: new PlatformNetwork(stack, 'N', { name: 'n' }), name: 'p', endpoints: [], ...props });
    };
    expect(server({ scrapeIntervalSeconds: 1 })).toThrow('scrapeIntervalSeconds must be an integer between 5 and 300, got 1');
    expect(server({ retentionHours: 0 })).toThrow('retentionHours must be an integer between 1 and 720, got 0');
    expect(server({ endpoints: [{ job: 'x', address: 'a:1', path: '/m' }, { job: 'x', address: 'b:1', path: '/n' }] })).toThrow(
      "endpoints of job 'x' must share one path, got '/m' and '/n'",
    );
    expect(server({ endpoints: [{ job: 'x', address: 'a:1', path: '/m' }, { job: 'x', address: 'a:1', path: '/m' }] })).toThrow("endpoints name a:1 twice in job 'x'");
  });
});
