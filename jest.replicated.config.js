/** The replicated profile's end-to-end proof (scripts/e2e-replicated.sh): its own deployment, apart from the default run. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/e2e'],
  testMatch: ['**/replicated-profile.proof.test.ts'],
  maxWorkers: 1,
  testTimeout: 60 * 60 * 1000,
};
