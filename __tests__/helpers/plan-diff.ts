import type { SynthesizedPlan } from './synth';

/**
 * Attributes a provider changes in place, per resource type: those its schema does not mark ForceNew (for the
 * docker provider, internal/provider/resource_docker_container.go and resource_docker_image.go). A change to any
 * other attribute replaces the resource: a container is destroyed and created again.
 */
const UPDATED_IN_PLACE: Readonly<Record<string, ReadonlySet<string>>> = {
  docker_container: new Set([
    'restart', 'memory', 'memory_swap', 'memory_reservation', 'cpu_shares', 'cpu_set', 'cpu_period', 'cpu_quota', 'wait',
    'wait_timeout', 'must_run', 'attach', 'logs', 'rm', 'start', 'max_retry_count', 'remove_volumes', 'destroy_grace_seconds',
    'container_read_refresh_timeout_milliseconds',
  ]),
  docker_image: new Set(['keep_locally', 'force_remove']),
};
/** Terraform's meta-arguments and cdktf's metadata: never a reason to replace. */
const META = new Set(['depends_on', 'lifecycle', 'provider', '//']);

const REFERENCE = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g;

/**
 * A resource's configuration as far as it decides replacement: in-place attributes dropped, and each reference
 * `${type.id.attribute}` replaced by what it stands for. A configured attribute (a name) is its value; a computed
 * one (an image id, a generated password) stands for the referenced resource's own configuration, which changes
 * exactly when that resource is replaced and the attribute becomes a new, unknown value.
 */
function replacingConfig(plan: SynthesizedPlan, type: string, id: string, depth = 0): unknown {
  if (depth > 8) throw new Error(`references nest too deep at ${type}.${id}`);
  const resource = (plan.resourcesOfType(type)[id] ?? {}) as Record<string, unknown>;
  const inPlace = UPDATED_IN_PLACE[type] ?? new Set<string>();
  const kept = Object.entries(withoutMeta(resource)).filter(([key]) => !inPlace.has(key));
  return resolve(plan, Object.fromEntries(kept), depth);
}

function resolve(plan: SynthesizedPlan, value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, type: string, id: string, attribute: string) => {
      const configured = (plan.resourcesOfType(type)[id] as Record<string, unknown> | undefined)?.[attribute];
      if (['string', 'number', 'boolean'].includes(typeof configured)) return String(resolve(plan, configured, depth + 1));
      return `<${attribute} of ${type} ${JSON.stringify(replacingConfig(plan, type, id, depth + 1))}>`;
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolve(plan, item, depth));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(plan, item, depth)]));
  }
  return value;
}

const withoutMeta = (resource: Record<string, unknown>) => Object.fromEntries(Object.entries(resource).filter(([key]) => !META.has(key)));

/** What `terraform apply` of `after` does to the resources of one type that `before` deployed, by resource name. */
export interface PlanChanges {
  /** Destroyed and created again (a container: stopped, its running work cut off). */
  readonly replaced: string[];
  readonly updatedInPlace: string[];
  readonly added: string[];
  readonly removed: string[];
}

/**
 * Compares two synthesized plans as Terraform would, resource by resource address, for one resource type. A
 * resource is named by its `name` attribute in `after` (in `before` when removed), or by its address.
 */
export function planChanges(before: SynthesizedPlan, after: SynthesizedPlan, type: string): PlanChanges {
  const ids = new Set([...Object.keys(before.resourcesOfType(type)), ...Object.keys(after.resourcesOfType(type))]);
  const changes: PlanChanges = { replaced: [], updatedInPlace: [], added: [], removed: [] };
  for (const id of ids) {
    const old = before.resourcesOfType(type)[id] as Record<string, unknown> | undefined;
    const current = after.resourcesOfType(type)[id] as Record<string, unknown> | undefined;
    const named = (current ?? old)?.name;
    const name = typeof named === 'string' ? named : `${type}.${id}`;
    if (!old) changes.added.push(name);
    else if (!current) changes.removed.push(name);
    else if (JSON.stringify(replacingConfig(before, type, id)) !== JSON.stringify(replacingConfig(after, type, id))) changes.replaced.push(name);
    else if (JSON.stringify(resolve(before, withoutMeta(old), 0)) !== JSON.stringify(resolve(after, withoutMeta(current), 0))) {
      changes.updatedInPlace.push(name);
    }
  }
  for (const list of Object.values(changes) as string[][]) list.sort();
  return changes;
}
