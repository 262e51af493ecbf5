// Runs the built package in plain Node (no vitest, no bundler): WebGPU through Dawn selects and
// computes (on Mesa's llvmpipe where there is no GPU, hence the compatibility feature level).
import assert from 'node:assert/strict';
import { useWebGPUBackend } from '@rotograd/backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';

const choice = await useWebGPUBackend({ featureLevel: 'compatibility' });
assert.equal(tf.getBackend(), 'webgpu');
assert.ok(globalThis.navigator?.gpu, 'navigator.gpu is provided');
const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
assert.deepEqual(Array.from(await y.data()), [11]);
console.log(`plain Node: webgpu through ${choice.source} on ${choice.adapter.description}`);
