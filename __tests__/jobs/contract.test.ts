import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadBootstrapConfig, loadPipelineConfig, loadPipelineMetricsConfig, loadReplayConfig, type Env } from '../../jobs/lib/config';
import { COMPONENTS, type Component, declaredDefault, defaultOf, PIPELINE_VARIABLES, pipelineVariable } from '../../jobs/lib/contract';
import declaration from '../../jobs/contract/variables.json';

const REPO = path.join(__dirname, '..', '..');
const SCRIPT_DIR = '/opt/job';

describe('jobs/contract/variables.json', () => {
  test('declares each variable once, with a default or as required, read by known components', () => {
    const names = PIPELINE_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(declaration.variables.map((v) => v.name));
    for (const variable of PIPELINE_VARIABLES) {
      expect(variable.name).toMatch(/^PIPELINE_[A-Z0-9_]+$/);
      expect(variable.readBy.length).toBeGreaterThan(0);
      if (variable.default !== undefined) expect(variable.default.trim()).not.toBe('');
    }
  });

  test('a default names only variables that have a default themselves', () => {
    for (const variable of PIPELINE_VARIABLES) {
      for (const [, other] of (variable.default ?? '').matchAll(/\$\{([^}]*)\}/g)) {
        expect(other).not.toBe(variable.name);
        expect(pipelineVariable(other).default).toBeDefined();
      }
    }
  });

  test('a default follows the variables it names', () => {
    expect(declaredDefault('PIPELINE_DLQ_TOPIC')).toBe('users_created.dlq');
    expect(declaredDefault('PIPELINE_DLQ_TOPIC', { PIPELINE_TOPIC: 'signups' })).toBe('signups.dlq');
    expect(declaredDefault('PIPELINE_DLQ_TOPIC', { PIPELINE_TOPIC: '  ' })).toBe('users_created.dlq');
    expect(declaredDefault('PIPELINE_PG_DSN')).toBeUndefined();
  });

  test('asking for an undeclared variable, or the default of a required one, is an error naming it', () => {
    expect(() => pipelineVariable('PIPELINE_NOPE')).toThrow('PIPELINE_NOPE is not declared in jobs/contract/variables.json');
    expect(() => defaultOf('PIPELINE_PG_DSN')).toThrow('PIPELINE_PG_DSN has no default: jobs/contract/variables.json declares it required');
  });
});

interface DocumentedVariable {
  readonly name: string;
  readonly readBy: Component[];
  readonly default?: string;
  readonly setByPlatform: boolean;
  readonly secret: boolean;
}

/** The rows of the Environment table of docs/pipeline.md. */
function documentedVariables(): DocumentedVariable[] {
  const text = fs.readFileSync(path.join(REPO, 'docs', 'pipeline.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Environment\n'));
  if (!section) throw new Error('docs/pipeline.md has no "## Environment" section');
  const byLabel = new Map(Object.entries(COMPONENTS).map(([component, label]) => [label, component as Component]));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [name, usedBy, defaultCell, platform] = line.split('|').slice(1, -1).map((cell) => cell.trim());
      // Parenthesised remarks explain a use, they do not name readers.
      const labels = usedBy.replace(/\([^)]*\)/g, '').split(',').map((label) => label.trim());
      const readBy = labels.flatMap((label) => {
        if (label === 'all') return Object.keys(COMPONENTS) as Component[];
        const component = byLabel.get(label);
        if (!component) throw new Error(`docs/pipeline.md: ${name} is used by '${label}', which is no component of variables.json`);
        return [component];
      });
      return {
        name: name.replace(/`/g, ''),
        readBy,
        default: defaultCell.startsWith('- (required') ? undefined : /^`([^`]+)`/.exec(defaultCell)?.[1],
        setByPlatform: /^yes\b/.test(platform),
        secret: /\ba secret\b/.test(platform),
      };
    });
}

test('docs/pipeline.md documents exactly the declared variables, readers, defaults and what the platform sets', () => {
  const declared = PIPELINE_VARIABLES.map((v) => ({ ...v, readBy: [...v.readBy].sort() }));
  const documented = documentedVariables().map((v) => ({ ...v, readBy: [...v.readBy].sort() }));
  expect(documented).toEqual(declared);
});

/** An environment that remembers every name looked up in it, set or not. */
function recording(env: Env): { env: Env; lookedUp: Set<string> } {
  const lookedUp = new Set<string>();
  const proxy = new Proxy(env, {
    get: (target, name) => {
      if (typeof name === 'string') lookedUp.add(name);
      return target[name as string];
    },
  });
  return { env: proxy, lookedUp };
}

// Valid values for the variables without a default.
const REQUIRED_VALUES: Record<string, string> = {
  PIPELINE_PG_DSN: 'postgresql://pipeline:s3cret@postgres:5432/pipeline',
  PIPELINE_KAFKA_BOOTSTRAP_SERVERS: 'kafka:29092',
  PIPELINE_KAFKA_USERNAME: 'bootstrap',
  PIPELINE_KAFKA_PASSWORD: 'kafka-s3cret',
  PIPELINE_SCHEMA_REGISTRY_URL: 'http://schema-registry:8081',
  PIPELINE_SCHEMA_REGISTRY_USERNAME: 'writer',
  PIPELINE_SCHEMA_REGISTRY_PASSWORD: 'registry-s3cret',
  PIPELINE_CASSANDRA_CONTACT_POINTS: 'cassandra:9042',
  PIPELINE_CASSANDRA_USERNAME: 'bootstrap',
  PIPELINE_CASSANDRA_PASSWORD: 'cassandra-s3cret',
};

const READERS: [Component, (env: Env) => unknown][] = [
  ['bootstrap', (env) => loadBootstrapConfig(env, SCRIPT_DIR)],
  ['verify', loadPipelineConfig],
  ['replay', loadReplayConfig],
  ['pipeline-metrics', loadPipelineMetricsConfig],
];

const declaredFor = (component: Component) => PIPELINE_VARIABLES.filter((v) => v.readBy.includes(component));
const requiredEnv = (component: Component): Env =>
  Object.fromEntries(declaredFor(component).filter((v) => v.default === undefined).map((v) => [v.name, REQUIRED_VALUES[v.name]]));

describe.each(READERS)('the %s job', (component, load) => {
  test('reads exactly the variables declared as read by it', () => {
    const { env, lookedUp } = recording(requiredEnv(component));
    load(env);
    expect([...lookedUp].sort()).toEqual(declaredFor(component).map((v) => v.name).sort());
  });

  test('requires exactly the variables declared without a default', () => {
    for (const variable of declaredFor(component).filter((v) => v.default === undefined)) {
      const { [variable.name]: _omitted, ...env } = requiredEnv(component);
      expect(() => load(env)).toThrow(`${variable.name} is required`);
    }
  });

  test('behaves the same when every declared default is set explicitly', () => {
    // The schema file's default is relative to the job's folder; set explicitly, it is the placed path.
    const placed = (name: string, value: string) => (name === 'PIPELINE_SCHEMA_FILE' ? path.join(SCRIPT_DIR, value) : value);
    const defaults = Object.fromEntries(
      declaredFor(component).filter((v) => v.default !== undefined).map((v) => [v.name, placed(v.name, defaultOf(v.name))]),
    );
    expect(load({ ...requiredEnv(component), ...defaults })).toEqual(load(requiredEnv(component)));
  });
});
