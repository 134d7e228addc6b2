import { swcOptions } from './swc.config.mjs';

const { jsc, sourceMaps } = swcOptions({ forJest: true });

/** What both passes share. */
const project = {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { ...jsc, paths: undefined, baseUrl: undefined }, sourceMaps, module: { type: 'es6' } }],
    // @fastify/static (Swagger UI's files on Fastify) require()s the ESM-only content-disposition 3. Node 20.19+
    // loads that natively; jest's module loader does not, so the one package is compiled to CommonJS for tests.
    // The same for the ESM-only @apidevtools/json-schema-ref-parser, which @apidevtools/swagger-parser require()s.
    '/node_modules/(.+/)?(content-disposition|@apidevtools/json-schema-ref-parser)/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(.+/)?(content-disposition|@apidevtools/json-schema-ref-parser)/)'],
  moduleNameMapper: {
    '^@app/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // One PostgreSQL and one PgBouncer for the whole run (jest runs a setup module once, however many projects name it).
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
};

/** @type {import('jest').Config} */
export default {
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    {
      ...project,
      displayName: 'postgres',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    {
      // The core suites a second time, with DATABASE_URL through PgBouncer in transaction mode (DESIGN.md "Poolers"):
      // createTestApp reads TEST_THROUGH_PGBOUNCER and checks PgBouncer really has the app as a client.
      ...project,
      displayName: 'pgbouncer',
      testMatch: ['<rootDir>/test/limits/**/*.e2e-spec.ts', '<rootDir>/test/webhooks/**/*.e2e-spec.ts', '<rootDir>/test/billing/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/setup/through-pgbouncer.ts'],
    },
  ],
};
