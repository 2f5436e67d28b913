/**
 * The jobs' configuration, read from the environment variables declared in jobs/contract/variables.json, with
 * the defaults declared there; a secret also from the file `<NAME>_FILE` names when NAME is unset. Every problem is collected,
 * so one run reports all of them, each naming the variable and what it allows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CASSANDRA_CONSISTENCY_LEVELS, type CassandraConsistency, isCassandraConsistency } from './consistency';
import { declaredDefault, pipelineVariable } from './contract';
import { withLogin } from './registry';

export type Env = Readonly<Record<string, string | undefined>>;

export interface CassandraConfig {
  readonly contactPoints: string[];
  readonly localDataCenter: string;
  /** The role the job logs in as (PasswordAuthenticator). */
  readonly username: string;
  readonly password: string;
  readonly keyspace: string;
  readonly table: string;
  /** The level every query runs at. */
  readonly consistency: CassandraConsistency;
}

/** A SASL/SCRAM-SHA-512 login to Kafka. */
export interface KafkaLogin {
  readonly username: string;
  readonly password: string;
}

/** What both jobs read. */
export interface PipelineConfig {
  readonly pgDsn: string;
  readonly kafkaBrokers: string[];
  readonly kafkaLogin: KafkaLogin;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly cassandra: CassandraConfig;
}

export interface BootstrapConfig extends PipelineConfig {
  readonly topicPartitions: number;
  readonly topicReplication: number;
  readonly schemaRegistryUrl: string;
  readonly schemaFile: string;
  readonly cassandraReplication: number;
  /** Whether an existing keyspace's replication factor may be lowered to `cassandraReplication`. */
  readonly acceptFewerCassandraReplicas: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** How one variable is parsed: `parse` returns undefined for a value outside `allowed`. */
interface Field<T> {
  readonly allowed: string;
  readonly parse: (raw: string) => T | undefined;
  /** Never echo the value back: it may carry a password. */
  readonly secret?: boolean;
}

const INT32_MAX = 2 ** 31 - 1;

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function hostPortList(example: string): Field<string[]> {
  return {
    allowed: `comma-separated host:port pairs, e.g. ${example}`,
    parse: (raw) => {
      const entries = raw.split(',').map((entry) => entry.trim());
      const valid = entries.every((entry) => {
        const port = Number(HOST_PORT.exec(entry)?.[2]);
        return port >= 1 && port <= 65535;
      });
      return valid ? entries : undefined;
    },
  };
}

function positiveInteger(max: number): Field<number> {
  return {
    allowed: `a whole number from 1 to ${max}`,
    parse: (raw) => {
      const value = Number(raw);
      return /^\d+$/.test(raw) && value >= 1 && value <= max ? value : undefined;
    },
  };
}

const postgresDsn: Field<string> = {
  allowed: 'a postgres:// or postgresql:// URL naming a database, e.g. postgresql://user:password@postgres:5432/pipeline',
  secret: true,
  parse: (raw) => {
    try {
      const url = new URL(raw);
      const valid = ['postgres:', 'postgresql:'].includes(url.protocol) && url.hostname !== '' && url.pathname.length > 1;
      return valid ? raw : undefined;
    } catch {
      return undefined;
    }
  },
};

const httpUrl: Field<string> = {
  allowed: 'an http:// or https:// URL, e.g. http://schema-registry:8081',
  parse: (raw) => {
    try {
      const url = new URL(raw);
      return ['http:', 'https:'].includes(url.protocol) ? raw.replace(/\/+$/, '') : undefined;
    } catch {
      return undefined;
    }
  },
};

const topicName: Field<string> = {
  allowed: "a Kafka topic name: 1-249 characters of a-z, A-Z, 0-9, '.', '_' and '-', not '.' or '..'",
  parse: (raw) => (/^[A-Za-z0-9._-]{1,249}$/.test(raw) && raw !== '.' && raw !== '..' ? raw : undefined),
};

// Lower case only: unquoted CQL identifiers are folded to lower case, and the Spark job names them as given.
const cqlIdentifier: Field<string> = {
  allowed: 'a CQL identifier: a lower-case letter, then up to 47 lower-case letters, digits or underscores',
  parse: (raw) => (/^[a-z][a-z0-9_]{0,47}$/.test(raw) ? raw : undefined),
};

const registryUsername: Field<string> = {
  allowed: 'a user name without ":" (HTTP basic auth), e.g. writer',
  parse: (raw) => (raw.includes(':') ? undefined : raw),
};

const consistencyLevel: Field<CassandraConsistency> = {
  allowed: `one of ${CASSANDRA_CONSISTENCY_LEVELS.join(', ')}`,
  parse: (raw) => (isCassandraConsistency(raw) ? raw : undefined),
};

const flag: Field<boolean> = {
  allowed: 'true or false',
  parse: (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
};

// Any text: an empty value already counts as unset.
const nonEmpty = (allowed: string): Field<string> => ({ allowed, parse: (raw) => raw });

/** A variable's `_FILE` named a file that could not be read (a problem already collected). */
const FILE_UNREADABLE = Symbol('file unreadable');

/** Reads variables from one environment, collecting problems instead of stopping at the first. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /**
   * The variable's value, else its declared default, parsed by `field`; `placeDefault` turns the default into a
   * value instead, for one that is relative to something. A required variable that is unset is a problem.
   */
  read<T>(name: string, field: Field<T>, placeDefault?: (declared: string) => T): T {
    const raw = this.raw(name);
    if (raw === FILE_UNREADABLE) return undefined as T; // reported; a placeholder, as below
    if (raw !== undefined) return this.parse(name, raw, field);
    const declared = declaredDefault(name, this.env);
    if (declared === undefined) {
      this.problems.push(`${name} is required: ${field.allowed}`);
      return undefined as T; // a placeholder: the loader's check() throws before the config is used
    }
    // Not reported if it does not parse: that happens when the default names a malformed variable, reported already
    // (the declared defaults themselves are checked by tests).
    return placeDefault ? placeDefault(declared) : (field.parse(declared) as T);
  }

  /** Throws the collected problems, if any; call after every read. */
  check(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }

  // Container platforms often pass a declared-but-unset variable as '', which means "use the default".
  private raw(name: string): string | typeof FILE_UNREADABLE | undefined {
    const value = this.env[name]?.trim();
    return value === '' || value === undefined ? this.fromFile(name) : value;
  }

  /** For a secret, the content of the file `<name>_FILE` names: where a swarm puts it (README, "A swarm of hosts"). */
  private fromFile(name: string): string | typeof FILE_UNREADABLE | undefined {
    if (!pipelineVariable(name).secret) return undefined;
    const file = this.env[`${name}_FILE`]?.trim();
    if (!file) return undefined;
    try {
      const content = fs.readFileSync(file, 'utf8').trim();
      return content === '' ? undefined : content;
    } catch (error) {
      this.problems.push(`${name}_FILE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      return FILE_UNREADABLE;
    }
  }

  private parse<T>(name: string, raw: string, field: Field<T>): T {
    const value = field.parse(raw);
    if (value === undefined) {
      const shown = field.secret ? '' : ` (got '${raw}')`;
      this.problems.push(`${name} is invalid${shown}: expected ${field.allowed}`);
    }
    return value as T;
  }
}

function readTopics(reader: EnvReader): { topic: string; dlqTopic: string } {
  const topic = reader.read('PIPELINE_TOPIC', topicName);
  // The declared default is `${PIPELINE_TOPIC}.dlq`, so setting only the topic moves the dead-letter topic with it.
  const dlqTopic = reader.read('PIPELINE_DLQ_TOPIC', topicName);
  if (topic !== undefined && topic === dlqTopic) {
    reader.problems.push(`PIPELINE_DLQ_TOPIC must differ from PIPELINE_TOPIC (both are '${topic}')`);
  }
  return { topic, dlqTopic };
}

const kafkaBrokers = (reader: EnvReader) => reader.read('PIPELINE_KAFKA_BOOTSTRAP_SERVERS', hostPortList('kafka:29092'));

const kafkaLogin = (reader: EnvReader): KafkaLogin => ({
  username: reader.read('PIPELINE_KAFKA_USERNAME', nonEmpty('a Kafka user name (SCRAM-SHA-512)')),
  password: reader.read('PIPELINE_KAFKA_PASSWORD', { ...nonEmpty("the user's password"), secret: true }),
});

function readPipeline(reader: EnvReader): PipelineConfig {
  const { topic, dlqTopic } = readTopics(reader);
  return {
    pgDsn: reader.read('PIPELINE_PG_DSN', postgresDsn),
    kafkaBrokers: kafkaBrokers(reader),
    kafkaLogin: kafkaLogin(reader),
    topic,
    dlqTopic,
    cassandra: {
      contactPoints: reader.read('PIPELINE_CASSANDRA_CONTACT_POINTS', hostPortList('cassandra:9042')),
      localDataCenter: reader.read('PIPELINE_CASSANDRA_DATACENTER', nonEmpty('a datacenter name')),
      username: reader.read('PIPELINE_CASSANDRA_USERNAME', nonEmpty('a Cassandra role name')),
      password: reader.read('PIPELINE_CASSANDRA_PASSWORD', { ...nonEmpty("the role's password"), secret: true }),
      keyspace: reader.read('PIPELINE_CASSANDRA_KEYSPACE', cqlIdentifier),
      table: reader.read('PIPELINE_CASSANDRA_TABLE', cqlIdentifier),
      consistency: reader.read('PIPELINE_CASSANDRA_CONSISTENCY', consistencyLevel),
    },
  };
}

/** What the replay job reads: it takes dead letters from one topic to the other, framed by the registry's schema. */
export interface ReplayConfig {
  readonly kafkaBrokers: string[];
  readonly kafkaLogin: KafkaLogin;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly schemaRegistryUrl: string;
}

/**
 * The registry's URL with the job's login in it (see withLogin): the URL, user and password are three variables, so
 * the URL alone, which messages may name, carries no password.
 */
function readRegistry(reader: EnvReader): string {
  const url = reader.read('PIPELINE_SCHEMA_REGISTRY_URL', httpUrl);
  const username = reader.read('PIPELINE_SCHEMA_REGISTRY_USERNAME', registryUsername);
  const password = reader.read('PIPELINE_SCHEMA_REGISTRY_PASSWORD', { ...nonEmpty("the registry user's password"), secret: true });
  return url === undefined || username === undefined || password === undefined ? '' : withLogin(url, username, password);
}

/** Configuration of the replay job. */
export function loadReplayConfig(env: Env): ReplayConfig {
  const reader = new EnvReader(env);
  const config: ReplayConfig = {
    kafkaBrokers: kafkaBrokers(reader),
    kafkaLogin: kafkaLogin(reader),
    ...readTopics(reader),
    schemaRegistryUrl: readRegistry(reader),
  };
  reader.check();
  return config;
}

/** What the pipeline-metrics job reads: the outbox, the topics, and the Spark job's checkpoint. */
export interface PipelineMetricsConfig {
  readonly pgDsn: string;
  readonly kafkaBrokers: string[];
  readonly kafkaLogin: KafkaLogin;
  readonly topic: string;
  readonly dlqTopic: string;
  /** The stream's checkpoint, as the Spark job writes it (the checkpoints volume is mounted at the same place). */
  readonly checkpointDir: string;
}

const absolutePath: Field<string> = {
  allowed: 'an absolute path, e.g. /checkpoints/users_created/spark_streams.created_users',
  parse: (raw) => (path.posix.isAbsolute(raw) ? path.posix.normalize(raw) : undefined),
};

/** Configuration of the pipeline-metrics job. */
export function loadPipelineMetricsConfig(env: Env): PipelineMetricsConfig {
  const reader = new EnvReader(env);
  const config: PipelineMetricsConfig = {
    pgDsn: reader.read('PIPELINE_PG_DSN', postgresDsn),
    kafkaBrokers: kafkaBrokers(reader),
    kafkaLogin: kafkaLogin(reader),
    ...readTopics(reader),
    checkpointDir: reader.read('PIPELINE_CHECKPOINT_DIR', absolutePath),
  };
  reader.check();
  return config;
}

/** Configuration of the verify job. */
export function loadPipelineConfig(env: Env): PipelineConfig {
  const reader = new EnvReader(env);
  const config = readPipeline(reader);
  reader.check();
  return config;
}

/**
 * Configuration of the bootstrap job. `scriptDir` is the directory of the running script: the schema file
 * ships beside the bundle, so its default location depends on where the job runs, not on the working directory.
 */
export function loadBootstrapConfig(env: Env, scriptDir: string): BootstrapConfig {
  const reader = new EnvReader(env);
  const config: BootstrapConfig = {
    ...readPipeline(reader),
    // Kafka's own limits: replication factor is an int16, partitions an int32.
    topicPartitions: reader.read('PIPELINE_TOPIC_PARTITIONS', positiveInteger(INT32_MAX)),
    topicReplication: reader.read('PIPELINE_TOPIC_REPLICATION', positiveInteger(32767)),
    schemaRegistryUrl: readRegistry(reader),
    schemaFile: reader.read('PIPELINE_SCHEMA_FILE', nonEmpty('a file path'), (declared) => path.join(scriptDir, declared)),
    cassandraReplication: reader.read('PIPELINE_CASSANDRA_REPLICATION', positiveInteger(INT32_MAX)),
    acceptFewerCassandraReplicas: reader.read('PIPELINE_CASSANDRA_ACCEPT_FEWER_REPLICAS', flag),
  };
  reader.check();
  return config;
}
