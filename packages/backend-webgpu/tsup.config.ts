import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig({
  ...libraryBuild,
  // Browser and Node: `webgpu` (Dawn) is imported only in Node, by a computed specifier.
  platform: 'neutral',
  external: [/^@tensorflow\//, 'webgpu'],
});
