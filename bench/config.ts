/** The benchmark's settings from the environment (README "Benchmarks"), checked where they enter. */

/** Users per DAG run at most: the DAG's batch_size param's maximum (dags/pipeline/config.py MAX_BATCH_SIZE). */
export const MAX_DAG_USERS = 5000;

export interface Burst {
  readonly users: number;
  /** Runs of this burst per column. */
  readonly repeats: number;
}

/** A deployment the benchmark measures: a platform profile and, for its Cassandra, the commit log's sync mode. */
export interface BenchDeployment {
  /** `profile` or `profile/commitlogSync`, as KP_BENCH_DEPLOYMENTS names it. */
  readonly name: string;
  readonly profile: 'single' | 'replicated';
  /** @default - the platform's default, periodic */
  readonly commitlogSync?: 'periodic' | 'group';
}

export interface BenchConfig {
  /**
   * The deployments measured one after another, each with every figure below, side by side in the last table
   * (KP_BENCH_DEPLOYMENTS: `PROFILE` or `PROFILE/COMMITLOG`, e.g. `single,replicated,replicated/group`).
   * @default single, replicated
   */
  readonly deployments: readonly BenchDeployment[];
  /** Runs of each figure on the one deployment (KP_BENCH_REPEATS). @default 3 */
  readonly repeats: number;
  /** Burst sizes, each with its runs (KP_BENCH_BURSTS, `USERS` or `USERSxRUNS`). @default 20,000 × repeats and 100,000 × 1 */
  readonly bursts: readonly Burst[];
  /** Users/s of the paced stream (KP_BENCH_RATE). @default 200 */
  readonly rate: number;
  /** Its seconds (KP_BENCH_SECONDS). @default 30 */
  readonly seconds: number;
  /** Concurrency levels of the raw cassandra-driver writes (KP_BENCH_CONCURRENCIES). @default 64, 256, 1024 */
  readonly concurrencies: readonly number[];
  /** Users fetched by each measured DAG run (KP_BENCH_DAG_USERS, at most 5,000). @default 5000 */
  readonly dagUsers: number;
  /** Seconds of each idle window that prices the observer (KP_BENCH_IDLE_SECONDS). @default 20 */
  readonly idleSeconds: number;
  /** Leave the stack up afterwards (KP_BENCH_KEEP=true). @default false */
  readonly keep: boolean;
}

/** The names before KP_BENCH_*: refused, so a run never silently ignores a setting. */
const RENAMED: Record<string, string> = {
  BENCH_USERS: 'KP_BENCH_BURSTS',
  BENCH_RATE: 'KP_BENCH_RATE',
  BENCH_SECONDS: 'KP_BENCH_SECONDS',
  BENCH_CONCURRENCIES: 'KP_BENCH_CONCURRENCIES',
  BENCH_KEEP: 'KP_BENCH_KEEP',
};

function wholeNumber(name: string, raw: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new Error(`${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got '${raw}'`);
  }
  return Number(raw);
}

export function benchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  for (const [old, current] of Object.entries(RENAMED)) {
    if (env[old] !== undefined) throw new Error(`${old} is now ${current} (README "Benchmarks")`);
  }
  const setting = (name: string, fallback: string) => (env[name] === undefined || env[name] === '' ? fallback : env[name]);
  const repeats = wholeNumber('KP_BENCH_REPEATS', setting('KP_BENCH_REPEATS', '3'));
  const list = (name: string, fallback: string) => setting(name, fallback).split(',').map((item) => item.trim());
  const bursts = list('KP_BENCH_BURSTS', '20000,100000x1').map((item) => {
    const match = /^(\d+)(?:x(\d+))?$/.exec(item);
    if (!match) throw new Error(`KP_BENCH_BURSTS must be burst sizes separated by commas, each USERS or USERSxRUNS (e.g. 20000,100000x1), got '${item}'`);
    return {
      users: wholeNumber('KP_BENCH_BURSTS (users)', match[1]),
      repeats: match[2] === undefined ? repeats : wholeNumber('KP_BENCH_BURSTS (runs)', match[2]),
    };
  });
  const keep = setting('KP_BENCH_KEEP', 'false');
  if (keep !== 'true' && keep !== 'false') throw new Error(`KP_BENCH_KEEP must be true or false, got '${keep}'`);
  const deployments = list('KP_BENCH_DEPLOYMENTS', 'single,replicated').map((name): BenchDeployment => {
    const match = /^(single|replicated)(?:\/(periodic|group))?$/.exec(name);
    if (!match) throw new Error(`KP_BENCH_DEPLOYMENTS must be deployments separated by commas, each single or replicated, optionally /periodic or /group (the commit log's sync), got '${name}'`);
    return { name, profile: match[1] as BenchDeployment['profile'], ...(match[2] ? { commitlogSync: match[2] as BenchDeployment['commitlogSync'] } : {}) };
  });
  if (new Set(deployments.map((d) => d.name)).size !== deployments.length) throw new Error(`KP_BENCH_DEPLOYMENTS names a deployment twice: '${setting('KP_BENCH_DEPLOYMENTS', '')}'`);
  return {
    deployments,
    repeats,
    bursts,
    rate: wholeNumber('KP_BENCH_RATE', setting('KP_BENCH_RATE', '200')),
    seconds: wholeNumber('KP_BENCH_SECONDS', setting('KP_BENCH_SECONDS', '30')),
    concurrencies: list('KP_BENCH_CONCURRENCIES', '64,256,1024').map((c) => wholeNumber('KP_BENCH_CONCURRENCIES', c)),
    dagUsers: wholeNumber('KP_BENCH_DAG_USERS', setting('KP_BENCH_DAG_USERS', '5000'), 1, MAX_DAG_USERS),
    idleSeconds: wholeNumber('KP_BENCH_IDLE_SECONDS', setting('KP_BENCH_IDLE_SECONDS', '20')),
    keep: keep === 'true',
  };
}
