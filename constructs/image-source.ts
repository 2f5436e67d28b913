import { ImageRef, imageReference } from './versions';

/**
 * Where the platform's images come from. Every source serves the same pinned versions from `versions.ts`;
 * only the registry differs.
 */
export class ImageSource {
  /** The public registries the tags in `versions.ts` name (Docker Hub). */
  public static publicRegistry(): ImageSource {
    return new ImageSource('');
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
    return new ImageSource(`${trimmed}/`);
  }

  private constructor(private readonly prefix: string) {}

  /** The full reference to pull for a pinned image. */
  public reference(image: ImageRef): string {
    return `${this.prefix}${imageReference(image)}`;
  }
}
