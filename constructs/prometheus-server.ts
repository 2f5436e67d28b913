import * as path from 'path';
import { Construct } from 'constructs';
import { HealthCheck } from './health-check';
import { ImageSource } from './image-source';
import { MetricsEndpoint } from './metrics-endpoint';
import { PlatformNetwork } from './platform-network';
import { DEFAULT_BIND_ADDRESS } from './platform-service-props';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { PropError, validateIntegerRange, validateMemoryMiB, validatePort } from './validation';
import { IMAGES } from './versions';

export interface PrometheusServerProps {
  readonly network: PlatformNetwork;
  /** Container name; its data volume is `<name>-data`. */
  readonly name: string;
  /** What it scrapes: the services' endpoints, grouped into jobs by their `job`. */
  readonly endpoints: readonly MetricsEndpoint[];
  /**
   * Host port of its web UI, API and consoles.
   * @default 9091
   */
  readonly hostPort?: number;
  /** @default '127.0.0.1' */
  readonly bindAddress?: string;
  /**
   * Memory limit in MiB (the Go runtime is told to stay within 80% of it).
   * @default 384
   */
  readonly memoryMiB?: number;
  /**
   * Seconds between scrapes (and rule evaluations), 5 to 300.
   * @default 15
   */
  readonly scrapeIntervalSeconds?: number;
  /**
   * Hours of samples kept, 1 to 720; older ones are dropped, and so is the oldest data past 512 MB.
   * @default 24
   */
  readonly retentionHours?: number;
  /** @default ImageSource.publicRegistry() */
  readonly imageSource?: ImageSource;
  /**
   * Keep the data volume when the stack is destroyed.
   * @default false
   */
  readonly retainVolumes?: boolean;
}

const PORT = 9090;
const CONFIG_DIRECTORY = '/etc/prometheus';
/** Where both images keep the console libraries (images/prometheus/host/Dockerfile does as prom/prometheus does). */
const CONSOLE_LIBRARIES = '/usr/share/prometheus/console_libraries';
export const PROMETHEUS_ASSETS = path.join(__dirname, 'assets', 'prometheus');
/** The rule files and consoles shipped from PROMETHEUS_ASSETS, as Prometheus reads them. */
export const RULE_FILES = ['pipeline.rules.yml', 'platform.rules.yml'];
export const CONSOLES = ['pipeline.html'];

/** A job's scrape settings in Prometheus' configuration. */
interface ScrapeConfig {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly static_configs: { readonly targets: string[] }[];
  readonly metric_relabel_configs?: { readonly source_labels: string[]; readonly regex: string; readonly action: 'drop' }[];
}

/**
 * Spark's servlet gives every gauge twice (`_Number` and `_Value`) and every timer's percentiles and rates:
 * dropped at scrape, so that a few hundred series are not stored for nothing.
 */
const SPARK_DUPLICATES = 'metrics_.*_(Number|Min|Max|Mean|StdDev|\\d+thPercentile|MeanRate|OneMinuteRate|FiveMinuteRate|FifteenMinuteRate)';

/**
 * Prometheus' configuration: one job per endpoint `job` (its own scrape included), the rule files. It is JSON,
 * which YAML (the format Prometheus reads) includes. Every endpoint of a job must have the same path.
 */
export function prometheusConfig(endpoints: readonly MetricsEndpoint[], scrapeIntervalSeconds: number): string {
  const jobs = new Map<string, { path: string; targets: string[] }>();
  for (const endpoint of [{ job: 'prometheus', address: `localhost:${PORT}`, path: '/metrics' }, ...endpoints]) {
    const job = jobs.get(endpoint.job) ?? { path: endpoint.path, targets: [] };
    if (job.path !== endpoint.path) throw new PropError('endpoints', `of job '${endpoint.job}' must share one path, got '${job.path}' and '${endpoint.path}'`);
    if (job.targets.includes(endpoint.address)) throw new PropError('endpoints', `name ${endpoint.address} twice in job '${endpoint.job}'`);
    job.targets.push(endpoint.address);
    jobs.set(endpoint.job, job);
  }
  const scrapeConfigs: ScrapeConfig[] = [...jobs].map(([job, { path: metricsPath, targets }]) => ({
    job_name: job,
    metrics_path: metricsPath,
    static_configs: [{ targets }],
    ...(job.startsWith('spark-') ? { metric_relabel_configs: [{ source_labels: ['__name__'], regex: SPARK_DUPLICATES, action: 'drop' as const }] } : {}),
  }));
  const config = {
    global: { scrape_interval: `${scrapeIntervalSeconds}s`, scrape_timeout: `${Math.min(10, scrapeIntervalSeconds)}s`, evaluation_interval: `${scrapeIntervalSeconds}s` },
    rule_files: RULE_FILES.map((file) => `${CONFIG_DIRECTORY}/rules/${file}`),
    scrape_configs: scrapeConfigs,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * A Prometheus server: it scrapes the platform's services, evaluates the recording and alerting rules of
 * constructs/assets/prometheus, and serves its UI, its HTTP API and the pipeline's dashboard (a console template) on
 * a loopback port. Small on purpose: short retention, a memory limit the Go runtime keeps to.
 */
export class PrometheusServer extends Construct {
  /** The UI from the Docker host. */
  public readonly hostUrl: string;
  /** The pipeline's dashboard from the Docker host. */
  public readonly dashboardUrl: string;
  /** Its configuration file as shipped (plan tests read the targets in it). */
  public readonly configuration: string;
  public readonly container: ServiceContainer;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    super(scope, id);
    const memoryMiB = validateMemoryMiB('memoryMiB', props.memoryMiB ?? 384, 128);
    const hostPort = validatePort('hostPort', props.hostPort ?? 9091);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const interval = validateIntegerRange('scrapeIntervalSeconds', props.scrapeIntervalSeconds ?? 15, 5, 300);
    const retentionHours = validateIntegerRange('retentionHours', props.retentionHours ?? 24, 1, 720);
    this.configuration = prometheusConfig(props.endpoints, interval);
    const image = new ServiceImage(this, 'Image', { image: IMAGES.prometheus, source: props.imageSource });
    const data = new StateVolume(this, 'Data', { name: `${props.name}-data`, retain: props.retainVolumes });
    const shipped = new ShippedFiles(this, 'Files', {
      files: [
        ...RULE_FILES.map((file) => ({ source: path.join(PROMETHEUS_ASSETS, file), target: `${CONFIG_DIRECTORY}/rules/${file}` })),
        ...CONSOLES.map((file) => ({ source: path.join(PROMETHEUS_ASSETS, file), target: `${CONFIG_DIRECTORY}/consoles/${file}` })),
      ],
    });
    this.container = new ServiceContainer(this, 'Server', {
      name: props.name,
      image: image.imageId,
      network: props.network,
      memoryMiB,
      // The image's entrypoint is the server: these are its flags.
      command: [
        `--config.file=${CONFIG_DIRECTORY}/prometheus.yml`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${retentionHours}h`,
        '--storage.tsdb.retention.size=512MB',
        `--web.listen-address=:${PORT}`,
        `--web.console.libraries=${CONSOLE_LIBRARIES}`,
        `--web.console.templates=${CONFIG_DIRECTORY}/consoles`,
        '--web.page-title=kafka-pipelining: Prometheus',
      ],
      environment: { GOMEMLIMIT: `${Math.floor(memoryMiB * 0.8)}MiB` },
      files: [{ file: `${CONFIG_DIRECTORY}/prometheus.yml`, content: this.configuration }, ...shipped.uploads],
      volumes: [{ volumeName: data.volumeName, containerPath: '/prometheus' }],
      ports: [{ containerPort: PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // Both images have wget (busybox's in the public one), neither curl.
      healthCheck: HealthCheck.command(['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${PORT}/-/ready`], { intervalSeconds: 10, startPeriodSeconds: 10 }),
    });
    this.hostUrl = `http://${this.container.publishedHost}:${hostPort}`;
    this.dashboardUrl = `${this.hostUrl}/consoles/${CONSOLES[0]}`;
  }
}
