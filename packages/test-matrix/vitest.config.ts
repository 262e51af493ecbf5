import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared';

// The matrix's own suite (the leak tests), run by src/run-matrix.mjs on every backend.
export default defineConfig({
  ...sourceConditions,
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['@rotograd/testing/setup-backend'],
    testTimeout: 300_000,
    pool: 'forks',
  },
});
