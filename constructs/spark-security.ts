import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { Construct } from 'constructs';
import { GeneratedSecret } from './generated-secret';
import { renderProperties } from './platform-service-props';

export interface SparkSecurityProps {
  /**
   * The shared secret of an existing cluster (its master's and workers' `spark.authenticate.secret`).
   * @default - a secret generated at deploy time (random_password)
   */
  readonly secret?: string;
}

/** In-container path of the properties file that carries the shared secret (`--properties-file`). */
export const SPARK_SECURITY_PROPERTIES = '/opt/kafka-pipelining/spark-security.conf';

/**
 * Spark's shared-secret authentication (`spark.authenticate`) for a standalone cluster: the master, every
 * worker (and so the executors it starts) and every driver must hold the same secret, or the master refuses
 * them. It travels in a properties file each of them reads with `--properties-file`, so it is in no command
 * line or environment variable. The web UIs' kill links are off as well: the UIs have no login.
 */
export class SparkSecurity extends Construct {
  /** The shared secret (a deploy-time token, sensitive). */
  public readonly secret: string;
  /** The properties file as an `upload` block, for a container that runs a Spark daemon or driver. */
  public readonly propertiesFile: ContainerUpload;
  /** What the file sets, for a driver whose own properties file must carry them too (Spark reads one file). */
  public readonly properties: Readonly<Record<string, string | boolean>>;

  constructor(scope: Construct, id: string, props: SparkSecurityProps = {}) {
    super(scope, id);
    this.secret = props.secret ?? new GeneratedSecret(this, 'Secret', { length: 48 }).value;
    this.properties = {
      'spark.authenticate': true,
      'spark.authenticate.secret': this.secret,
      'spark.ui.killEnabled': false,
    };
    this.propertiesFile = { file: SPARK_SECURITY_PROPERTIES, content: renderProperties(this.properties), executable: false };
  }

  /** The arguments that make a daemon or spark-submit read the file. */
  public get arguments(): string[] {
    return ['--properties-file', SPARK_SECURITY_PROPERTIES];
  }
}
