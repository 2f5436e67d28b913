import { DataDockerRegistryImage } from '@cdktf/provider-docker/lib/data-docker-registry-image';
import { DockerProviderRegistryAuth } from '@cdktf/provider-docker/lib/provider';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import { Construct } from 'constructs';
import { PropError } from './validation';

export interface ImageRegistryProps {
  /** `host[:port]` of the registry every node of the swarm pulls from, e.g. `registry.example.com` or `10.231.0.11:5000`. */
  readonly address: string;
  /**
   * Its login, for pushing and for reading digests; pass a token (a sensitive TerraformVariable) to keep the password
   * out of the plan. The nodes pull with their own engine's login (`docker login` on each).
   * @default - none: the registry asks for no login
   */
  readonly login?: { readonly username: string; readonly password: string };
  /**
   * Accept a certificate that no CA the deploying machine trusts has signed (a test cluster's self-signed one).
   * @default false
   */
  readonly insecureSkipVerify?: boolean;
}

/**
 * The registry a swarm's nodes pull the platform's images from. Every service then starts from an image by digest
 * (`address/repository:tag@sha256:…`), so each node runs the very image the plan read, whatever the tag points at
 * later. Images the deploying engine builds (DerivedImage) are pushed into it; pinned ones (ServiceImage) must be in
 * it before the plan (scripts/swarm-hosts.sh push does that for the host-built images).
 */
export class ImageRegistry {
  public readonly address: string;
  private readonly login?: ImageRegistryProps['login'];
  private readonly insecureSkipVerify: boolean;

  constructor(props: ImageRegistryProps) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(props.address)) {
      throw new PropError('registry.address', `must be host or host:port, no scheme or path, got '${props.address}'`);
    }
    if (props.login !== undefined && props.login.username.length === 0) throw new PropError('registry.login.username', 'must not be empty');
    this.address = props.address;
    this.login = props.login;
    this.insecureSkipVerify = props.insecureSkipVerify ?? false;
  }

  /** The provider's `registry_auth` entry for it. */
  public providerAuth(): DockerProviderRegistryAuth {
    return this.login ? { address: this.address, username: this.login.username, password: this.login.password } : { address: this.address, authDisabled: true };
  }

  /** The name under which it holds `reference` (`repository:tag`). */
  public nameOf(reference: string): string {
    return `${this.address}/${reference}`;
  }

  /** `reference` as it holds it, by the digest it has when the plan is made. */
  public pinned(scope: Construct, id: string, reference: string): string {
    const name = this.nameOf(reference);
    const image = new DataDockerRegistryImage(scope, id, { name, insecureSkipVerify: this.insecureSkipVerify });
    return `${name}@${image.sha256Digest}`;
  }

  /**
   * Pushes the deploying engine's image `name` (which must be `nameOf(...)`) whenever `imageId` changes, and returns it
   * by the digest pushed. Kept in the registry on destroy: it is a cache, as the image is on the engine.
   */
  public pushed(scope: Construct, id: string, name: string, imageId: string): string {
    const pushed = new RegistryImage(scope, id, { name, keepRemotely: true, insecureSkipVerify: this.insecureSkipVerify, triggers: { image: imageId } });
    return `${name}@${pushed.sha256Digest}`;
  }
}
