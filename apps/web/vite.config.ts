import { defineConfig } from 'vite';

const TFJS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  // @rotograd/core's sources import this deep path (it registers the gradients); pre-bundled with
  // the rest it shares their chunk of tfjs-core instead of bringing a second copy.
  '@tensorflow/tfjs-core/dist/register_all_gradients',
];

export default defineConfig({
  // The page imports the workspace packages as a user does (their built dist/); the end-to-end
  // test serves it with the `@rotograd/source` condition instead, so it needs no build.
  // One copy of tfjs-core for the page, the backends and @rotograd/core (tfjs keeps its
  // registries in module state): pre-bundle them together up front.
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  optimizeDeps: { include: TFJS },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
