/**
 * Vitest setup: selects the backend named by ROTOGRAD_TEST_BACKEND (default `cpu`).
 * `wasm` loads its binaries from the installed @tensorflow/tfjs-backend-wasm package.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const backend = process.env.ROTOGRAD_TEST_BACKEND ?? 'cpu';
if (backend === 'wasm') {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(`${pathToFileURL(`${dir}/dist`).href}/`);
}
const ok = await tf.setBackend(backend);
if (!ok) throw new Error(`ROTOGRAD_TEST_BACKEND=${backend}: the backend could not be initialised`);
await tf.ready();
