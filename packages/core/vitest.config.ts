import { defineConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared';

export default defineConfig(
  packageTestConfig({
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['@rotograd/testing/setup-backend'],
  }),
);
