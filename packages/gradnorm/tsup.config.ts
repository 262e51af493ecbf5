import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared';

export default defineConfig({
  ...libraryBuild,
  // Both stay peers of the user's install: one tfjs-core engine, one @rotograd/core.
  external: ['@tensorflow/tfjs-core', '@rotograd/core'],
});
