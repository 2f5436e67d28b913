/**
 * The pipeline's environment variables as jobs/contract/variables.json declares them: names, defaults and who
 * reads each. The constructs and the TypeScript jobs take names and defaults from here; the Python jobs read the
 * same file (pipeline_contract), and tests check docs/pipeline.md and every reader against it.
 */
import declaration from '../contract/variables.json';

/** A part of the pipeline whose code reads variables. */
export type Component = keyof typeof declaration.components;

export interface PipelineVariable {
  readonly name: string;
  /** The value when unset or empty; `${NAME}` stands for another variable's value. Undefined: required. */
  readonly default?: string;
  readonly readBy: readonly Component[];
  /** Whether StreamingPlatform sets it; otherwise the default applies. */
  readonly setByPlatform: boolean;
  /** It holds a secret, which a job also reads from the file `<NAME>_FILE` names (a swarm mounts secrets as files). */
  readonly secret: boolean;
}

/** Each component and how docs/pipeline.md names it. */
export const COMPONENTS: Readonly<Record<Component, string>> = declaration.components;

const isComponent = (name: string): name is Component => Object.keys(COMPONENTS).includes(name);

export const PIPELINE_VARIABLES: readonly PipelineVariable[] = declaration.variables.map((entry) => {
  const unknown = entry.readBy.filter((component) => !isComponent(component));
  if (unknown.length > 0) throw new Error(`variables.json: ${entry.name} is read by undeclared components ${unknown.join(', ')}`);
  return {
    name: entry.name,
    default: entry.default ?? undefined,
    readBy: entry.readBy.filter(isComponent),
    setByPlatform: entry.setByPlatform,
    secret: 'secret' in entry && entry.secret === true,
  };
});

/** Variables by name, as the jobs receive them. */
type Environment = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Z0-9_]+)\}/g;

export function pipelineVariable(name: string): PipelineVariable {
  const variable = PIPELINE_VARIABLES.find((v) => v.name === name);
  if (!variable) throw new Error(`${name} is not declared in jobs/contract/variables.json`);
  return variable;
}

/**
 * The declared default of `name`, undefined for a required variable. A `${OTHER}` in it is OTHER's value in `env`
 * (unset or empty: OTHER's own default).
 */
export function declaredDefault(name: string, env: Environment = {}): string | undefined {
  return pipelineVariable(name).default?.replace(REFERENCE, (_, other: string) => env[other]?.trim() || defaultOf(other, env));
}

/** The declared default of a variable that has one. */
export function defaultOf(name: string, env: Environment = {}): string {
  const value = declaredDefault(name, env);
  if (value === undefined) throw new Error(`${name} has no default: jobs/contract/variables.json declares it required`);
  return value;
}
