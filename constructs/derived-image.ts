import { Image } from '@cdktf/provider-docker/lib/image';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';
import { ServiceImage } from './service-image';

export interface DerivedImageProps {
  /** The pinned image this one builds on; passed to the Dockerfile as the `BASE_IMAGE` build argument. */
  readonly base: ServiceImage;
  /** A local folder holding the Dockerfile and what it copies in; shipped into the plan as an asset. */
  readonly contextDirectory: string;
  /** The local tag of the built image, e.g. `kafka-pipelining/airflow:3.0.6`. */
  readonly tag: string;
  /**
   * Further build arguments (package pins from `versions.ts`).
   * @default - only BASE_IMAGE
   */
  readonly buildArgs?: Record<string, string>;
}

/**
 * An image built on the Docker host on top of a pinned one, adding what the pipeline needs (Python
 * packages, connector jars) at build time, so nothing is downloaded when a container starts. It is
 * rebuilt when its build context or its base changes. On a target whose nodes pull from a registry, it is built under
 * the registry's name and pushed there, and services start from it by digest.
 */
export class DerivedImage extends Construct {
  public readonly imageId: string;
  public readonly resource: Image;

  constructor(scope: Construct, id: string, props: DerivedImageProps) {
    super(scope, id);
    const context = new TerraformAsset(this, 'Context', { path: props.contextDirectory, type: AssetType.DIRECTORY });
    const registry = DeploymentTarget.of(this).registry;
    const name = registry ? registry.nameOf(props.tag) : props.tag;
    this.resource = new Image(this, 'Image', {
      name,
      keepLocally: true,
      buildAttribute: {
        context: context.path,
        buildArgs: { ...props.buildArgs, BASE_IMAGE: props.base.reference },
        // Builds reach package registries through the host's network, as `docker build --network host`.
        networkMode: 'host',
      },
      triggers: { context: context.assetHash, base: props.base.imageId },
    });
    this.imageId = registry ? registry.pushed(this, 'Pushed', name, this.resource.imageId) : this.resource.imageId;
  }
}
