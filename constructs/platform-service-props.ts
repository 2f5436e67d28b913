import { ImageSource } from './image-source';
import { PlatformNetwork } from './platform-network';

/** Props every service construct takes. */
export interface PlatformServiceProps {
  /** The network the service joins. */
  readonly network: PlatformNetwork;
  /**
   * Container name, also its host name on the network; volumes are named after it.
   * @default - the service's own name, e.g. 'kafka'
   */
  readonly name?: string;
  /**
   * Where the pinned image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
  /**
   * Keep the service's named volumes when the stack is destroyed.
   * @default false
   */
  readonly retainVolumes?: boolean;
}

/** Props of a service that publishes ports on the Docker host. */
export interface PublishingServiceProps extends PlatformServiceProps {
  /**
   * Host address that published ports bind to.
   * @default '127.0.0.1'
   */
  readonly bindAddress?: string;
}

export const DEFAULT_BIND_ADDRESS = '127.0.0.1';

/** Renders a Java-style `.properties` file, keys sorted so the content (and its hash) is stable. */
export function renderProperties(properties: Record<string, string | number | boolean>): string {
  return (
    Object.keys(properties)
      .sort()
      .map((key) => `${key}=${properties[key]}`)
      .join('\n') + '\n'
  );
}

/** JVM heap for a container: about half its memory limit, leaving room for metaspace, threads and buffers. */
export function heapMiB(memoryMiB: number): number {
  return Math.max(64, Math.floor(memoryMiB / 2));
}

/**
 * JVM options of a service that answers a few calls and is not on the data path (the schema registry, Spark's master and
 * workers): the client compiler alone and the serial collector start it with less CPU on a host where every service
 * starts at once.
 */
export const LIGHT_JVM_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/** The address a user on the Docker host dials for a port bound to `bindAddress`. */
export function hostAddress(bindAddress: string): string {
  return bindAddress === '0.0.0.0' ? 'localhost' : bindAddress;
}
