// Jest runs TypeScript as ESM through ts-jest (transpile only: `tsc --noEmit` type-checks separately).
const tsTransform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
};
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: tsTransform,
};

export default {
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'contract', testMatch: ['<rootDir>/contract/**/*.test.ts'] },
    { ...common, displayName: 'runtime', testMatch: ['<rootDir>/runtime/**/*.test.ts'] },
    {
      ...common,
      displayName: 'operator',
      testMatch: ['<rootDir>/operator/**/*.test.ts', '<rootDir>/hack/install/**/*.test.ts'],
      globalSetup: '<rootDir>/hack/controlplane/jest-global-setup.mjs',
      globalTeardown: '<rootDir>/hack/controlplane/jest-global-teardown.mjs',
    },
    {
      ...common,
      displayName: 'hack',
      testMatch: ['<rootDir>/hack/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/hack/install/'],
    },
  ],
};
