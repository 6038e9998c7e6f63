// One runner for everything: swc strips types (fast), `npm run build` type-checks once.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// Workspace packages resolve to their sources so unit tests never need a build.
const moduleNameMapper = {
  '^@tributary/client$': '<rootDir>/clients/ts/src',
  '^@tributary/(auth|errors|proto|record-batch|registry|service-kit|telemetry|test-kit|topic-config)$':
    '<rootDir>/packages/$1/src',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  // testTimeout is a global option (jest ignores it inside a project): integration tests wait on
  // real processes and leases, unit tests never come near it.
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,services,clients}/**/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      // Integration suites start real etcd and service processes; scripts/test.mjs runs them
      // one file at a time (--runInBand) so timings on a 2-core machine stay meaningful.
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // Kafka's real clients and tools have their own suite (npm run test:kafka-compat).
      testPathIgnorePatterns: [
        '<rootDir>/test/kafka-compat/',
        '<rootDir>/test/observability/',
        '<rootDir>/test/security/',
      ],
    },
    {
      ...common,
      displayName: 'kafka-compat',
      testMatch: ['<rootDir>/test/kafka-compat/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'observability',
      // Real Jaeger and Prometheus (npm run test:observability).
      testMatch: ['<rootDir>/test/observability/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'security',
      // TLS, authentication and ACLs (npm run test:security, issue 20).
      testMatch: ['<rootDir>/test/security/**/*.test.ts'],
    },
  ],
};
