import * as path from 'path';
import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { bundleNodeJob } from './node-job';
import { PlatformNetwork } from './platform-network';
import { DEFAULT_BIND_ADDRESS } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { validatePort } from './validation';
import { IMAGES } from './versions';

export interface FakeRandomUserApiProps {
  readonly network: PlatformNetwork;
  /**
   * Container name.
   * @default 'fake-randomuser'
   */
  readonly name?: string;
  /**
   * Seed of the generated users: the same seed serves the same users.
   * @default 'kafka-pipelining'
   */
  readonly seed?: string;
  /**
   * Host port of the API and its `/control` switches.
   * @default 8000
   */
  readonly hostPort?: number;
  /** @default '127.0.0.1' */
  readonly bindAddress?: string;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
}

const PORT = 8000;

/**
 * A local API that speaks randomuser.me's format (jobs/fake-randomuser.ts), for hosts that cannot reach
 * the real one and for the end-to-end proof, which injects bad records and failures through `/control`.
 */
export class FakeRandomUserApi extends Construct {
  /** The API's base URL for the DAG, on the platform network. */
  public readonly url: string;
  /** The API and its switches from the Docker host. */
  public readonly hostUrl: string;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: FakeRandomUserApiProps) {
    super(scope, id);
    const name = props.name ?? 'fake-randomuser';
    const hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const image = new ServiceImage(this, 'Image', { image: IMAGES.node, source: props.imageSource });
    const bundle = bundleNodeJob(this, path.join(__dirname, '..', 'jobs', 'fake-randomuser.ts'));
    const target = '/opt/kafka-pipelining/fake-randomuser.js';
    this.container = new ServiceContainer(this, 'Server', {
      name,
      image: image.imageId,
      network: props.network,
      memoryMiB: 256,
      command: ['node', target],
      user: 'node',
      environment: { FAKE_RANDOMUSER_PORT: `${PORT}`, FAKE_RANDOMUSER_SEED: props.seed ?? 'kafka-pipelining' },
      files: new ShippedFiles(this, 'Code', { files: [{ source: bundle, target }] }).uploads,
      ports: [{ containerPort: PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // The slim Node.js image has no curl: Node's own fetch asks.
      healthCheck: HealthCheck.command(
        ['node', '-e', `fetch('http://127.0.0.1:${PORT}/control').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
        { intervalSeconds: 5, startPeriodSeconds: 5 },
      ),
    });
    this.url = `http://${this.container.name}:${PORT}/api/`;
    this.hostUrl = `http://${this.container.publishedHost}:${hostPort}`;
  }
}
