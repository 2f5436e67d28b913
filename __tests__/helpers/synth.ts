import { Testing } from 'cdktf';
import { PlatformStack, PlatformStackProps } from '../../constructs';

/** A synthesized resource or block: Terraform's JSON, whose shape each test asserts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized JSON is schemaless; tests assert its shape
export type PlanResource = Record<string, any>;

/** The synthesized stack's JSON. */
export interface PlanJson {
  readonly resource: Record<string, Record<string, PlanResource>>;
  readonly output: Record<string, PlanResource>;
  readonly [block: string]: unknown;
}

/** A synthesized stack, parsed once, with the few look-ups the tests need. */
export interface SynthesizedPlan {
  /** The synthesized JSON text, as Terraform reads it. */
  readonly text: string;
  readonly json: PlanJson;
  readonly stack: PlatformStack;
  /** Resources of one type, keyed by their logical id. */
  resourcesOfType(type: string): Record<string, PlanResource>;
  /** The docker_container resource whose `name` is `name` (container names are literal strings). */
  container(name: string): PlanResource;
  /** Every docker_container resource. */
  containers(): PlanResource[];
}

/** Synthesizes a platform stack, running `addValidation` checks as `cdktf synth` does. */
export function synthPlatform(props: PlatformStackProps = {}): SynthesizedPlan {
  const app = Testing.app();
  const stack = new PlatformStack(app, 'test', { dockerHost: 'unix:///var/run/docker.sock', ...props });
  const text = Testing.synth(stack, true);
  const json = JSON.parse(text) as PlanJson;
  const resourcesOfType = (type: string): Record<string, PlanResource> => json.resource[type] ?? {};
  const containers = (): PlanResource[] => Object.values(resourcesOfType('docker_container'));
  return {
    text,
    json,
    stack,
    resourcesOfType,
    containers,
    container: (name: string) => {
      const found = containers().find((c) => c.name === name);
      if (!found) throw new Error(`no container named ${name}; have ${containers().map((c) => c.name).join(', ')}`);
      return found;
    },
  };
}

/** The Terraform address (`type.logical_id`) of a container, for depends_on and references. */
export function addressOf(plan: SynthesizedPlan, containerName: string): string {
  const [id] = Object.entries(plan.resourcesOfType('docker_container')).find(([, c]) => c.name === containerName) ?? [];
  if (!id) throw new Error(`no container named ${containerName}`);
  return `docker_container.${id}`;
}

/**
 * Every resource address a container waits for: explicit depends_on plus references in its config, and what a
 * referenced `terraform_data` waits for (a readiness gate such as the broker's).
 */
export function dependenciesOf(plan: SynthesizedPlan, containerName: string): string[] {
  const gates = plan.resourcesOfType('terraform_data');
  const direct = (resource: PlanResource): string[] => {
    const { depends_on: dependsOn = [], ...rest } = resource;
    const references = [...JSON.stringify(rest).matchAll(/\$\{([a-z_]+\.[A-Za-z0-9_-]+)\./g)].map((m) => m[1]);
    return [...dependsOn.map((d: string) => d.replace(/^\$\{|\}$/g, '')), ...references];
  };
  const viaGates = (address: string): string[] => {
    const gate = address.startsWith('terraform_data.') ? gates[address.slice('terraform_data.'.length)] : undefined;
    return gate ? [address, ...direct(gate).flatMap(viaGates)] : [address];
  };
  return [...new Set(direct(plan.container(containerName)).flatMap(viaGates))];
}
