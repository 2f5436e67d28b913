import * as fs from 'fs';
import * as path from 'path';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { JmxExporter, JmxExporterProps } from './jmx-exporter';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformNetwork } from './platform-network';
import { heapMiB, renderProperties } from './platform-service-props';
import { PublishedPort, ServiceContainer, VolumeAttachment } from './service-container';
import { ImageSource } from './image-source';
import { ServiceImage } from './service-image';
import { ImageRef } from './versions';

/** Where the generated configuration goes in every Confluent container. */
const CONFIG_DIRECTORY = '/etc/kafka-pipelining';

export interface ConfluentServiceProps {
  readonly network: PlatformNetwork;
  readonly name: string;
  readonly image: ImageRef;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
  readonly memoryMiB: number;
  /**
   * The service's start script, e.g. `kafka-server-start`, or a command that runs one (`['bash', script]`: an upload
   * is root's and not executable by the image's user); it takes the properties file as argument.
   */
  readonly startScript: string | readonly string[];
  /**
   * Arguments of the start script after the properties file.
   * @default - none
   */
  readonly startArguments?: readonly string[];
  /** File name of the generated properties, e.g. `server.properties`. */
  readonly configFileName: string;
  readonly properties: Record<string, string | number | boolean>;
  /** The variable the start script reads JVM heap options from, e.g. `KAFKA_HEAP_OPTS`. */
  readonly heapOptionsVariable: string;
  /** The variable the start script reads log4j options from, e.g. `KAFKA_LOG4J_OPTS`. */
  readonly log4jOptionsVariable: string;
  readonly healthCheck: HealthCheck;
  /**
   * More files for the service, e.g. a JAAS file and what it points at.
   * @default - none
   */
  readonly files?: ContainerUpload[];
  /**
   * More environment variables for the start script (never a secret: `docker inspect` shows them).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /** @default - none */
  readonly volumes?: VolumeAttachment[];
  /** @default - none */
  readonly ports?: PublishedPort[];
  /** @default 180 */
  readonly waitTimeoutSeconds?: number;
  /** See ServiceContainerProps. @default 0 */
  readonly spreadOrdinal?: number;
  /**
   * Start the service with the JMX exporter's Java agent and the rules of `service`; `optionsVariable` is the
   * variable its start script reads further JVM options from (e.g. `KAFKA_OPTS`).
   * @default - no agent
   */
  readonly jmxExporter?: { readonly service: JmxExporterProps['service']; readonly optionsVariable: string };
  /**
   * Further JVM options of the server alone (not of the tools the health check runs), in `variable` (e.g. `KAFKA_OPTS`,
   * which must then be the JMX exporter's `optionsVariable` too).
   * @default - none
   */
  readonly serverJavaOptions?: { readonly variable: string; readonly options: readonly string[] };
  /**
   * Created only after these (e.g. the job that writes the service's secrets).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The image contract the Confluent services share: the construct generates the service's properties
 * file and a console log4j configuration, ships both into CONFIG_DIRECTORY, and starts the service's own
 * start script with them, so no image-specific environment templating is involved. The JVM heap is half
 * the container's memory limit.
 */
export class ConfluentService extends Construct {
  public readonly container: ServiceContainer;
  /** Where Prometheus scrapes the JMX exporter, when `jmxExporter` is set. */
  public readonly metricsEndpoint?: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: ConfluentServiceProps) {
    super(scope, id);
    const image = new ServiceImage(this, 'Image', { image: props.image, source: props.imageSource });
    const configFile = `${CONFIG_DIRECTORY}/${props.configFileName}`;
    const log4jFile = `${CONFIG_DIRECTORY}/log4j.properties`;
    const heap = heapMiB(props.memoryMiB);
    let imageId = image.imageId;
    let command = [...(typeof props.startScript === 'string' ? [props.startScript] : props.startScript), configFile, ...(props.startArguments ?? [])];
    let agentFiles: ContainerUpload[] = [];
    const serverOptions = props.serverJavaOptions;
    if (props.jmxExporter && serverOptions && props.jmxExporter.optionsVariable !== serverOptions.variable) {
      throw new Error(`ConfluentService ${props.name}: jmxExporter.optionsVariable and serverJavaOptions.variable must be the same variable`);
    }
    const javaOptions = [...(serverOptions?.options ?? [])];
    if (props.jmxExporter) {
      const agent = new JmxExporter(this, 'JmxExporter', {
        service: props.jmxExporter.service, image, imageSource: props.imageSource ?? ImageSource.publicRegistry(), containerName: props.name,
      });
      imageId = agent.imageId;
      javaOptions.unshift(agent.javaOption);
      agentFiles = agent.uploads;
      this.metricsEndpoint = agent.endpoint;
    }
    const optionsVariable = props.jmxExporter?.optionsVariable ?? serverOptions?.variable;
    if (optionsVariable !== undefined && javaOptions.length > 0) {
      // Set for the server alone: in the container's environment, the agent's option would also start an agent in
      // the health check's Kafka tool, on the port the server's agent holds.
      command = ['env', `${optionsVariable}=${javaOptions.join(' ')}`, ...command];
    }
    this.container = new ServiceContainer(this, 'Container', {
      name: props.name,
      image: imageId,
      network: props.network,
      memoryMiB: props.memoryMiB,
      command,
      environment: {
        ...props.environment,
        [props.heapOptionsVariable]: `-Xms${heap}m -Xmx${heap}m`,
        [props.log4jOptionsVariable]: `-Dlog4j.configuration=file:${log4jFile}`,
      },
      files: [
        { file: configFile, content: renderProperties(props.properties) },
        { file: log4jFile, content: fs.readFileSync(path.join(__dirname, 'assets', 'log4j.properties'), 'utf8') },
        ...agentFiles,
        ...(props.files ?? []),
      ],
      volumes: props.volumes,
      ports: props.ports,
      healthCheck: props.healthCheck,
      waitTimeoutSeconds: props.waitTimeoutSeconds,
      spreadOrdinal: props.spreadOrdinal,
      dependsOn: props.dependsOn,
    });
  }
}
