import { defineConfig } from 'tsup';

export default defineConfig({
  // cli: the app; toy-problem: the problem definition that apps/web imports.
  entry: ['src/cli.ts', 'src/toy-problem.ts'],
  format: ['esm'],
  dts: { entry: ['src/toy-problem.ts'] },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // The shared example helpers are TypeScript sources of a private workspace package: bundled.
  noExternal: ['@rotograd/example-kit'],
});
