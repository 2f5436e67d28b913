/** The swarm target's proof (scripts/e2e-swarm.sh): three hosts on this machine, apart from the default run. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/e2e'],
  testMatch: ['**/swarm.proof.test.ts'],
  maxWorkers: 1,
  testTimeout: 60 * 60 * 1000,
};
