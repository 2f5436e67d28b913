import * as path from 'path';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { GeneratedSecret } from './generated-secret';
import { HealthCheck } from './health-check';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { PropError, validateAddresses, validateHost, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

/**
 * Who connects to PostgreSQL. Each has a role of its own, none a superuser: Airflow (its metadata database),
 * the pipeline (its database: the DAG's tasks, bootstrap, verify, pipeline-metrics) and the monitoring (the
 * PostgreSQL exporter, which reads the server's statistics).
 */
export type PostgresClient = 'airflow' | 'pipeline' | 'monitoring';

/** One client's way in, in parts, for a client that takes its password apart from the address (as a file, on a swarm). */
export interface PostgresLogin {
  /** `host:port` on the platform network. */
  readonly address: string;
  readonly database: string;
  readonly user: string;
  /** The role's password: pass it as a secret. */
  readonly password: string;
}

/** What a PostgreSQL client needs: a DSN per purpose, each with its own role and database. */
export interface IPostgresDatabase {
  /** A DSN for `client`, for containers on the platform network. Contains that role's password: pass it as a secret. */
  dsn(client: PostgresClient, scheme?: string): string;
  /** The same as `dsn`, in parts. */
  login(client: PostgresClient): PostgresLogin;
  /**
   * A DSN for `client`, from the Docker host.
   * @default - unknown: the stack has no `postgres_dsn` output
   */
  hostDsn?(client: PostgresClient): string;
}

/** A role of a brought server, and the database it connects to. */
export interface ExistingPostgresRole {
  /** The role's name; URL-safe characters only. */
  readonly user: string;
  /**
   * Its password, URL-safe characters only (it goes into DSNs as is); pass a token (e.g. a sensitive
   * TerraformVariable) to keep it out of the plan.
   */
  readonly password: string;
  /**
   * The database it connects to.
   * @default - 'airflow' for Airflow, 'pipeline' for the pipeline, 'postgres' for the monitoring
   */
  readonly database?: string;
}

/** A PostgreSQL server the platform does not run, given by address. */
export interface ExistingPostgresAttributes {
  /** Host name or address, reachable from the platform network. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** Airflow's role and its metadata database, which must exist and be the role's to migrate. */
  readonly airflow: ExistingPostgresRole;
  /**
   * The pipeline's role and database. The bootstrap job creates the database when it is missing, which
   * needs the role to have CREATEDB; when it exists, the role needs only to own it (or its tables).
   */
  readonly pipeline: ExistingPostgresRole;
  /**
   * The PostgreSQL exporter's role, e.g. one granted `pg_monitor`.
   * @default - the pipeline's role and database (the exporter then sees what that role may)
   */
  readonly monitoring?: ExistingPostgresRole;
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
   * The superuser, which only PostgreSQL's own start script uses (no client gets its password).
   * @default 'platform'
   */
  readonly user?: string;
  /**
   * Airflow's metadata database, owned by the `airflow` role.
   * @default 'airflow'
   */
  readonly airflowDatabase?: string;
  /**
   * The pipeline's database, owned by the `pipeline` role.
   * @default 'pipeline'
   */
  readonly pipelineDatabase?: string;
}

/** Each client's role on the platform's own server; Airflow's and the pipeline's own their database. */
const ROLES: Readonly<Record<PostgresClient, string>> = { airflow: 'airflow', pipeline: 'pipeline', monitoring: 'monitoring' };
/** The maintenance database: the monitoring reads the server's statistics from there, not from either database. */
const MAINTENANCE_DATABASE = 'postgres';
const DEFAULT_DATABASES: Readonly<Record<PostgresClient, string>> = { airflow: 'airflow', pipeline: 'pipeline', monitoring: MAINTENANCE_DATABASE };

const PORT = 5432;
const ASSETS = '/opt/kafka-pipelining';
/** The container's start script: the roles, databases and passwords applied on a kept cluster, then the image's entrypoint. */
const START_SCRIPT = `${ASSETS}/postgres-start.sh`;
/** The same, on a new cluster: the image's entrypoint runs it with its first-start server (its initdb.d hook). */
const INIT_HOOK = '/docker-entrypoint-initdb.d/50-kafka-pipelining-roles.sh';

/**
 * PostgreSQL: Airflow's metadata database and the pipeline's staging store (the outbox), each owned by a role
 * of its own (`airflow`, `pipeline`), and a `monitoring` role with `pg_monitor` alone for the exporter; none
 * is a superuser or may create databases or roles. Each role's password is generated at deploy time, and
 * the start script (constructs/assets/postgres-roles.sql) applies the roles, the databases, their owners and
 * the passwords whenever the server starts, also on a data volume kept from an earlier deploy (`retainVolumes`),
 * where the image's entrypoint would keep the old ones. The superuser's password is used by that script alone.
 */
export class Postgres extends Construct implements IPostgresDatabase {
  /** A server that runs elsewhere, for Airflow and the pipeline's jobs to use: one role per purpose, as the user gives them. */
  public static fromExisting(attributes: ExistingPostgresAttributes): IPostgresDatabase {
    const address = `${validateHost('host', attributes.host)}:${validatePort('port', attributes.port ?? PORT)}`;
    const hostAddressOfServer = attributes.hostAddress === undefined ? undefined : validateAddresses('hostAddress', [attributes.hostAddress])[0];
    const role = (client: PostgresClient, given: ExistingPostgresRole): Required<ExistingPostgresRole> => ({
      user: validateUrlSafe(`${client}.user`, given.user),
      password: validateUrlSafe(`${client}.password`, given.password),
      database: validateDatabaseName(`${client}.database`, given.database ?? DEFAULT_DATABASES[client]),
    });
    const pipeline = role('pipeline', attributes.pipeline);
    const roles: Record<PostgresClient, Required<ExistingPostgresRole>> = {
      airflow: role('airflow', attributes.airflow),
      pipeline,
      monitoring: attributes.monitoring ? role('monitoring', attributes.monitoring) : pipeline,
    };
    return {
      dsn: (client, scheme = 'postgresql') => formatDsn(scheme, { address, ...roles[client] }),
      login: (client) => ({ address, ...roles[client] }),
      hostDsn: hostAddressOfServer === undefined
        ? undefined
        : (client) => formatDsn('postgresql', { ...roles[client], address: hostAddressOfServer }),
    };
  }

  /** Host name on the platform network. */
  public readonly host: string;
  public readonly port = PORT;
  /** The superuser, for PostgreSQL's start script alone. */
  public readonly user: string;
  /** Host port published on the Docker host. */
  public readonly hostPort: number;
  public readonly hostAddress: string;
  public readonly memoryMiB: number;
  /** The role of each client. */
  public readonly roles: Readonly<Record<PostgresClient, string>> = ROLES;
  /** The database each client connects to. */
  public readonly databases: Readonly<Record<PostgresClient, string>>;
  public readonly container: ServiceContainer;
  /** Each client role's generated password (deploy-time tokens, sensitive). */
  private readonly passwords: Readonly<Record<PostgresClient, string>>;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const name = props.name ?? 'postgres';
    this.memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 512, 256);
    this.hostPort = validatePort('hostPort', props.hostPort ?? PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    this.user = validateRoleName('user', props.user ?? 'platform');
    if (Object.values(ROLES).includes(this.user)) {
      throw new PropError('user', `must not be one of the client roles (${Object.values(ROLES).join(', ')}): the superuser is apart from them, got '${this.user}'`);
    }
    const airflowDatabase = validateDatabaseName('airflowDatabase', props.airflowDatabase ?? DEFAULT_DATABASES.airflow);
    const pipelineDatabase = validateDatabaseName('pipelineDatabase', props.pipelineDatabase ?? DEFAULT_DATABASES.pipeline);
    for (const [prop, database] of [['airflowDatabase', airflowDatabase], ['pipelineDatabase', pipelineDatabase]] as const) {
      if (['postgres', 'template0', 'template1'].includes(database)) throw new PropError(prop, `must not be PostgreSQL's own database '${database}'`);
    }
    if (airflowDatabase === pipelineDatabase) throw new PropError('pipelineDatabase', `must differ from airflowDatabase, got '${pipelineDatabase}' for both`);
    this.databases = { airflow: airflowDatabase, pipeline: pipelineDatabase, monitoring: MAINTENANCE_DATABASE };
    this.passwords = {
      airflow: new GeneratedSecret(this, 'AirflowPassword').value,
      pipeline: new GeneratedSecret(this, 'PipelinePassword').value,
      monitoring: new GeneratedSecret(this, 'MonitoringPassword').value,
    };
    // The superuser's: the image's entrypoint and the start script alone read it.
    const superuserPassword = new GeneratedSecret(this, 'Password').value;
    const image = new ServiceImage(this, 'Image', { image: IMAGES.postgres, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${name}-data`, retain: props.retainVolumes });

    this.container = new ServiceContainer(this, 'Server', {
      name,
      image: image.imageId,
      network: props.network,
      memoryMiB: this.memoryMiB,
      // Airflow's scheduler, API server and task processes each hold a pool of connections.
      command: ['bash', START_SCRIPT, 'postgres', '-c', 'max_connections=200', '-c', `shared_buffers=${Math.floor(this.memoryMiB / 4)}MB`],
      // The official image reads POSTGRES_PASSWORD_FILE, but the roles' passwords are the start script's to
      // apply, so all of them travel alike, as variables of this container alone (README, "Security").
      environment: {
        POSTGRES_USER: this.user,
        POSTGRES_PASSWORD: superuserPassword,
        // The entrypoint creates no database: the start script creates both, owned by their roles.
        POSTGRES_DB: MAINTENANCE_DATABASE,
        KP_PG_AIRFLOW_ROLE: ROLES.airflow,
        KP_PG_AIRFLOW_DATABASE: airflowDatabase,
        KP_PG_AIRFLOW_PASSWORD: this.passwords.airflow,
        KP_PG_PIPELINE_ROLE: ROLES.pipeline,
        KP_PG_PIPELINE_DATABASE: pipelineDatabase,
        KP_PG_PIPELINE_PASSWORD: this.passwords.pipeline,
        KP_PG_MONITORING_ROLE: ROLES.monitoring,
        KP_PG_MONITORING_PASSWORD: this.passwords.monitoring,
      },
      files: new ShippedFiles(this, 'StartScript', {
        files: [
          { source: path.join(__dirname, 'assets', 'postgres-start.sh'), target: START_SCRIPT },
          { source: path.join(__dirname, 'assets', 'secret-files.sh'), target: `${ASSETS}/secret-files.sh` },
          { source: path.join(__dirname, 'assets', 'postgres-roles.sql'), target: `${ASSETS}/postgres-roles.sql` },
          { source: path.join(__dirname, 'assets', 'postgres-adopt-objects.sql'), target: `${ASSETS}/postgres-adopt-objects.sql` },
          { source: path.join(__dirname, 'assets', 'postgres-init-roles.sh'), target: INIT_HOOK },
        ],
      }).uploads,
      volumes: [{ volumeName: data.volumeName, containerPath: '/var/lib/postgresql/data' }],
      ports: [{ containerPort: PORT, hostPort: this.hostPort, bindAddress, prop: 'hostPort' }],
      // Over TCP: the image's first-start initialisation runs a socket-only server that must not count.
      healthCheck: HealthCheck.command(['pg_isready', '-h', '127.0.0.1', '-U', this.user, '-d', MAINTENANCE_DATABASE], {
        intervalSeconds: 5,
        startPeriodSeconds: 10,
        retries: 12,
      }),
    });
    this.hostAddress = this.container.publishedHost;
    this.host = this.container.name;
  }

  public dsn(client: PostgresClient, scheme = 'postgresql'): string {
    return formatDsn(scheme, this.login(client));
  }

  public login(client: PostgresClient): PostgresLogin {
    return { address: `${this.host}:${this.port}`, database: this.databases[client], user: ROLES[client], password: this.passwords[client] };
  }

  public hostDsn(client: PostgresClient): string {
    return formatDsn('postgresql', { ...this.login(client), address: `${this.hostAddress}:${this.hostPort}` });
  }
}

function formatDsn(scheme: string, { user, password, address, database }: PostgresLogin): string {
  return `${scheme}://${user}:${password}@${address}/${database}`;
}

/** A DSN's user or password, which goes in unquoted (percent-encoding would mean different things to different clients). */
function validateUrlSafe(prop: string, value: string): string {
  if (!Token.isUnresolved(value) && !/^[A-Za-z0-9._~-]+$/.test(value)) {
    throw new PropError(prop, 'must be letters, digits and ._~- only (it goes into DSNs unquoted)');
  }
  return value;
}

/** A database name the start script and DSNs take as is: a plain lower-case SQL identifier. */
function validateDatabaseName(prop: string, value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new PropError(prop, `must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit), got '${value}'`);
  return value;
}

/** A role name, as for databases. */
function validateRoleName(prop: string, value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value) || value.startsWith('pg_')) {
    throw new PropError(prop, `must be a lower-case identifier (a-z, 0-9, '_', at most 63 characters, not starting with a digit or pg_), got '${value}'`);
  }
  return value;
}
