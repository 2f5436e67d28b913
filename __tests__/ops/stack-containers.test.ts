import { containersInState } from '../../ops/stack-containers';

test("containersInState: the docker_container resources of terraform show -json, one-shots by must_run = false", () => {
  const show = {
    values: {
      root_module: {
        resources: [
          { type: 'docker_container', values: { name: 'kp-kafka', must_run: true } },
          { type: 'docker_volume', values: { name: 'kp-kafka-data' } },
          { type: 'docker_container', values: { name: 'kp-bootstrap', must_run: false } },
          { type: 'random_password', values: { result: 'secret' } },
        ],
        child_modules: [{ resources: [{ type: 'docker_container', values: { name: 'kp-airflow-init', must_run: false } }] }],
      },
    },
  };
  expect(containersInState(show)).toEqual([
    { name: 'kp-airflow-init', oneShot: true },
    { name: 'kp-bootstrap', oneShot: true },
    { name: 'kp-kafka', oneShot: false },
  ]);
  // An empty state (after a destroy) has no values at all.
  expect(containersInState({})).toEqual([]);
});
