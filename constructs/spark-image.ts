import * as path from 'path';
import { Construct } from 'constructs';
import { DerivedImage } from './derived-image';
import { ImageSource } from './image-source';
import { ServiceImage } from './service-image';
import { HOST_IMAGE_NAMESPACE, IMAGES, mavenJarPath, SPARK_CONNECTOR_JARS } from './versions';

export interface SparkImageProps {
  /**
   * Where the pinned Spark image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
}

/** In-container path of the health check script every Spark container carries. */
export const SPARK_HEALTH_SCRIPT = '/opt/kafka-pipelining/spark_health.py';
/** Local path of that script. */
export const SPARK_HEALTH_SCRIPT_SOURCE = path.join(__dirname, 'assets', 'spark_health.py');

/**
 * Spark's own Prometheus endpoints, as `spark.*` settings (a daemon takes them as `-D` options, a driver as
 * `--conf`): the PrometheusServlet sink on every web UI, at the paths Spark's metrics template gives them (the
 * master's own and its applications' apart, since both are on the master's UI), and each JVM's heap and GC.
 */
export const SPARK_PROMETHEUS_SETTINGS: Readonly<Record<string, string>> = {
  'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
  'spark.metrics.conf.*.sink.prometheusServlet.path': '/metrics/prometheus',
  'spark.metrics.conf.master.sink.prometheusServlet.path': '/metrics/master/prometheus',
  'spark.metrics.conf.applications.sink.prometheusServlet.path': '/metrics/applications/prometheus',
  'spark.metrics.conf.*.source.jvm.class': 'org.apache.spark.metrics.source.JvmSource',
};

/** The settings as the `-D` options of a standalone daemon's `SPARK_*_OPTS` variable. */
export function sparkDaemonOptions(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings).map(([key, value]) => `-D${key}=${value}`).join(' ');
}

/** The pinned Spark image plus the pipeline's connector jars (Kafka, Avro, Cassandra) from `versions.ts`. */
export class SparkImage extends Construct {
  public readonly imageId: string;

  constructor(scope: Construct, id: string, props: SparkImageProps = {}) {
    super(scope, id);
    const source = props.imageSource ?? ImageSource.publicRegistry();
    const base = new ServiceImage(this, 'Base', { image: IMAGES.spark, source });
    if (source.includesPipelineAdditions) {
      this.imageId = base.imageId;
      return;
    }
    this.imageId = new DerivedImage(this, 'WithConnectors', {
      base,
      contextDirectory: path.join(__dirname, '..', 'images', 'spark', 'derived'),
      tag: `${HOST_IMAGE_NAMESPACE}/spark-pipeline:${IMAGES.spark.tag}`,
      buildArgs: { JAR_PATHS: SPARK_CONNECTOR_JARS.map(mavenJarPath).join(' ') },
    }).imageId;
  }
}
