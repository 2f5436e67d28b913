/**
 * The replicated profile's proof on its own deployment (`npm run test:replicated`, scripts/e2e-replicated.sh): apart
 * from the default test command, whose single-node suite already takes most of an hour on two cores (README, "Test").
 */
import * as fs from 'fs';
import * as path from 'path';
import { destroy, docker, leftovers, PREFIX, removeVolumes } from '../../ops/deployment';
import { replicatedTests } from './replicated';

const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts', 'e2e-replicated');
const figures: Record<string, unknown> = {};

beforeAll(() => {
  // From nothing: a stack or volumes left by another run would hold users the rounds do not expect.
  const left = leftovers([]);
  const containers = docker('ps', '-a', '--format', '{{.Names}}').split('\n').filter((name) => name.startsWith(`${PREFIX}-`));
  expect({ containers, networks: left.networks, volumes: left.volumes }).toEqual({ containers: [], networks: [], volumes: [] });
});

afterAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2));
  // A failed round must not leave the stack running, nor its data for the next run to find.
  const running = docker('ps', '-a', '--format', '{{.Names}}').split('\n').some((name) => name.startsWith(`${PREFIX}-`));
  if (running) {
    process.env.KP_PROFILE = 'replicated';
    await destroy('replicated-destroy-after-failure').catch(() => undefined);
    removeVolumes(leftovers([]).volumes);
  }
});

replicatedTests(figures);
