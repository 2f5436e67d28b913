import * as fs from 'fs';
import * as path from 'path';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { DerivedImage } from './derived-image';
import { ImageSource } from './image-source';
import { FernetKey } from './fernet-key';
import { GeneratedSecret } from './generated-secret';
import { HealthCheck } from './health-check';
import { OneShotContainer } from './one-shot-container';
import { PIPELINE_CONTRACT_PYTHONPATH, pipelineContractFiles } from './pipeline-contract';
import { DEFAULT_BIND_ADDRESS, PublishingServiceProps } from './platform-service-props';
import { IPostgresDatabase } from './postgres';
import { ServiceContainer } from './service-container';
import { ServiceImage } from './service-image';
import { ShippedFiles } from './shipped-files';
import { StateVolume } from './state-volume';
import { PropError, validateMemoryMiB, validatePort } from './validation';
import { AIRFLOW_VERSION, HOST_IMAGE_NAMESPACE, IMAGES } from './versions';

export interface AirflowProps extends PublishingServiceProps {
  /** The PostgreSQL server holding Airflow's metadata database, reached with Airflow's own role. */
  readonly postgres: IPostgresDatabase;
  /**
   * Environment the DAG files read while they are parsed: the dag-processor's, and the scheduler's, whose
   * task processes parse the file again.
   * @default - none
   */
  readonly dagEnvironment?: Record<string, string>;
  /**
   * Environment only the DAGs' tasks read: the scheduler's alone (tasks run inside it), so changing it
   * leaves the dag-processor running.
   * @default - none
   */
  readonly taskEnvironment?: Record<string, string>;
  /**
   * Local DAG folder; every file in it is shipped into the DAG folder of the scheduler and dag-processor.
   * @default - the repository's dags/
   */
  readonly dagsDirectory?: string;
  /**
   * Extra Python requirements file (`pkg==version` lines) installed into the image.
   * @default - `requirements.lock` in the DAG folder
   */
  readonly requirementsFile?: string;
  /**
   * Keep the Fernet key's volume when the stack is destroyed. The key must last as long as the metadata
   * database it encrypts: set it whenever that database outlives the stack.
   * @default - retainVolumes
   */
  readonly retainFernetKey?: boolean;
  /**
   * Admin user created at deploy time; its password is generated and set again on every deploy.
   * @default 'admin'
   */
  readonly adminUsername?: string;
  /**
   * Host port of the UI and REST API.
   * @default 8080
   */
  readonly hostPort?: number;
  /**
   * Memory limit of the API server (UI + REST) in MiB.
   * @default 1536
   */
  readonly apiServerMemoryMiB?: number;
  /**
   * Memory limit of the scheduler in MiB; with the LocalExecutor, tasks run inside it.
   * @default 1536
   */
  readonly schedulerMemoryMiB?: number;
  /**
   * Memory limit of the dag-processor in MiB.
   * @default 768
   */
  readonly dagProcessorMemoryMiB?: number;
  /**
   * The scheduler, which runs the DAG's tasks, starts only after these (e.g. the job that creates the tables they
   * write). The dag-processor, which only parses the DAG files, waits for the database's migration alone.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

const API_PORT = 8080;
const SCHEDULER_HEALTH_PORT = 8974;
const DAGS_FOLDER = '/opt/airflow/dags';
const JOB_HEALTH_SCRIPT = '/opt/kafka-pipelining/airflow_job_health.py';
/**
 * Seconds between parses of an unchanged DAG file. Its files are uploaded when the container is created and a change
 * replaces the container, so parsing it again finds nothing new: Airflow's 30 s made the dag-processor the busiest
 * container of an idle platform.
 */
const DAG_FILE_PROCESS_INTERVAL_SECONDS = 600;

/**
 * Airflow 3 on the LocalExecutor: a one-shot that makes the Fernet key once (FernetKey), a one-shot init
 * (DB migration, admin user), then the API server (UI and REST), the dag-processor and the scheduler,
 * sharing a logs volume and the key's. FAB auth manager, so the admin logs in with a username and the
 * generated password, set again by every deploy. The DAG folder is shipped in with content hashes.
 */
export class Airflow extends Construct {
  /** UI and REST API from the Docker host. */
  public readonly hostUrl: string;
  public readonly adminUsername: string;
  /** Generated admin password (a deploy-time token, sensitive). */
  public readonly adminPassword: string;
  public readonly init: OneShotContainer;
  public readonly apiServer: ServiceContainer;
  public readonly dagProcessor: ServiceContainer;
  public readonly scheduler: ServiceContainer;

  constructor(scope: Construct, id: string, props: AirflowProps) {
    super(scope, id);
    const name = props.name ?? 'airflow';
    const hostPort = validatePort('hostPort', props.hostPort ?? API_PORT);
    const bindAddress = props.bindAddress ?? DEFAULT_BIND_ADDRESS;
    const apiServerMemoryMiB = validateMemoryMiB('apiServerMemoryMiB', props.apiServerMemoryMiB ?? 1536, 768);
    const schedulerMemoryMiB = validateMemoryMiB('schedulerMemoryMiB', props.schedulerMemoryMiB ?? 1536, 768);
    const dagProcessorMemoryMiB = validateMemoryMiB('dagProcessorMemoryMiB', props.dagProcessorMemoryMiB ?? 768, 384);
    const dagsDirectory = props.dagsDirectory ?? path.join(__dirname, '..', 'dags');
    this.adminUsername = props.adminUsername ?? 'admin';
    this.adminPassword = new GeneratedSecret(this, 'AdminPassword', { length: 24 }).value;

    const source = props.imageSource ?? ImageSource.publicRegistry();
    const base = new ServiceImage(this, 'BaseImage', { image: IMAGES.airflow, source });
    const imageId = source.includesPipelineAdditions
      ? base.imageId
      : new DerivedImage(this, 'Image', {
          base,
          contextDirectory: path.join(__dirname, '..', 'images', 'airflow', 'derived'),
          tag: `${HOST_IMAGE_NAMESPACE}/airflow-pipeline:${IMAGES.airflow.tag}`,
          buildArgs: { AIRFLOW_VERSION, PIP_REQUIREMENTS: readRequirements(props.requirementsFile ?? path.join(dagsDirectory, 'requirements.lock')) },
        }).imageId;
    const logs = new StateVolume(this, 'Logs', { name: `${name}-logs`, retain: props.retainVolumes });
    const fernetKey = new FernetKey(this, 'FernetKey', {
      name: `${name}-fernet-key`,
      network: props.network,
      image: imageId,
      retain: props.retainFernetKey ?? props.retainVolumes,
    });
    const stateVolumes = [{ volumeName: logs.volumeName, containerPath: '/opt/airflow/logs' }, fernetKey.mount];

    // Every component must share these: one database, one Fernet key, one signing secret for the API's tokens.
    // The Fernet key is read from its volume: it must outlive a deploy exactly when the database does. The
    // two signing secrets only sign sessions and tokens, so a new deploy may make new ones.
    const common: Record<string, string> = {
      AIRFLOW__CORE__EXECUTOR: 'LocalExecutor',
      AIRFLOW__CORE__AUTH_MANAGER: 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager',
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: props.postgres.dsn('airflow', 'postgresql+psycopg2'),
      AIRFLOW__CORE__FERNET_KEY_CMD: fernetKey.command,
      AIRFLOW__API__SECRET_KEY: new GeneratedSecret(this, 'SecretKey', { length: 48 }).value,
      AIRFLOW__API_AUTH__JWT_SECRET: new GeneratedSecret(this, 'JwtSecret', { length: 48 }).value,
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: 'False',
      // The image's entrypoint waits for the database; give a just-healthy server a little longer.
      CONNECTION_CHECK_MAX_COUNT: '30',
    };

    this.init = new OneShotContainer(this, 'Init', {
      name: `${name}-init`,
      image: imageId,
      network: props.network,
      memoryMiB: 1024,
      command: ['bash', '/opt/kafka-pipelining/airflow-init.sh'],
      environment: {
        ...common,
        AIRFLOW_ADMIN_USERNAME: this.adminUsername,
        AIRFLOW_ADMIN_PASSWORD: this.adminPassword,
        AIRFLOW_ADMIN_EMAIL: `${this.adminUsername}@example.invalid`,
        FERNET_KEY_VOLUME: fernetKey.volume.volumeName,
      },
      files: new ShippedFiles(this, 'InitScript', {
        files: [
          { source: path.join(__dirname, 'assets', 'airflow-init.sh'), target: '/opt/kafka-pipelining/airflow-init.sh' },
          { source: path.join(__dirname, 'assets', 'secret-files.sh'), target: '/opt/kafka-pipelining/secret-files.sh' },
        ],
      }).uploads,
      volumes: stateVolumes,
      dependsOn: [fernetKey.generator.resource],
    });

    this.apiServer = new ServiceContainer(this, 'ApiServer', {
      name: `${name}-api-server`,
      image: imageId,
      network: props.network,
      memoryMiB: apiServerMemoryMiB,
      command: ['airflow', 'api-server', '--port', `${API_PORT}`, '--workers', '1'],
      environment: common,
      volumes: stateVolumes,
      ports: [{ containerPort: API_PORT, hostPort, bindAddress, prop: 'hostPort' }],
      // A curl every 3 s: the scheduler, the last to start, waits for this check to pass.
      healthCheck: HealthCheck.http(`http://localhost:${API_PORT}/api/v2/monitor/health`, { intervalSeconds: 3, startPeriodSeconds: 30, retries: 60 }),
      waitTimeoutSeconds: 300,
      dependsOn: [this.init.resource],
    });

    // PYTHONPATH: the DAG imports the pipeline's contract package, shipped outside the DAG folder.
    const dagSide: Record<string, string> = { ...common, ...props.dagEnvironment, PYTHONPATH: PIPELINE_CONTRACT_PYTHONPATH };
    // Python modules, plus .airflowignore so the DAG processor does not scan the helper package.
    const airflowIgnore = path.join(dagsDirectory, '.airflowignore');
    const dags = new ShippedFiles(this, 'Dags', {
      files: [
        ...ShippedFiles.fromDirectory(dagsDirectory, DAGS_FOLDER).filter((f) => f.target.endsWith('.py')),
        ...(fs.existsSync(airflowIgnore) ? [{ source: airflowIgnore, target: `${DAGS_FOLDER}/.airflowignore` }] : []),
      ],
    });
    const contract = new ShippedFiles(this, 'Contract', { files: pipelineContractFiles() });
    const dagFiles = [...dags.uploads, ...contract.uploads];

    const jobHealth = new ShippedFiles(this, 'JobHealthScript', {
      files: [{ source: path.join(__dirname, 'assets', 'airflow_job_health.py'), target: JOB_HEALTH_SCRIPT }],
    });
    this.dagProcessor = new ServiceContainer(this, 'DagProcessor', {
      name: `${name}-dag-processor`,
      image: imageId,
      network: props.network,
      memoryMiB: dagProcessorMemoryMiB,
      command: ['airflow', 'dag-processor'],
      environment: { ...dagSide, AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: `${DAG_FILE_PROCESS_INTERVAL_SECONDS}` },
      files: [...dagFiles, ...jobHealth.uploads],
      volumes: stateVolumes,
      // Its job's heartbeat in the metadata database, read without importing Airflow: cheap enough to run every 10 s;
      // and the DAG folder parsed, so a deploy ends with the DAGs known and a run can be triggered at once.
      healthCheck: HealthCheck.command(['python', JOB_HEALTH_SCRIPT, 'DagProcessorJob', '30', '--parsed'], {
        intervalSeconds: 10,
        startPeriodSeconds: 30,
        retries: 12,
      }),
      waitTimeoutSeconds: 300,
      dependsOn: [this.init.resource],
    });

    this.scheduler = new ServiceContainer(this, 'Scheduler', {
      name: `${name}-scheduler`,
      image: imageId,
      network: props.network,
      memoryMiB: schedulerMemoryMiB,
      command: ['airflow', 'scheduler'],
      environment: {
        ...dagSide,
        ...props.taskEnvironment,
        // Its tasks report to the API server's execution API (Airflow 3's task SDK); the dag-processor runs that API in
        // its own process, so it needs no API server, and parses while that one starts.
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `http://${this.apiServer.name}:${API_PORT}/execution/`,
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK: 'True',
      },
      files: dagFiles,
      volumes: stateVolumes,
      // A curl every 3 s: the deploy ends with the scheduler's first check that passes.
      healthCheck: HealthCheck.http(`http://localhost:${SCHEDULER_HEALTH_PORT}/health`, { intervalSeconds: 3, startPeriodSeconds: 30, retries: 40 }),
      waitTimeoutSeconds: 300,
      // Beside the dag-processor, not after it: the scheduler works from the DAGs the dag-processor serializes, and finds
      // them when they come, so waiting for that only put the scheduler's start on the deploy's critical path.
      dependsOn: props.dependsOn,
    });
    this.hostUrl = `http://${this.apiServer.publishedHost}:${hostPort}`;
  }
}

/** `pkg==version` lines of a requirements file, space-separated for `pip install`; comments dropped. */
function readRequirements(file: string): string {
  if (!fs.existsSync(file)) throw new PropError('requirementsFile', `must name an existing file, got '${file}'`);
  const pins = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.length > 0);
  const loose = pins.find((line) => !/^[A-Za-z0-9._[\],-]+==[^=\s]+$/.test(line));
  if (loose) throw new PropError('requirementsFile', `must pin an exact version on every line (pkg==x.y.z), got '${loose}' in ${file}`);
  return pins.join(' ');
}
