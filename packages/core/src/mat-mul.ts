import * as tf from '@tensorflow/tfjs-core';
import { LINEAR_COMBINATION_KERNEL } from './linear-combination';

/**
 * How {@link matMul} evaluates a batch of products `[k, n, m] × [k, m, p]`:
 * `'batched'` as one batched `tf.matMul`, `'loop'` as `k` plain 2-D products (much faster on the
 * wasm backend's own kernels, whose batched product is ~10× slower than their 2-D one), `'auto'`
 * per backend ({@link batchStrategy}).
 */
export type BatchStrategy = 'auto' | 'batched' | 'loop';

let strategy: BatchStrategy = 'auto';

/**
 * Sets how batched matrix products are evaluated by RotoGrad's rotation math.
 * Default: `'auto'`: a loop of 2-D products on `cpu` and on `wasm` (see {@link batchStrategy}),
 * one batched product elsewhere.
 *
 * ```js
 * setBatchStrategy('batched');
 * ```
 */
export function setBatchStrategy(value: BatchStrategy): void {
  if (value !== 'auto' && value !== 'batched' && value !== 'loop') {
    throw new Error(`setBatchStrategy: expected 'auto', 'batched' or 'loop', got ${String(value)}`);
  }
  strategy = value;
}

/**
 * Largest matrix side for which `'auto'` batches on wasm with @rotograd/backend-node's kernels.
 * Measured there (RotoGrad, K = 8, A/B in one process): n = 16 12% faster batched, n = 64 2–3%,
 * n = 128 even; n = 256 9% slower while products ran on XNNPACK (each batched kernel streams all
 * K matrices, 2 MB per operand, through the cache, where a loop finishes one task's products
 * while they are in it), and even once they ran on backend-node's SIMD kernel (218 against
 * 217 ms). Above 64 batching gains nothing measured, so the loop stays.
 */
export const WASM_BATCH_MAX_SIZE = 64;

/**
 * The strategy in force for the current backend, for matrices whose largest side is `size`
 * (unknown: the largest). `'auto'` batches except on `cpu` and on `wasm`, where it batches only
 * with @rotograd/backend-node's kernels (`useWasmFastKernels`: a batch as 2-D products in one
 * call, without copies) and `size` ≤ {@link WASM_BATCH_MAX_SIZE}; then the K rotations are one
 * `[K, n, n]` batch, and every element-wise step one kernel call instead of K.
 *
 * ```js
 * batchStrategy(64); // 'batched' on webgpu
 * ```
 */
export function batchStrategy(size = Number.POSITIVE_INFINITY): 'batched' | 'loop' {
  if (strategy !== 'auto') return strategy;
  const backend = tf.getBackend();
  if (backend === 'cpu') return 'loop';
  if (backend === 'wasm') {
    // backend-node registers the fused sums together with its batched product.
    const fast = tf.getKernel(LINEAR_COMBINATION_KERNEL, 'wasm') !== undefined;
    return fast && size <= WASM_BATCH_MAX_SIZE ? 'batched' : 'loop';
  }
  return 'batched';
}

/**
 * Matrix product of two matrices or two equally batched stacks of matrices, without transposes
 * (the wasm backend runs transposed and batched products an order of magnitude slower).
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (
    a.rank === 3 &&
    b.rank === 3 &&
    a.shape[0]! > 1 &&
    batchStrategy(Math.max(...a.shape.slice(1), b.shape[2]!)) === 'loop'
  ) {
    return tf.tidy(() => {
      const as = tf.unstack(a);
      const bs = tf.unstack(b);
      return tf.stack(as.map((ai, i) => tf.matMul(ai as tf.Tensor2D, bs[i] as tf.Tensor2D)));
    });
  }
  return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
}
