import { HOST_IMAGE_NAMESPACE, ImageRef, imageReference } from './versions';

/**
 * Where the platform's images come from. Every source serves the same pinned versions from `versions.ts`;
 * only where the bytes come from differs.
 */
export class ImageSource {
  /** The public registries the tags in `versions.ts` name (Docker Hub). */
  public static publicRegistry(): ImageSource {
    return new ImageSource(imageReference, false);
  }

  /**
   * A registry mirror that serves the same repositories under a prefix, e.g. `registry.internal:5000`
   * serves `registry.internal:5000/confluentinc/cp-kafka:7.9.1`.
   */
  public static mirror(prefix: string): ImageSource {
    const trimmed = prefix.replace(/\/+$/, '');
    if (!/^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(\/[a-z0-9._-]+)*$/i.test(trimmed)) {
      throw new Error(`ImageSource.mirror: prefix must look like 'host[:port][/path]', got '${prefix}'`);
    }
    return new ImageSource((image) => `${trimmed}/${imageReference(image)}`, false);
  }

  /**
   * Images built on the Docker host itself from OS and language packages at the same versions, for a
   * host that reaches no container registry: `confluentinc/cp-kafka:7.9.1` is `kafka-pipelining/cp-kafka:7.9.1`.
   * Nothing is pulled; `scripts/build-host-images.sh` must have built them. Its Airflow and Spark images
   * already carry the pipeline's additions (Python packages, connector jars), and its Kafka, ZooKeeper and
   * Cassandra images the JMX exporter's agent, since a build on such a host cannot download them itself.
   */
  public static builtOnHost(): ImageSource {
    return new ImageSource((image) => `${HOST_IMAGE_NAMESPACE}/${image.repository.split('/').pop()}:${image.tag}`, true);
  }

  /**
   * @param resolve maps a pinned image to the reference to use
   * @param includesPipelineAdditions whether the images already hold what the platform adds to them (the
   *   pipeline's packages and connectors, the JMX exporter's agent), so no derived image is built on top
   */
  private constructor(
    private readonly resolve: (image: ImageRef) => string,
    public readonly includesPipelineAdditions: boolean,
  ) {}

  /** The full reference for a pinned image. */
  public reference(image: ImageRef): string {
    return this.resolve(image);
  }
}
