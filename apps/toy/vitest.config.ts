import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared';

export default defineConfig({
  // The tests run against the workspace packages' sources (no build step needed).
  ...sourceConditions,
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    setupFiles: ['src/test-setup.ts'],
    pool: 'forks',
  },
});
