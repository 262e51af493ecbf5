import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared';

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    // Each test file chooses a backend in a fresh process: tfjs-core's engine is global.
    pool: 'forks',
  },
});
