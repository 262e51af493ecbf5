import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Browser and Node: `webgpu` (Dawn) is imported only in Node, by a computed specifier.
  platform: 'neutral',
  external: [/^@tensorflow\//, 'webgpu'],
});
