import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Both stay peers of the user's install: one tfjs-core engine, one @rotograd/core.
  external: ['@tensorflow/tfjs-core', '@rotograd/core'],
});
