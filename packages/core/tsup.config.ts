import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core's gradient registrations ship as extensionless ESM that plain Node cannot load, so
  // they are bundled into our dist (see src/register-gradients.ts). Everything else of tfjs-core
  // stays an external peer.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  external: ['@tensorflow/tfjs-core'],
});
