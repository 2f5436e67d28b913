import * as path from 'path';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { Construct } from 'constructs';
import { DerivedImage } from './derived-image';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { HOST_IMAGE_NAMESPACE, JMX_EXPORTER_AGENT, mavenJarPath } from './versions';

/** Where the agent is in every image that carries it: images/cp-kafka and images/cassandra, host/ and derived/. */
export const JMX_EXPORTER_AGENT_PATH = '/opt/jmx-exporter/jmx_prometheus_javaagent.jar';
/** The port the agent serves `/metrics` on, inside the container (never published on the host). */
export const JMX_EXPORTER_PORT = 9404;

/** The JVM services that have rules (constructs/assets/jmx-exporter/<service>.yaml), and the images/ folder whose derived/ adds the agent to their public image. */
const SERVICES = { kafka: 'cp-kafka', zookeeper: 'cp-kafka', cassandra: 'cassandra' } as const;

export interface JmxExporterProps {
  /** Which service's rules: only the beans they name are read. */
  readonly service: keyof typeof SERVICES;
  /** The service's pinned image. */
  readonly image: ServiceImage;
  /** Where `image` comes from: images built on the host carry the agent already. */
  readonly imageSource: ImageSource;
  /** The service's container name, for the address Prometheus scrapes. */
  readonly containerName: string;
}

/**
 * The JMX exporter's Java agent inside one JVM service: the image that carries it (the pinned public image plus
 * the agent from Maven Central, or the host-built image as it is), its rules file shipped into the container,
 * the JVM option that starts it, and the address Prometheus scrapes.
 */
export class JmxExporter extends Construct {
  public static readonly RULES_DIRECTORY = path.join(__dirname, 'assets', 'jmx-exporter');

  /** The image to run the service from. */
  public readonly imageId: string;
  /** The rules file, for the container's `upload`. */
  public readonly uploads: ContainerUpload[];
  /** `-javaagent:...`: give it to the service's JVM only, not to every java command in the container (a health check's would take the same port). */
  public readonly javaOption: string;
  public readonly endpoint: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: JmxExporterProps) {
    super(scope, id);
    const rules = `/opt/jmx-exporter/${props.service}.yaml`;
    this.uploads = new ShippedFiles(this, 'Rules', {
      files: [{ source: path.join(JmxExporter.RULES_DIRECTORY, `${props.service}.yaml`), target: rules }],
    }).uploads;
    this.javaOption = `-javaagent:${JMX_EXPORTER_AGENT_PATH}=${JMX_EXPORTER_PORT}:${rules}`;
    this.endpoint = { job: props.service, address: `${props.containerName}:${JMX_EXPORTER_PORT}`, path: '/metrics' };
    if (props.imageSource.includesPipelineAdditions) {
      this.imageId = props.image.imageId;
      return;
    }
    const { repository, tag } = props.image.pinned;
    this.imageId = new DerivedImage(this, 'Image', {
      base: props.image,
      contextDirectory: path.join(__dirname, '..', 'images', SERVICES[props.service], 'derived'),
      tag: `${HOST_IMAGE_NAMESPACE}/${repository.split('/').pop()!}-jmx-exporter:${tag}`,
      buildArgs: { JAR_PATH: mavenJarPath(JMX_EXPORTER_AGENT) },
    }).imageId;
  }
}
