import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformNetwork } from './platform-network';
import { IPostgresDatabase } from './postgres';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { validateMemoryMiB } from './validation';
import { IMAGES } from './versions';

export interface PostgresExporterProps {
  readonly network: PlatformNetwork;
  /** Container name. */
  readonly name: string;
  /** The server it reads, the platform's own or a brought one, with its monitoring role. */
  readonly postgres: IPostgresDatabase;
  /**
   * Memory limit in MiB.
   * @default 128
   */
  readonly memoryMiB?: number;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
}

const PORT = 9187;

/**
 * Prometheus' PostgreSQL exporter: whether the server answers (`pg_up`), its databases' sizes, transactions,
 * rows, connections and locks, and the background writer. The server's settings are left out (hundreds of
 * series that never move).
 */
export class PostgresExporter extends Construct {
  public readonly container: ServiceContainer;
  public readonly endpoint: MetricsEndpoint;

  constructor(scope: Construct, id: string, props: PostgresExporterProps) {
    super(scope, id);
    const login = props.postgres.login('monitoring');
    const image = new ServiceImage(this, 'Image', { image: IMAGES.postgresExporter, source: props.imageSource });
    this.container = new ServiceContainer(this, 'Exporter', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB: validateMemoryMiB('memoryMiB', props.memoryMiB ?? 128, 32),
      command: [`--web.listen-address=:${PORT}`, '--disable-settings-metrics'],
      // The platform's server has no TLS; lib/pq, the exporter's driver, would insist on it by default.
      // Its own role (pg_monitor on the platform's server): the server's statistics cover every database, and the
      // pipeline's role could neither see the other sessions nor size Airflow's database. The address, role and
      // password apart (the exporter's DATA_SOURCE_URI form), so that a swarm can hand the password over as a file
      // (DATA_SOURCE_PASS_FILE, which the exporter reads itself).
      environment: {
        DATA_SOURCE_URI: `${login.address}/${login.database}?sslmode=disable`,
        DATA_SOURCE_USER: login.user,
        DATA_SOURCE_PASS: login.password,
      },
      healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORT}/metrics`], { intervalSeconds: 15, startPeriodSeconds: 5 }),
    });
    this.endpoint = { job: 'postgres', address: `${props.name}:${PORT}`, path: '/metrics' };
  }
}
