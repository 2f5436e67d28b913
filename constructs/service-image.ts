import { Image } from '@cdktf/provider-docker/lib/image';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';
import { ImageSource } from './image-source';
import { ImageRef } from './versions';

export interface ServiceImageProps {
  /** The pinned image, from `versions.ts`. */
  readonly image: ImageRef;
  /**
   * Where to pull it from.
   * @default ImageSource.publicRegistry()
   */
  readonly source?: ImageSource;
}

/**
 * A pinned image pulled onto the Docker host and kept there after destroy (it is a cache, not state); on a target whose
 * nodes pull from a registry, that registry's copy, by digest.
 */
export class ServiceImage extends Construct {
  /** The pinned image, from `versions.ts`. */
  public readonly pinned: ImageRef;
  /** `repository:tag` as pulled (from the target's registry, when it has one). */
  public readonly reference: string;
  /** What to start containers or services from: the image's id, or its registry name by digest (changes when the image does). */
  public readonly imageId: string;
  /** The pull onto the Docker host; none when the nodes pull from a registry themselves. */
  public readonly resource?: Image;

  constructor(scope: Construct, id: string, props: ServiceImageProps) {
    super(scope, id);
    this.pinned = props.image;
    const reference = (props.source ?? ImageSource.publicRegistry()).reference(props.image);
    const registry = DeploymentTarget.of(this).registry;
    if (registry) {
      this.reference = registry.nameOf(reference);
      this.imageId = registry.pinned(this, 'Registry', reference);
    } else {
      this.reference = reference;
      this.resource = new Image(this, 'Image', { name: this.reference, keepLocally: true });
      this.imageId = this.resource.imageId;
    }
  }
}
