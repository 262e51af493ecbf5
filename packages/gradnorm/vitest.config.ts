import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@rotograd/source'] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['@rotograd/testing/setup-backend'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
