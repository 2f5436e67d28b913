/** The end-to-end proof (scripts/e2e.sh): one deployment shared by tests that run in order. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  maxWorkers: 1,
  testTimeout: 60 * 60 * 1000,
};
