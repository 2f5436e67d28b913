import { Construct } from 'constructs';
import { DataResource, Token } from 'cdktf';
import { ConfluentService } from './confluent-service';
import { GeneratedSecret } from './generated-secret';
import { HealthCheck } from './health-check';
import { KAFKA_SECRETS_DIRECTORY, KafkaAccess } from './kafka-access';
import {
  KAFKA_CLIENTS, KAFKA_SASL_MECHANISM, KAFKA_SUPER_USERS, KAFKA_USERS, KafkaAclTopics, kafkaAcls, KafkaClient, KafkaCredential,
  saslClientProperties, validateKafkaCredential,
} from './kafka-acls';
import { MetricsEndpoint } from './metrics-endpoint';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps, renderProperties } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { StateVolume } from './state-volume';
import { validateAddresses, validateMemoryMiB, validatePort } from './validation';
import { IZooKeeper } from './zookeeper';
import { IMAGES } from './versions';

/** What a Kafka client needs: where the cluster answers, and a SASL/SCRAM-SHA-512 login per purpose. */
export interface IKafkaCluster {
  /** `host:port[,host:port...]` for clients on the platform network. */
  readonly bootstrapServers: string;
  /**
   * `host:port[,host:port...]` for clients on the Docker host.
   * @default - unknown: nothing on the Docker host is told where Kafka is
   */
  readonly hostBootstrapServers?: string;
  /** The login of `client` (SCRAM-SHA-512 over SASL_PLAINTEXT): pass its password as a secret. */
  credential(client: KafkaClient): KafkaCredential;
}

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

export interface KafkaBrokerProps extends PublishingServiceProps {
  /** The ZooKeeper that holds the cluster's metadata, its SCRAM credentials and its ACLs. */
  readonly zookeeper: IZooKeeper;
  /** The pipeline's topics, which the clients' ACLs name. */
  readonly topics: KafkaAclTopics;
  /**
   * Host port of the listener for clients outside the Docker network.
   * @default 9092
   */
  readonly hostPort?: number;
  /**
   * Host name that clients outside the Docker network use to reach the broker; Kafka advertises it.
   * @default 'localhost'
   */
  readonly advertisedHost?: string;
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 1536
   */
  readonly memoryMiB?: number;
  /**
   * Start the JVM with the JMX exporter's Java agent (rules in constructs/assets/jmx-exporter/kafka.yaml), serving its
   * figures for Prometheus at `metricsEndpoint`.
   * @default false
   */
  readonly prometheusMetrics?: boolean;
}

const INTERNAL_PORT = 29092;
const EXTERNAL_PORT = 9092;

/** The broker's JAAS file and its tools' client properties, on the secrets volume. */
const BROKER_JAAS_FILE = 'broker-jaas.conf';
const CLIENT_PROPERTIES_FILE = 'client.properties';

/**
 * One Kafka broker in ZooKeeper mode with two listeners: INTERNAL for containers on the platform network
 * and EXTERNAL, published on the host, both SASL_PLAINTEXT with SCRAM-SHA-512 (the broker logs in to itself on
 * INTERNAL as `broker`). Every request is authorized (AclAuthorizer, no ACL means denied): each client has a login
 * of its own, with a password generated at deploy time, and ACLs for its job alone (kafka-acls.ts), both applied to
 * ZooKeeper by the kafka-access jobs (KafkaAccess), before any client connects. Single-broker defaults (replication 1) and no topic
 * auto-creation: the bootstrap job creates topics with the partitions it means.
 */
export class KafkaBroker extends Construct implements IKafkaCluster {
  /** A cluster that runs elsewhere, for the platform's services and jobs to use. */
  public static fromExisting(attributes: ExistingKafkaAttributes): IKafkaCluster {
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

  /** Bootstrap servers for containers on the platform network. */
  public readonly bootstrapServers: string;
  /** Bootstrap servers for clients on the Docker host. */
  public readonly hostBootstrapServers: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the broker, with `prometheusMetrics`. */
  public readonly metricsEndpoint?: MetricsEndpoint;
  /** The jobs that write the logins and rules: the broker's own before it starts, the clients' beside its start. */
  public readonly access: KafkaAccess;
  /** Each login's generated password, the broker's own included (deploy-time tokens, sensitive). */
  private readonly passwords: Readonly<Record<KafkaClient | 'broker', string>>;

  constructor(scope: Construct, id: string, props: KafkaBrokerProps) {
    super(scope, id);
    const name = props.name ?? 'kafka';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 1536, 512);
    const hostPort = validatePort('hostPort', props.hostPort ?? EXTERNAL_PORT);
    const advertisedHost = props.advertisedHost ?? 'localhost';
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });
    // Written afresh by the broker's kafka-access job whenever it runs; kept like every volume with retainVolumes (then not a
    // Terraform resource), though nothing in it outlives the next deploy.
    const secrets = new StateVolume(this, 'Secrets', { name: `${name}-secrets`, retain: props.retainVolumes, holdsSecret: true });
    const password = (id: string): string => new GeneratedSecret(this, id).value;
    this.passwords = {
      broker: password('BrokerPassword'),
      producer: password('ProducerPassword'),
      stream: password('StreamPassword'),
      bootstrap: password('BootstrapPassword'),
      monitoring: password('MonitoringPassword'),
      schemaRegistry: password('SchemaRegistryPassword'),
      admin: password('AdminPassword'),
    };
    const own: KafkaCredential = { username: KAFKA_USERS.broker, password: this.passwords.broker };
    this.access = new KafkaAccess(this, 'Access', {
      network: props.network,
      brokerJobName: `${name}-access`,
      clientsJobName: `${name}-client-access`,
      zookeeper: props.zookeeper,
      brokerCredential: own,
      clientCredentials: KAFKA_CLIENTS.map((client) => this.credential(client)),
      acls: kafkaAcls(props.topics),
      brokerFiles: {
        // The KafkaServer section serves every listener, and is the broker's own login on the inter-broker one.
        [BROKER_JAAS_FILE]: `KafkaServer {\n  org.apache.kafka.common.security.scram.ScramLoginModule required\n  username="${own.username}"\n  password="${own.password}";\n};\n`,
        [CLIENT_PROPERTIES_FILE]: renderProperties(saslClientProperties(own)),
      },
      secretsVolume: secrets,
      imageSource: props.imageSource,
    });

    const broker = new ConfluentService(this, 'Broker', {
      name,
      network: props.network,
      image: IMAGES.kafka,
      imageSource: props.imageSource,
      memoryMiB: this.memoryMiB,
      startScript: 'kafka-server-start',
      configFileName: 'server.properties',
      heapOptionsVariable: 'KAFKA_HEAP_OPTS',
      log4jOptionsVariable: 'KAFKA_LOG4J_OPTS',
      properties: {
        'broker.id': 1,
        'zookeeper.connect': props.zookeeper.connectString,
        listeners: `INTERNAL://0.0.0.0:${INTERNAL_PORT},EXTERNAL://0.0.0.0:${EXTERNAL_PORT}`,
        'advertised.listeners': `INTERNAL://${name}:${INTERNAL_PORT},EXTERNAL://${advertisedHost}:${hostPort}`,
        'listener.security.protocol.map': 'INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
        'sasl.enabled.mechanisms': KAFKA_SASL_MECHANISM,
        'sasl.mechanism.inter.broker.protocol': KAFKA_SASL_MECHANISM,
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'allow.everyone.if.no.acl.found': false,
        'super.users': KAFKA_SUPER_USERS.map((user) => `User:${user}`).join(';'),
        'log.dirs': '/var/lib/kafka/data',
        'auto.create.topics.enable': false,
        'num.partitions': 3,
        'default.replication.factor': 1,
        'min.insync.replicas': 1,
        'offsets.topic.replication.factor': 1,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'group.initial.rebalance.delay.ms': 0,
      },
      volumes: [
        { volumeName: data.volumeName, containerPath: '/var/lib/kafka/data' },
        { volumeName: secrets.volumeName, containerPath: KAFKA_SECRETS_DIRECTORY, readOnly: true },
      ],
      ports: [{ containerPort: EXTERNAL_PORT, hostPort, bindAddress: props.bindAddress ?? DEFAULT_BIND_ADDRESS, prop: 'hostPort' }],
      // The JAAS file from the secrets volume, not the environment; ZooKeeper itself takes no SASL (README, "Security").
      serverJavaOptions: {
        variable: 'KAFKA_OPTS',
        options: [`-Djava.security.auth.login.config=${KAFKA_SECRETS_DIRECTORY}/${BROKER_JAAS_FILE}`, '-Dzookeeper.sasl.client=false'],
      },
      dependsOn: [this.access.brokerJob.resource],
      // Answers only when the broker has registered, authenticates and serves requests.
      healthCheck: HealthCheck.command([
        'kafka-broker-api-versions', '--bootstrap-server', `localhost:${INTERNAL_PORT}`, '--command-config', `${KAFKA_SECRETS_DIRECTORY}/${CLIENT_PROPERTIES_FILE}`,
      ], {
        intervalSeconds: 15,
        timeoutSeconds: 30,
        startPeriodSeconds: 30,
        retries: 10,
      }),
      waitTimeoutSeconds: 300,
      jmxExporter: props.prometheusMetrics ? { service: 'kafka', optionsVariable: 'KAFKA_OPTS' } : undefined,
    });
    this.container = broker.container;
    this.metricsEndpoint = broker.metricsEndpoint;
    // Whoever connects logs in with a client's credential and needs its rules: the address is known to Terraform
    // once the broker is healthy and the clients' access job has exited 0, so every consumer waits for both.
    const ready = new DataResource(this, 'Ready', {
      input: { bootstrapServers: `${this.container.name}:${INTERNAL_PORT}` },
      dependsOn: [this.container.resource, this.access.clientsJob.resource],
    });
    this.bootstrapServers = Token.asString(ready.output.lookup('bootstrapServers'));
    this.hostBootstrapServers = `${advertisedHost}:${hostPort}`;
  }

  public credential(client: KafkaClient): KafkaCredential {
    return { username: KAFKA_USERS[client], password: this.passwords[client] };
  }
}
