// The package's public API only: what the constructs share among themselves (container config, properties
// rendering, validators, the Confluent base, the job bundler) stays in their files, unexported here.
export { Airflow, type AirflowProps } from './airflow';
export {
  Cassandra,
  type CassandraClient,
  type CassandraCommitlogSync,
  type CassandraCredential,
  type CassandraProps,
  type ExistingCassandraAttributes,
  type ExistingCassandraCredentials,
  type ICassandraCluster,
} from './cassandra';
export { CassandraRing, type CassandraRingProps } from './cassandra-ring';
export { CassandraRoles, type CassandraRolesProps } from './cassandra-roles';
export { ControlCenter, type ControlCenterProps } from './control-center';
export { DeploymentTarget, type IDeploymentTarget, type RenderedService } from './deployment-target';
export { DerivedImage, type DerivedImageProps } from './derived-image';
export { ImageRegistry, type ImageRegistryProps } from './image-registry';
export { DockerHostTarget } from './docker-host-target';
export { FakeRandomUserApi, type FakeRandomUserApiProps } from './fake-randomuser-api';
export { FernetKey, type FernetKeyProps } from './fernet-key';
export { GeneratedSecret, type GeneratedSecretProps } from './generated-secret';
export { HealthCheck, type HealthCheckOptions, type TcpHealthCheckOptions } from './health-check';
export { ImageSource } from './image-source';
export { type ExistingKafkaAttributes, type ExistingKafkaCredentials } from './existing-kafka-cluster';
export { KafkaBroker, type KafkaBrokerProps } from './kafka-broker';
export {
  KAFKA_CONTROLLER_PLACEMENTS, KAFKA_METADATA_MODES, KafkaCluster, type IKafkaCluster, type KafkaClusterProps, type KafkaControllerPlacement, type KafkaMetadataMode,
} from './kafka-cluster';
export { KafkaController, type KafkaControllerProps } from './kafka-controller';
export { JmxExporter, type JmxExporterProps } from './jmx-exporter';
export { type MetricsEndpoint } from './metrics-endpoint';
export { Monitoring, type MonitoringProps } from './monitoring';
export { NodeExporter, type NodeExporterProps } from './node-exporter';
export { NodeJob, type NodeJobProps } from './node-job';
export { OneShotContainer } from './one-shot-container';
export { PlatformNetwork, type PlatformNetworkProps } from './platform-network';
export { type PlatformServiceProps, type PublishingServiceProps } from './platform-service-props';
export { PipelineMetrics, type PipelineMetricsProps } from './pipeline-metrics';
export { PlatformStack, type PlatformStackProps } from './platform-stack';
export { Postgres, type ExistingPostgresAttributes, type IPostgresDatabase, type PostgresLogin, type PostgresProps } from './postgres';
export { PostgresExporter, type PostgresExporterProps } from './postgres-exporter';
export { PrometheusServer, type PrometheusServerProps } from './prometheus-server';
export {
  SchemaRegistry, type ExistingSchemaRegistryAttributes, type ExistingSchemaRegistryCredentials, type ISchemaRegistry, type SchemaRegistryClient,
  type SchemaRegistryCredential, type SchemaRegistryProps,
} from './schema-registry';
export { ServiceContainer, type ContainerBaseProps, type PublishedPort, type ServiceContainerProps, type ServiceSpec, type VolumeAttachment } from './service-container';
export { ServiceImage, type ServiceImageProps } from './service-image';
export { ShippedFiles, type FileToShip, type ShippedFilesProps } from './shipped-files';
export { SparkCluster, type ExistingSparkClusterAttributes, type ISparkCluster, type SparkClusterProps } from './spark-cluster';
export { SparkImage, type SparkImageProps } from './spark-image';
export { SparkMaster, type SparkMasterProps } from './spark-master';
export { SPARK_SECURITY_PROPERTIES, SparkSecurity, type SparkSecurityProps } from './spark-security';
export { SPARK_JOB_PROPERTIES, SparkStreamingJob, type SparkStreamingJobProps } from './spark-streaming-job';
export { SparkWorker, type SparkWorkerProps } from './spark-worker';
export { StateVolume, type StateVolumeProps } from './state-volume';
export { isSecretVariable, SwarmTarget, type SwarmTargetProps } from './swarm-target';
export { StreamingPlatform, type PipelineSettings, type PlatformMemory, type PlatformPorts, type StreamingPlatformProps } from './streaming-platform';
export { ZooKeeper, type ExistingZooKeeperAttributes, type IZooKeeper, type ZooKeeperProps } from './zookeeper';
// Every pinned version is public: scripts and users read the one catalogue.
export * from './versions';
export { PLATFORM_PROFILES, profileSizes, withProfile, type PlatformProfile, type ProfileSizes } from './platform-profile';
