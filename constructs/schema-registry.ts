import { Construct } from 'constructs';
import { ConfluentService } from './confluent-service';
import { HealthCheck } from './health-check';
import { prefixed, saslClientProperties, SCHEMA_REGISTRY_GROUP, SCHEMAS_TOPIC } from './kafka-acls';
import { IKafkaCluster } from './kafka-broker';
import { DEFAULT_BIND_ADDRESS, hostAddress, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { validateHttpUrl, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/** What a schema registry client needs: the REST API speaking Confluent's protocol. */
export interface ISchemaRegistry {
  /** REST URL for containers on the platform network. */
  readonly url: string;
  /**
   * REST URL from the Docker host.
   * @default - unknown
   */
  readonly hostUrl?: string;
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

/**
 * Confluent Schema Registry. Its state lives in Kafka (the `_schemas` topic), so it has no volume;
 * compatibility defaults to BACKWARD so a new schema version can still read old records.
 */
export class SchemaRegistry extends Construct implements ISchemaRegistry {
  /** A registry that runs elsewhere, for the platform's jobs and Control Center to use. */
  public static fromExisting(attributes: ExistingSchemaRegistryAttributes): ISchemaRegistry {
    return {
      url: validateHttpUrl('url', attributes.url),
      hostUrl: attributes.hostUrl === undefined ? undefined : validateHttpUrl('hostUrl', attributes.hostUrl),
    };
  }

  /** REST URL for containers on the platform network. */
  public readonly url: string;
  /** REST URL from the Docker host. */
  public readonly hostUrl: string;
  public readonly memoryMiB: number;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: SchemaRegistryProps) {
    super(scope, id);
    const name = props.name ?? 'schema-registry';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 768, 512);
    const hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;

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
        'kafkastore.topic.replication.factor': 1,
        'schema.compatibility.level': 'backward',
      },
      ports: [{ containerPort: PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // 200 only once the registry has read its `_schemas` topic.
      healthCheck: HealthCheck.http(`http://localhost:${PORT}/subjects`, { startPeriodSeconds: 20, retries: 12 }),
    }).container;
    this.url = `http://${this.container.name}:${PORT}`;
    this.hostUrl = `http://${hostAddress(bindAddress)}:${hostPort}`;
  }
}
