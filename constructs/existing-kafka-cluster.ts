import { KAFKA_CLIENTS, KafkaClient, KafkaCredential, validateKafkaCredential } from './kafka-acls';
import type { IKafkaCluster } from './kafka-cluster';
import { validateAddresses } from './validation';

/** The logins of a brought cluster, one per purpose; each defaults to `pipeline`, which then needs its permissions too. */
export interface ExistingKafkaCredentials {
  /** The login every client uses that is not given one of its own. */
  readonly pipeline: KafkaCredential;
  /** The DAG's producer: writes the users and dead-letter topics. @default - pipeline */
  readonly producer?: KafkaCredential;
  /** The Spark job: reads users (groups `spark-kafka-source-*`), writes the dead-letter topic. @default - pipeline */
  readonly stream?: KafkaCredential;
  /** The bootstrap job: creates and alters both topics. @default - pipeline */
  readonly bootstrap?: KafkaCredential;
  /** Read-only clients (verify, pipeline-metrics, `npm run status`): read both topics. @default - pipeline */
  readonly monitoring?: KafkaCredential;
  /** The schema registry's store (topics `_schemas*`, group `schema-registry*`). @default - pipeline */
  readonly schemaRegistry?: KafkaCredential;
  /** Control Center and operators' tools (replay). @default - pipeline */
  readonly admin?: KafkaCredential;
}

/** A Kafka cluster the platform does not run, given by address: SASL_PLAINTEXT listeners offering SCRAM-SHA-512. */
export interface ExistingKafkaAttributes {
  /** Brokers as `host:port`, reachable from the platform network. */
  readonly bootstrapServers: readonly string[];
  /**
   * Brokers as `host:port` from the Docker host, for the stack's outputs.
   * @default - no `kafka_bootstrap_servers` output
   */
  readonly hostBootstrapServers?: readonly string[];
  /** The logins the platform's clients use. */
  readonly credentials: ExistingKafkaCredentials;
}

/**
 * A cluster that runs elsewhere, for the platform's services and jobs to use (`KafkaCluster.fromExisting`). Its size is
 * unknown here, so it gives no `replicationFactor`: what the platform creates on it has one replica.
 */
export function existingKafkaCluster(attributes: ExistingKafkaAttributes): IKafkaCluster {
  const host = attributes.hostBootstrapServers;
  const given = attributes.credentials;
  const pipeline = validateKafkaCredential('credentials.pipeline', given.pipeline);
  const credentials = Object.fromEntries(KAFKA_CLIENTS.map((client) => {
    const own = given[client];
    return [client, own ? validateKafkaCredential(`credentials.${client}`, own) : pipeline];
  })) as Record<KafkaClient, KafkaCredential>;
  return {
    bootstrapServers: validateAddresses('bootstrapServers', attributes.bootstrapServers).join(','),
    hostBootstrapServers: host === undefined ? undefined : validateAddresses('hostBootstrapServers', host).join(','),
    credential: (client) => credentials[client],
  };
}
