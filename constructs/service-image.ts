import { Image } from '@cdktf/provider-docker/lib/image';
import { Construct } from 'constructs';
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

/** A pinned image pulled onto the Docker host and kept there after destroy (it is a cache, not state). */
export class ServiceImage extends Construct {
  /** The pinned image, from `versions.ts`. */
  public readonly pinned: ImageRef;
  /** `repository:tag` as pulled. */
  public readonly reference: string;
  /** The image's id, to start containers from (changes when the image does). */
  public readonly imageId: string;
  public readonly resource: Image;

  constructor(scope: Construct, id: string, props: ServiceImageProps) {
    super(scope, id);
    this.pinned = props.image;
    this.reference = (props.source ?? ImageSource.publicRegistry()).reference(props.image);
    this.resource = new Image(this, 'Image', { name: this.reference, keepLocally: true });
    this.imageId = this.resource.imageId;
  }
}
