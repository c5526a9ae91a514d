/** Unit specs live beside the code; end-to-end tests live in test/ and share one PostgreSQL. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];

// The e2e project starts one PostgreSQL for the whole run; see test/setup/.
const fs = require('node:fs');
const e2eSetup = fs.existsSync(`${__dirname}/test/setup/global-setup.ts`)
  ? {
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    }
  : {};

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      ...e2eSetup,
    },
  ],
};
