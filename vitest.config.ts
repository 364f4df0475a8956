import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-pg.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // one PostgreSQL cluster for the run; each test file gets its own database
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          // s3rver (the S3 server of the default suite) signs list continuation tokens with DES,
          // which OpenSSL 3 only offers through its legacy provider
          execArgv: ['--openssl-legacy-provider'],
        },
      },
      // conformance suites need tools a fresh machine does not have (PgBouncer): .ci/run runs them
      ...(process.env.PW_CONFORMANCE === '1'
        ? [{ test: { name: 'conformance', include: ['test/conformance/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000, sequence: { groupOrder: 2 } } }]
        : []),
      // a real Citus cluster (Debian's PostgreSQL 15 + Citus built by .ci/citus-tools.sh): .ci/run runs it
      ...(process.env.PW_CITUS === '1'
        ? [{ test: { name: 'citus', include: ['test/citus/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000, sequence: { groupOrder: 4 } } }]
        : []),
      // the Lease suite needs a Kubernetes API server: .ci/kube-checks.sh starts one and runs it
      ...(process.env.PW_KUBE === '1'
        ? [{ test: { name: 'kube', include: ['test/kube/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false, sequence: { groupOrder: 3 } } }]
        : []),
    ],
  },
});
