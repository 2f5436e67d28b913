import { Bytes } from '@cdktf/provider-random/lib/bytes';
import { Construct } from 'constructs';

/**
 * A Fernet key (32 random bytes, base64) for Airflow to encrypt connections and variables at rest.
 * `random_bytes` is sensitive in state like `random_password`.
 */
export class FernetKey extends Construct {
  public readonly value: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.value = new Bytes(this, 'Bytes', { length: 32 }).base64;
  }
}
