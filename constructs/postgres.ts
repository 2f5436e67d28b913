import * as path from 'path';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { GeneratedSecret } from './generated-secret';
import { HealthCheck } from './health-check';
import { DEFAULT_BIND_ADDRESS, hostAddress, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { PropError, validateAddresses, validateHost, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/** What a PostgreSQL client needs: DSNs for the server's databases. */
export interface IPostgresDatabase {
  /** A database that exists from the start; Airflow keeps its metadata there unless told otherwise. */
  readonly initialDatabase: string;
  /** A DSN for a database, for containers on the platform network. Contains the password: pass it as a secret. */
  dsn(database: string, scheme?: string): string;
  /**
   * A DSN for a database, from the Docker host.
   * @default - unknown: the stack has no `postgres_dsn` output
   */
  hostDsn?(database: string): string;
}

/** A PostgreSQL server the platform does not run, given by address. */
export interface ExistingPostgresAttributes {
  /** Host name or address, reachable from the platform network. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** A role that may create databases (the bootstrap job creates the pipeline's); URL-safe characters only. */
  readonly user: string;
  /**
   * Its password, URL-safe characters only (it goes into DSNs as is); pass a token (e.g. a sensitive
   * TerraformVariable) to keep it out of the plan.
   */
  readonly password: string;
  /**
   * A database that exists already, for Airflow's metadata.
   * @default 'airflow'
   */
  readonly initialDatabase?: string;
  /**
   * `host:port` of the server from the Docker host, for the stack's `postgres_dsn` output.
   * @default - no `postgres_dsn` output
   */
  readonly hostAddress?: string;
}

export interface PostgresProps extends PublishingServiceProps {
  /**
   * Host port.
   * @default 5432
   */
  readonly hostPort?: number;
  /**
   * Memory limit in MiB.
   * @default 512
   */
  readonly memoryMiB?: number;
  /**
   * The role that owns the databases.
   * @default 'platform'
   */
  readonly user?: string;
  /**
   * The database created at first start (others are created by their owners, e.g. the bootstrap job).
   * @default 'airflow'
   */
  readonly initialDatabase?: string;
}

const PORT = 5432;
/** The container's start script: the role's password reconciled on a kept cluster, then the image's entrypoint. */
const START_SCRIPT = '/opt/kafka-pipelining/postgres-start.sh';

/**
 * PostgreSQL: Airflow's metadata database and the pipeline's staging store (the outbox). The password is
 * generated at deploy time and is the role's password whenever the server starts, also on a data volume
 * kept from an earlier deploy (`retainVolumes`), where the image's entrypoint would keep the old one.
 */
export class Postgres extends Construct implements IPostgresDatabase {
  /** A server that runs elsewhere, for Airflow and the pipeline's jobs to use. */
  public static fromExisting(attributes: ExistingPostgresAttributes): IPostgresDatabase {
    const address = `${validateHost('host', attributes.host)}:${validatePort('port', attributes.port ?? PORT)}`;
    const user = validateUrlSafe('user', attributes.user);
    const password = validateUrlSafe('password', attributes.password);
    const hostAddressOfServer = attributes.hostAddress === undefined ? undefined : validateAddresses('hostAddress', [attributes.hostAddress])[0];
    return {
      initialDatabase: attributes.initialDatabase ?? 'airflow',
      dsn: (database, scheme = 'postgresql') => formatDsn(scheme, user, password, address, database),
      hostDsn: hostAddressOfServer === undefined ? undefined : (database) => formatDsn('postgresql', user, password, hostAddressOfServer, database),
    };
  }

  /** Host name on the platform network. */
  public readonly host: string;
  public readonly port = PORT;
  public readonly user: string;
  /** Generated password (a deploy-time token, sensitive). */
  public readonly password: string;
  /** Host port published on the Docker host. */
  public readonly hostPort: number;
  public readonly hostAddress: string;
  public readonly memoryMiB: number;
  public readonly initialDatabase: string;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const name = props.name ?? 'postgres';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 512, 256);
    this.hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    this.hostAddress = hostAddress(bindAddress);
    this.user = props.user ?? 'platform';
    this.initialDatabase = props.initialDatabase ?? 'airflow';
    this.password = new GeneratedSecret(this, 'Password').value;
    const image = new ServiceImage(this, 'Image', { image: IMAGES.postgres, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });

    this.container = new ServiceContainer(this, 'Server', {
      name,
      image: image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      // Airflow's scheduler, API server and task processes each hold a pool of connections.
      command: ['bash', START_SCRIPT, 'postgres', '-c', 'max_connections=200', '-c', `shared_buffers=${Math.floor(this.memoryMiB / 4)}MB`],
      environment: { POSTGRES_USER: this.user, POSTGRES_PASSWORD: this.password, POSTGRES_DB: this.initialDatabase },
      files: new ShippedFiles(this, 'StartScript', {
        files: [{ source: path.join(__dirname, 'assets', 'postgres-start.sh'), target: START_SCRIPT }],
      }).uploads,
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/postgresql/data' }],
      ports: [{ containerPort: PORT, hostPort: this.hostPort, bindAddress, prop: 'hostPort' }],
      // Over TCP: the image's first-start initialisation runs a socket-only server that must not count.
      healthCheck: HealthCheck.command(['pg_isready', '-h', '127.0.0.1', '-U', this.user, '-d', this.initialDatabase], {
        intervalSeconds: 5,
        startPeriodSeconds: 10,
        retries: 12,
      }),
    });
    this.host = this.container.name;
  }

  public dsn(database: string, scheme = 'postgresql'): string {
    return formatDsn(scheme, this.user, this.password, `${this.host}:${this.port}`, database);
  }

  public hostDsn(database: string): string {
    return formatDsn('postgresql', this.user, this.password, `${this.hostAddress}:${this.hostPort}`, database);
  }
}

function formatDsn(scheme: string, user: string, password: string, address: string, database: string): string {
  return `${scheme}://${user}:${password}@${address}/${database}`;
}

/** A DSN's user or password, which goes in unquoted (percent-encoding would mean different things to different clients). */
function validateUrlSafe(prop: string, value: string): string {
  if (!Token.isUnresolved(value) && !/^[A-Za-z0-9._~-]+$/.test(value)) {
    throw new PropError(prop, 'must be letters, digits and ._~- only (it goes into DSNs unquoted)');
  }
  return value;
}
