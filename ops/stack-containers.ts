/**
 * The containers the deployed stack holds, from Terraform's state (`terraform show -json`), so that a
 * container missing from the engine shows as missing instead of silently not being listed.
 */
import { execFileSync } from 'child_process';
import { STACK_DIRECTORY } from './deployment';

export interface StackContainer {
  readonly name: string;
  /** A one-shot container (bootstrap, airflow-init): it must have exited 0, not be running. */
  readonly oneShot: boolean;
}

interface ShowModule {
  readonly resources?: ReadonlyArray<{ readonly type: string; readonly values?: { readonly name?: unknown; readonly must_run?: unknown } }>;
  readonly child_modules?: readonly ShowModule[];
}

/** The docker_container resources of `terraform show -json`'s answer, in name order. */
export function containersInState(show: { readonly values?: { readonly root_module?: ShowModule } }): StackContainer[] {
  const found: StackContainer[] = [];
  const visit = (module: ShowModule | undefined): void => {
    for (const resource of module?.resources ?? []) {
      if (resource.type !== 'docker_container' || typeof resource.values?.name !== 'string') continue;
      // The platform sets must_run = false on its one-shot containers only.
      found.push({ name: resource.values.name, oneShot: resource.values.must_run === false });
    }
    for (const child of module?.child_modules ?? []) visit(child);
  };
  visit(show.values?.root_module);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The stack's containers, read from its state with terraform (TERRAFORM_BINARY_NAME, else on PATH). */
export function stackContainers(): StackContainer[] {
  const text = execFileSync(process.env.TERRAFORM_BINARY_NAME ?? 'terraform', [`-chdir=${STACK_DIRECTORY}`, 'show', '-json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return containersInState(JSON.parse(text) as Parameters<typeof containersInState>[0]);
}
