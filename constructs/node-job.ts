import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { cacheDirectory } from '../ops/up-state';
import { DeploymentTarget } from './deployment-target';
import { ImageSource } from './image-source';
import { cachedBundle } from './job-bundle-cache';
import { OneShotContainer } from './one-shot-container';
import { PlatformNetwork } from './platform-network';
import { VolumeAttachment } from './service-container';
import { ServiceImage } from './service-image';
import { FileToShip, ShippedFiles } from './shipped-files';
import { validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface NodeJobProps {
  readonly network: PlatformNetwork;
  /** Container name. */
  readonly name: string;
  /** The TypeScript entry point (absolute path); it is bundled with its dependencies into one file. */
  readonly entryPoint: string;
  /** The job's configuration. */
  readonly environment: Record<string, string>;
  /**
   * Further files the job reads, shipped beside the bundle (targets relative to the bundle's folder).
   * @default - none
   */
  readonly assets?: { readonly source: string; readonly target: string }[];
  /**
   * Memory limit in MiB.
   * @default 256
   */
  readonly memoryMiB?: number;
  /**
   * Where the pinned Node.js image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
  /**
   * Created only after these.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Files written into the container before it starts, beside the code (e.g. a secret the job reads).
   * @default - none
   */
  readonly files?: ContainerUpload[];
  /**
   * Named volumes to mount.
   * @default - none
   */
  readonly volumes?: VolumeAttachment[];
  /**
   * The user the job runs as.
   * @default 'node'
   */
  readonly user?: string;
}

const JOB_DIRECTORY_IN_CONTAINER = '/opt/kafka-pipelining/job';
const PROJECT_ROOT = path.join(__dirname, '..');

/**
 * Bundles a TypeScript job (esbuild, deterministic output) and returns the bundle's path. The bundle's
 * content, hence the plan, changes exactly when the job or a dependency does. Bundles are kept in the cache
 * directory outside the clone and served again only while nothing they were built from has changed
 * (job-bundle-cache.ts). Minified (names kept, for readable errors) where the deployment target of `scope` limits the
 * size of a shipped file: a swarm config holds at most 1,000 KiB, and the bootstrap's bundle is twice that.
 */
export function bundleNodeJob(scope: Construct, entryPoint: string): string {
  if (!fs.existsSync(entryPoint)) throw new Error(`NodeJob: entryPoint '${entryPoint}' does not exist`);
  // One folder per process: parallel test workers never write the same file.
  const outDirectory = path.join(os.tmpdir(), `kafka-pipelining-bundles-${process.pid}`);
  fs.mkdirSync(outDirectory, { recursive: true });
  return cachedBundle({
    entryPoints: [entryPoint],
    absWorkingDir: PROJECT_ROOT,
    outfile: path.join(outDirectory, `${path.basename(entryPoint, '.ts')}.js`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    // pg's optional native binding is never used; leaving it out keeps the bundle pure JavaScript.
    external: ['pg-native'],
    legalComments: 'none',
    logLevel: 'silent',
    ...(DeploymentTarget.of(scope).maxFileBytes !== undefined ? { minify: true, keepNames: true } : {}),
  }, cacheDirectory());
}

/** A TypeScript job run once to completion in the pinned Node.js image (e.g. the bootstrap). */
export class NodeJob extends Construct {
  public readonly container: OneShotContainer;

  constructor(scope: Construct, id: string, props: NodeJobProps) {
    super(scope, id);
    const memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 256, 128);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.node, source: props.imageSource });
    const bundle = bundleNodeJob(this, props.entryPoint);
    const bundleTarget = `${JOB_DIRECTORY_IN_CONTAINER}/${path.basename(bundle)}`;
    const files: FileToShip[] = [
      { source: bundle, target: bundleTarget },
      ...(props.assets ?? []).map((a) => ({ source: a.source, target: path.posix.join(JOB_DIRECTORY_IN_CONTAINER, a.target) })),
    ];
    const shipped = new ShippedFiles(this, 'Code', { files });

    this.container = new OneShotContainer(this, 'Run', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB,
      command: ['node', bundleTarget],
      environment: props.environment,
      files: [...shipped.uploads, ...(props.files ?? [])],
      volumes: props.volumes,
      dependsOn: props.dependsOn,
      user: props.user ?? 'node',
    });
  }
}
