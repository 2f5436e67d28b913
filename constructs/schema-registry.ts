import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { GeneratedSecret } from './generated-secret';
import { HealthCheck } from './health-check';
import { prefixed, saslClientProperties, SCHEMA_REGISTRY_GROUP, SCHEMAS_TOPIC } from './kafka-acls';
import { IKafkaCluster, replicationFactorOf } from './kafka-cluster';
import { DEFAULT_BIND_ADDRESS, LIGHT_JVM_OPTIONS, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { PropError, validateHttpUrl, type Login, validateLogin, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/**
 * Who calls the registry: the writer registers schemas and sets compatibility (the bootstrap job), the reader only
 * reads them (the DAG's tasks, the Spark job, replay, Control Center, the stack's outputs).
 */
export type SchemaRegistryClient = 'writer' | 'reader';

/** An HTTP basic login to the registry. */
export type SchemaRegistryCredential = Login;

/** What a schema registry client needs: the REST API speaking Confluent's protocol, and a login. */
export interface ISchemaRegistry {
  /** REST URL for containers on the platform network. */
  readonly url: string;
  /**
   * REST URL from the Docker host.
   * @default - unknown
   */
  readonly hostUrl?: string;
  /** The login of `client`: pass its password as a secret. */
  credential(client: SchemaRegistryClient): SchemaRegistryCredential;
}

/** The logins a brought registry takes. */
export interface ExistingSchemaRegistryCredentials {
  /** The login that may register schemas (the bootstrap job). */
  readonly writer: SchemaRegistryCredential;
  /**
   * The login of the clients that only read.
   * @default - the writer's
   */
  readonly reader?: SchemaRegistryCredential;
}

/** A registry speaking the Confluent Schema Registry API that the platform does not run, given by address. */
export interface ExistingSchemaRegistryAttributes {
  /** Its REST URL, reachable from the platform network. */
  readonly url: string;
  /**
   * Its REST URL from the Docker host, for the stack's outputs.
   * @default - no `schema_registry_url` output
   */
  readonly hostUrl?: string;
  /**
   * The logins the platform's clients use. A registry that does not authenticate ignores them, so any name and
   * password do there.
   */
  readonly credentials: ExistingSchemaRegistryCredentials;
}

export interface SchemaRegistryProps extends PublishingServiceProps {
  /** The Kafka cluster whose `_schemas` topic stores the schemas, reached with its `schemaRegistry` login. */
  readonly kafka: IKafkaCluster;
  /**
   * Host port of the REST API.
   * @default 8081
   */
  readonly hostPort?: number;
  /**
   * Memory limit in MiB (the JVM heap is half of it).
   * @default 768
   */
  readonly memoryMiB?: number;
}

const PORT = 8081;
const CONFIG_DIRECTORY = '/etc/kafka-pipelining';
/** The JAAS file Confluent's REST layer reads its login module from (`java.security.auth.login.config`). */
export const SCHEMA_REGISTRY_JAAS_FILE = `${CONFIG_DIRECTORY}/schema-registry.jaas`;
/** Jetty's property file of `user: password,role` lines that the login module checks. */
export const SCHEMA_REGISTRY_PASSWORD_FILE = `${CONFIG_DIRECTORY}/schema-registry.passwords`;
/** The reader's login for the health check's curl. */
const HEALTH_NETRC_FILE = `${CONFIG_DIRECTORY}/schema-registry-health.netrc`;
/** The JAAS section, which Confluent names by `authentication.realm`. */
export const SCHEMA_REGISTRY_REALM = 'SchemaRegistry';
/**
 * Each client's user and role. `readonly` is the role the host-built image lets GET and HEAD alone; Confluent's
 * open-source registry has no per-role permissions, so on the public image both may do everything.
 */
export const SCHEMA_REGISTRY_USERS: Readonly<Record<SchemaRegistryClient, { readonly username: string; readonly role: string }>> = {
  writer: { username: 'writer', role: 'writer' },
  reader: { username: 'reader', role: 'readonly' },
};
/** The container user (appuser in both images): the secret files are its alone. */

/** A login that goes into a Jetty password file, a netrc file, `user:password` settings and URLs as is. */
function validateCredential(prop: string, credential: SchemaRegistryCredential): SchemaRegistryCredential {
  return validateLogin(prop, credential, { pattern: /^[A-Za-z][A-Za-z0-9._-]{0,63}$/, described: 'a letter, then up to 63 letters, digits or ._-' }, 'password, netrc and properties');
}

/**
 * Confluent Schema Registry. Its state lives in Kafka (the `_schemas` topic), so it has no volume;
 * compatibility defaults to BACKWARD so a new schema version can still read old records. Every call, `GET /` and
 * the health check's included, needs an HTTP basic login: a writer and a reader, each with a generated password.
 */
export class SchemaRegistry extends Construct implements ISchemaRegistry {
  /** A registry that runs elsewhere, for the platform's jobs and Control Center to use. */
  public static fromExisting(attributes: ExistingSchemaRegistryAttributes): ISchemaRegistry {
    const url = validateHttpUrl('url', attributes.url);
    if (/^https?:\/\/[^/]*@/.test(url)) throw new PropError('url', 'must not carry a login: give it in credentials');
    const writer = validateCredential('credentials.writer', attributes.credentials.writer);
    const credentials: Record<SchemaRegistryClient, SchemaRegistryCredential> = {
      writer,
      reader: attributes.credentials.reader ? validateCredential('credentials.reader', attributes.credentials.reader) : writer,
    };
    return {
      url,
      hostUrl: attributes.hostUrl === undefined ? undefined : validateHttpUrl('hostUrl', attributes.hostUrl),
      credential: (client) => credentials[client],
    };
  }

  /** REST URL for containers on the platform network. */
  public readonly url: string;
  /** REST URL from the Docker host. */
  public readonly hostUrl: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;
  /** Each client's generated password (deploy-time tokens, sensitive). */
  private readonly passwords: Readonly<Record<SchemaRegistryClient, string>>;

  constructor(scope: Construct, id: string, props: SchemaRegistryProps) {
    super(scope, id);
    const name = props.name ?? 'schema-registry';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 768, 512);
    const hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    this.passwords = {
      writer: new GeneratedSecret(this, 'WriterPassword').value,
      reader: new GeneratedSecret(this, 'ReaderPassword').value,
    };
    const users = (Object.keys(SCHEMA_REGISTRY_USERS) as SchemaRegistryClient[]).map((client) => ({ ...this.credential(client), role: SCHEMA_REGISTRY_USERS[client].role }));
    const reader = this.credential('reader');
    // The passwords in files, not in its environment or command line. Readable by every user of the container (only the
    // registry runs there): uploads are root's, and Docker 20.10 cannot give them to the image's user (it looks the
    // user up by name and fails).
    const secretFile = (file: string, content: string) => ({ file, content, permissions: '0444' });

    this.container = new ConfluentService(this, 'Server', {
      name,
      network: props.network,
      image: IMAGES.schemaRegistry,
      imageSource: props.imageSource,
      memoryMiB: this.memoryMiB,
      startScript: 'schema-registry-start',
      configFileName: 'schema-registry.properties',
      heapOptionsVariable: 'SCHEMA_REGISTRY_HEAP_OPTS',
      log4jOptionsVariable: 'SCHEMA_REGISTRY_LOG4J_OPTS',
      properties: {
        listeners: `http://0.0.0.0:${PORT}`,
        'host.name': name,
        // One URL per broker: the registry reads each entry as protocol://host:port.
        'kafkastore.bootstrap.servers': props.kafka.bootstrapServers.split(',').map((server) => `SASL_PLAINTEXT://${server}`).join(','),
        // The login in the properties file (an upload), not the environment: `docker inspect` does not show it.
        ...prefixed('kafkastore.', saslClientProperties(props.kafka.credential('schemaRegistry'))),
        'kafkastore.topic': SCHEMAS_TOPIC,
        'schema.registry.group.id': SCHEMA_REGISTRY_GROUP,
        // As many copies as the cluster asks for (on the host-built image, Apicurio makes the same: min(3, brokers)).
        'kafkastore.topic.replication.factor': replicationFactorOf(props.kafka),
        'schema.compatibility.level': 'backward',
        // HTTP basic auth on every call, checked by the JAAS login module of the realm's section.
        'authentication.method': 'BASIC',
        'authentication.realm': SCHEMA_REGISTRY_REALM,
        'authentication.roles': users.map((u) => u.role).join(','),
      },
      // The JAAS file's path is no secret; the passwords are in the file it names.
      environment: {
        SCHEMA_REGISTRY_OPTS: `-Djava.security.auth.login.config=${SCHEMA_REGISTRY_JAAS_FILE}`,
        // It answers a few lookups a minute: the client compiler alone and the serial collector start it with 8.0 CPU-seconds
        // instead of 12.6 (medians of three restarts), on the deploy's longest chain.
        SCHEMA_REGISTRY_JVM_PERFORMANCE_OPTS: `${LIGHT_JVM_OPTIONS} -Djava.awt.headless=true`,
      },
      files: [
        secretFile(SCHEMA_REGISTRY_JAAS_FILE, [
          `${SCHEMA_REGISTRY_REALM} {`,
          '  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required',
          `  file="${SCHEMA_REGISTRY_PASSWORD_FILE}"`,
          '  debug="false";',
          '};',
          '',
        ].join('\n')),
        secretFile(SCHEMA_REGISTRY_PASSWORD_FILE, users.map((u) => `${u.username}: ${u.password},${u.role}\n`).join('')),
        secretFile(HEALTH_NETRC_FILE, `machine localhost login ${reader.username} password ${reader.password}\n`),
      ],
      ports: [{ containerPort: PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // 200 only once the registry has read its `_schemas` topic, and only with a login.
      // A curl every 2 s: the bootstrap, on the deploy's longest chain, starts at the first check that passes.
      healthCheck: HealthCheck.http(`http://localhost:${PORT}/subjects`, { netrcFile: HEALTH_NETRC_FILE, intervalSeconds: 2, startPeriodSeconds: 20, retries: 60 }),
      // Room for the host-built image to start Apicurio a second time when the first never gets ready (150 s each).
      waitTimeoutSeconds: 420,
    }).container;
    this.url = `http://${this.container.name}:${PORT}`;
    this.hostUrl = `http://${this.container.publishedHost}:${hostPort}`;
  }

  public credential(client: SchemaRegistryClient): SchemaRegistryCredential {
    return { username: SCHEMA_REGISTRY_USERS[client].username, password: this.passwords[client] };
  }
}
