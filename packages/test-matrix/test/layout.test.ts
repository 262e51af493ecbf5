import { type Module, RotoGrad, WASM_BATCH_MAX_SIZE } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it, vi } from 'vitest';

/**
 * Which layout the K rotations get on the backend the matrix selected (`setBatchStrategy('auto')`):
 * one `[K, n, n]` batch, or K separate `[n, n]` matrices. Batched everywhere except on cpu, and
 * on wasm (with @rotograd/backend-node's kernels, as the matrix runs it) above
 * `WASM_BATCH_MAX_SIZE`, where batching measured no faster than a loop of 2-D products.
 */
function problem(n: number, k: number) {
  const w = tf.randomNormal([4, n], 0, 0.5, 'float32', 1);
  const backbone: Module = { apply: (x) => tf.matMul(x as tf.Tensor2D, w), trainableVariables: [] };
  const heads = Array.from({ length: k }, (_, i) => {
    const h = tf.variable(tf.randomNormal([n, 1], 0, 0.5, 'float32', 10 + i));
    return { apply: (z: tf.Tensor) => tf.matMul(z as tf.Tensor2D, h), trainableVariables: [h] };
  });
  const x = tf.randomNormal([8, 4], 0, 1, 'float32', 2);
  const lossFn = (preds: tf.Tensor[]) => preds.map((p) => tf.mean(tf.square(p)) as tf.Scalar);
  const dispose = () => tf.dispose([w, x, ...heads.flatMap((h) => h.trainableVariables)]);
  return { backbone, heads, x, lossFn, dispose };
}

it.each([16, 128])(`picks the rotations' layout on ${tf.getBackend()} (n = %i, K = 3)`, (n) => {
  const p = problem(n, 3);
  const model = new RotoGrad(p.backbone, p.heads, { rotationShape: n, seed: 0 });
  const spy = vi.spyOn(tf.engine(), 'runKernel');
  model.computeGradients(p.x, p.lossFn).dispose();
  const shapes = spy.mock.calls
    .filter(([name]) => name === 'BatchMatMul')
    .map(([, inputs]) => (inputs as { a: tf.Tensor }).a.shape.join());
  spy.mockRestore();
  const backend = tf.getBackend();
  const batched = backend !== 'cpu' && !(backend === 'wasm' && n > WASM_BATCH_MAX_SIZE);
  // The exponential's products: [3, n, n] batches, or [n, n] matrices three times as many.
  const batches = shapes.filter((s) => s === `3,${n},${n}`).length;
  const singles = shapes.filter((s) => s === `${n},${n}`).length;
  if (batched) {
    expect(batches).toBeGreaterThanOrEqual(5);
    expect(singles).toBe(0);
  } else {
    expect(batches).toBe(0);
    expect(singles).toBeGreaterThanOrEqual(15);
  }
  model.dispose();
  p.dispose();
});
