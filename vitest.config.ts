import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real OpenSearch, ElasticMQ and moto on loopback (FILESEARCH_TEST_SERVERS=none: none).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests spawn the real CLI; two cores, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
