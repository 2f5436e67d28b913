import { Password } from '@cdktf/provider-random/lib/password';
import { Construct } from 'constructs';
import { validateIntegerRange } from './validation';

export interface GeneratedSecretProps {
  /**
   * Number of characters.
   * @default 32
   */
  readonly length?: number;
}

/**
 * A password generated at deploy time by `random_password` and kept in Terraform state, marked
 * sensitive. Letters and digits only, so it is safe inside URLs, DSNs and shell words unquoted.
 */
export class GeneratedSecret extends Construct {
  /** The secret, as a deploy-time token: never a literal in the plan. */
  public readonly value: string;
  public readonly resource: Password;

  constructor(scope: Construct, id: string, props: GeneratedSecretProps = {}) {
    super(scope, id);
    const length = validateIntegerRange('length', props.length ?? 32, 16, 128);
    this.resource = new Password(this, 'Password', { length, special: false, minLower: 1, minUpper: 1, minNumeric: 1 });
    this.value = this.resource.result;
  }
}
