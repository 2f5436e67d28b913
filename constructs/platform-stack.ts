import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { StreamingPlatform, StreamingPlatformProps } from './streaming-platform';
import { TERRAFORM_PROVIDERS } from './versions';

export interface PlatformStackProps extends StreamingPlatformProps {
  /**
   * The Docker engine to deploy to.
   * @default 'unix:///var/run/docker.sock'
   */
  readonly dockerHost?: string;
}

/** A Terraform stack holding one platform, with the outputs a user needs after deploy. */
export class PlatformStack extends TerraformStack {
  public readonly platform: StreamingPlatform;

  constructor(scope: Construct, id: string, props: PlatformStackProps = {}) {
    super(scope, id);
    const registry = props.target?.registry;
    new DockerProvider(this, 'Docker', { host: props.dockerHost ?? 'unix:///var/run/docker.sock', registryAuth: registry ? [registry.providerAuth()] : undefined });
    new RandomProvider(this, 'Random');
    for (const [provider, version] of Object.entries(TERRAFORM_PROVIDERS)) {
      this.addOverride(`terraform.required_providers.${provider}.version`, version);
    }
    const platform = new StreamingPlatform(this, 'Platform', props);
    this.platform = platform;

    // A brought service's host-side address is output only when the user gave it.
    const output = (name: string, value: string | undefined, description: string, sensitive = false): void => {
      if (value !== undefined) new TerraformOutput(this, name, { value, description, sensitive });
    };
    output('airflow_url', platform.airflow.hostUrl, 'Airflow UI and REST API');
    output('airflow_admin_user', platform.airflow.adminUsername, 'Airflow admin user');
    output('airflow_admin_password', platform.airflow.adminPassword, "Airflow admin password: 'cdktf output --outputs-file' or 'terraform output -raw'", true);
    output('kafka_bootstrap_servers', platform.kafka.hostBootstrapServers, 'Kafka bootstrap servers from the Docker host');
    // With the host's address: the logins (SASL/SCRAM-SHA-512) are for clients on the Docker host.
    const kafkaLogin = platform.kafka.hostBootstrapServers === undefined ? undefined : platform.kafka;
    output('kafka_producer_user', kafkaLogin?.credential('producer').username, "Kafka user of the DAG's producer (writes the users and dead-letter topics)");
    output('kafka_producer_password', kafkaLogin?.credential('producer').password, "Its password: 'terraform output -raw kafka_producer_password'", true);
    output('kafka_monitoring_user', kafkaLogin?.credential('monitoring').username, 'Kafka read-only user (npm run status, verify)');
    output('kafka_monitoring_password', kafkaLogin?.credential('monitoring').password, "Its password: 'terraform output -raw kafka_monitoring_password'", true);
    output('kafka_admin_user', kafkaLogin?.credential('admin').username, 'Kafka super user (replay, administration)');
    output('kafka_admin_password', kafkaLogin?.credential('admin').password, "Its password: 'terraform output -raw kafka_admin_password'", true);
    output('schema_registry_url', platform.schemaRegistry.hostUrl, 'Schema Registry REST API');
    // With the host's URL: the logins are for clients on the Docker host (replay, the tests, the benchmark).
    const registryLogin = platform.schemaRegistry.hostUrl === undefined ? undefined : platform.schemaRegistry;
    output('schema_registry_user', registryLogin?.credential('reader').username, 'Schema Registry read-only user');
    output('schema_registry_password', registryLogin?.credential('reader').password, "Its password: 'terraform output -raw schema_registry_password'", true);
    output('schema_registry_writer_user', registryLogin?.credential('writer').username, 'Schema Registry user that may register schemas');
    output('schema_registry_writer_password', registryLogin?.credential('writer').password, "Its password: 'terraform output -raw schema_registry_writer_password'", true);
    output('control_center_url', platform.controlCenter?.hostUrl, 'Confluent Control Center UI');
    output('spark_master_ui_url', platform.spark.master.hostUiUrl, 'Spark master web UI');
    output('prometheus_url', platform.monitoring?.prometheus.hostUrl, 'Prometheus: UI, alerts, HTTP API');
    output('monitoring_dashboard_url', platform.monitoring?.prometheus.dashboardUrl, "The pipeline's dashboard (a Prometheus console)");
    output('cassandra_contact_point', platform.cassandra.hostContactPoints, 'Cassandra CQL contact point');
    output('cassandra_datacenter', platform.cassandra.datacenter, 'Cassandra local datacenter for drivers');
    output('cassandra_consistency', platform.pipelineEnvironment.PIPELINE_CASSANDRA_CONSISTENCY, 'The consistency level the pipeline reads and writes Cassandra with');
    // With the host's contact point: the logins are for clients on the Docker host.
    const cassandraLogin = platform.cassandra.hostContactPoints === undefined ? undefined : platform.cassandra;
    output('cassandra_user', cassandraLogin?.credential('pipeline').username, "Cassandra role of the pipeline (reads and writes the pipeline's keyspace)");
    output('cassandra_password', cassandraLogin?.credential('pipeline').password, "Its password: 'terraform output -raw cassandra_password'", true);
    output('cassandra_monitoring_user', cassandraLogin?.credential('monitoring').username, "Cassandra's read-only role (npm run status, verify)");
    output('cassandra_monitoring_password', cassandraLogin?.credential('monitoring').password, "Its password: 'terraform output -raw cassandra_monitoring_password'", true);
    output('source_api_url', platform.sourceApi?.hostUrl, 'The local stand-in for randomuser.me, and its /control switches');
    output('postgres_dsn', platform.postgres.hostDsn?.('pipeline'), "PostgreSQL DSN of the pipeline's database, as the pipeline's role", true);
  }
}
