/**
 * `npm run status [-- --json] [--max-lag RECORDS] [--max-outbox-age SECONDS]`: every service of the running
 * platform (health, uptime, memory against its limit, restarts) and the pipeline (users in PostgreSQL and
 * waiting in the outbox, the Spark job's lag, rows in Cassandra, dead letters by reason), read through the
 * engine, the published ports and the stack's outputs. Exits 0 when every service is healthy (each one-shot
 * container finished with 0), every figure could be read and the pipeline is within the bounds; 1 otherwise;
 * 2 for a bad argument. Starts nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'node:util';
import { STACK_DIRECTORY, stackOutputs } from '../ops/deployment';
import { chooseEngine, dockerEngineProbe, NoEngineError } from '../ops/engine';
import { readPipelineStatus, type SparkJobSettings } from '../ops/pipeline-status';
import { terraformEnvironment } from '../ops/platform-env';
import { readServices, type InspectedContainer } from '../ops/service-status';
import { stackContainers } from '../ops/stack-containers';
import { assessStatus, DEFAULT_BOUNDS, formatStatus, statusJson, type StatusBounds } from '../ops/status-report';
import { readUpState, upStateFile } from '../ops/up-state';

export interface StatusOptions {
  readonly json: boolean;
  readonly bounds: StatusBounds;
}

export const STATUS_USAGE = `usage: npm run status [-- --json] [--max-lag RECORDS (default ${DEFAULT_BOUNDS.maxLagRecords})] [--max-outbox-age SECONDS (default ${DEFAULT_BOUNDS.maxOutboxAgeSeconds})]`;

export class UsageError extends Error {}

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${flag} must be a whole number, got '${raw}'\n${STATUS_USAGE}`);
  return Number(raw);
}

export function parseStatusArgs(args: readonly string[]): StatusOptions {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean', default: false }, 'max-lag': { type: 'string' }, 'max-outbox-age': { type: 'string' } },
    }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${STATUS_USAGE}`);
  }
  return {
    json: values.json,
    bounds: {
      maxLagRecords: wholeNumber('max-lag', values['max-lag'], DEFAULT_BOUNDS.maxLagRecords),
      maxOutboxAgeSeconds: wholeNumber('max-outbox-age', values['max-outbox-age'], DEFAULT_BOUNDS.maxOutboxAgeSeconds),
    },
  };
}

/**
 * The Spark job's driver: the container that runs spark-submit (the Airflow and bootstrap containers get the
 * same PIPELINE_* variables, so the environment alone does not tell), with its environment.
 */
export function findSparkJob(inspected: ReadonlyMap<string, InspectedContainer>): SparkJobSettings | undefined {
  for (const [name, container] of inspected) {
    if (!(container.Config.Cmd ?? []).some((part) => part.endsWith('/spark-submit') || part === 'spark-submit')) continue;
    const env = Object.fromEntries((container.Config.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    return { container: name, env };
  }
  return undefined;
}

/** A status that could not be taken at all (no engine, nothing deployed), in the form asked for. */
function unavailable(options: StatusOptions, problem: string): number {
  if (options.json) console.log(JSON.stringify({ ok: false, services: [], pipeline: null, bounds: options.bounds, problems: [problem] }));
  else console.log(`status: NOT OK\n  - ${problem}`);
  return 1;
}

export async function status(args: readonly string[]): Promise<number> {
  let options: StatusOptions;
  try {
    options = parseStatusArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (!fs.existsSync(path.join(STACK_DIRECTORY, '.terraform'))) {
    return unavailable(options, 'the stack was never initialised in this checkout: nothing is deployed from it (`npm run up`)');
  }
  try {
    const engine = await chooseEngine(process.env, dockerEngineProbe, { mayStart: false, previous: readUpState(upStateFile())?.dockerHost });
    process.env.DOCKER_HOST = engine.dockerHost;
  } catch (error) {
    if (error instanceof NoEngineError) return unavailable(options, error.message);
    throw error;
  }
  // Already set under scripts/with-platform.sh; otherwise the cached build (install-terraform.sh says nothing unless it fails).
  if (!process.env.TERRAFORM_BINARY_NAME) Object.assign(process.env, await terraformEnvironment(process.env, true));
  const containers = stackContainers();
  const { services, inspected } = readServices(containers);
  const pipeline = containers.length > 0 ? await readPipelineStatus(stackOutputs(), findSparkJob(inspected)) : undefined;
  if (pipeline === undefined) return unavailable(options, 'the stack holds no container: nothing is deployed (`npm run up`)');
  const report = assessStatus(services, pipeline, options.bounds);
  console.log(options.json ? statusJson(report) : formatStatus(report));
  return report.ok ? 0 : 1;
}
