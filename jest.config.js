// Jest runs the TypeScript sources as native ES modules (NestJS 12 ships only ESM):
// @swc/jest compiles each file, keeping decorator metadata for Nest's DI.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/libs', '<rootDir>/apps', '<rootDir>/projections'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'es6' },
      },
    ],
  },
  testTimeout: 60_000,
  // Test files share one embedded Postgres cluster per file; two workers fit the 2-core machines.
  maxWorkers: 2,
  verbose: true,
};
