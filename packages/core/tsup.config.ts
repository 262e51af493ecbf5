import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig({
  ...libraryBuild,
  // tfjs-core's gradient registrations ship as extensionless ESM that plain Node cannot load, so
  // they are bundled into our dist (see src/register-gradients.ts). Everything else of tfjs-core
  // stays an external peer.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
  external: ['@tensorflow/tfjs-core'],
});
