import { DeployProgress, phaseOf } from '../../ops/deploy-progress';

test('phaseOf reads docker ps statuses', () => {
  expect(phaseOf('Up 3 seconds (health: starting)')).toBe('starting');
  expect(phaseOf('Up 2 minutes (healthy)')).toBe('healthy');
  expect(phaseOf('Up 5 minutes (unhealthy)')).toBe('unhealthy');
  expect(phaseOf('Up 10 seconds')).toBe('running');
  expect(phaseOf('Exited (0) 4 seconds ago')).toBe('done');
  expect(phaseOf('Exited (1) 4 seconds ago')).toBe('failed');
  expect(phaseOf('Restarting (1) 2 seconds ago')).toBe('restarting');
  expect(phaseOf('Created')).toBe('created');
  expect(phaseOf('Removal In Progress')).toBe('other');
});

describe('DeployProgress: each container waiting, then healthy with its time; a reminder after a quiet spell', () => {
  const t0 = 1_000_000;
  const at = (s: number) => t0 + s * 1000;

  test('a deploy as polls see it, line by line', () => {
    const progress = new DeployProgress(t0, 30_000);
    const lines = [
      ...progress.observe([], at(1)),
      ...progress.observe([], at(31)),
      ...progress.observe([{ name: 'kp-zookeeper', status: 'Up 1 second (health: starting)' }], at(40)),
      ...progress.observe([{ name: 'kp-zookeeper', status: 'Up 5 seconds (health: starting)' }], at(44)),
      ...progress.observe([{ name: 'kp-zookeeper', status: 'Up 12 seconds (healthy)' }, { name: 'kp-kafka', status: 'Created' }], at(52)),
      ...progress.observe([{ name: 'kp-zookeeper', status: 'Up 1 minute (healthy)' }, { name: 'kp-kafka', status: 'Up 30 seconds (health: starting)' }], at(90)),
      ...progress.observe([{ name: 'kp-zookeeper', status: 'Up 1 minute (healthy)' }, { name: 'kp-kafka', status: 'Up 40 seconds (health: starting)' }], at(121)),
      ...progress.observe(
        [{ name: 'kp-zookeeper', status: 'Up 2 minutes (healthy)' }, { name: 'kp-kafka', status: 'Up 50 seconds (healthy)' }, { name: 'kp-bootstrap', status: 'Exited (0) 1 second ago' }],
        at(130),
      ),
    ];
    expect(lines).toEqual([
      '  [  31 s] no container yet: Terraform is getting the images (pulling or building them)',
      '  [  40 s] kp-zookeeper             waiting (Up 1 second (health: starting))',
      '  [  52 s] kp-zookeeper             healthy after 12 s',
      '  [  52 s] kp-kafka                 waiting (Created)',
      '  [  90 s] kp-kafka                 waiting (Up 30 seconds (health: starting))',
      '  [ 121 s] still deploying: 1 ready, waiting for kp-kafka (69 s)',
      '  [ 130 s] kp-kafka                 healthy after 78 s',
      '  [ 130 s] kp-bootstrap             finished (exit 0)',
    ]);
  });

  test('an unhealthy container and a failed one-shot are named as such', () => {
    const progress = new DeployProgress(t0);
    progress.observe([{ name: 'kp-cassandra', status: 'Up 1 second (health: starting)' }], at(10));
    expect(progress.observe([{ name: 'kp-cassandra', status: 'Up 3 minutes (unhealthy)' }, { name: 'kp-bootstrap', status: 'Exited (1) 2 seconds ago' }], at(200))).toEqual([
      '  [ 200 s] kp-cassandra             unhealthy after 190 s: its health check fails, Terraform waits until its timeout',
      '  [ 200 s] kp-bootstrap             Exited (1) 2 seconds ago',
    ]);
  });
});
