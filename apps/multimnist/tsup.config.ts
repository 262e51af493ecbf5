import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // The shared example helpers are TypeScript sources of a private workspace package: bundled.
  noExternal: ['@rotograd/example-kit'],
});
