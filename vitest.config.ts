import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests spawn the real CLI; two cores, so keep file parallelism modest.
    maxWorkers: 2,
  },
});
