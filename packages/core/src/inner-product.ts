import * as tf from '@tensorflow/tfjs-core';
import { runOptionalKernel } from './optional-kernel';

/**
 * The name of an optional kernel: `Σ a ⊙ b` over every axis after the first `batchDims` (0 or 1)
 * in one pass (`@rotograd/backend-node` registers it on wasm). Contract: inputs `a`, `b` float32
 * of one shape, attr `batchDims`; output `[]` or `[a.shape[0]]`, equal to
 * `tf.sum(tf.mul(a, b), axes)` up to the order of summation.
 *
 * ```ts
 * tf.registerKernel({ kernelName: INNER_PRODUCT_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const INNER_PRODUCT_KERNEL = 'RotogradInnerProduct';

/**
 * `Σ a ⊙ b` over every axis after the first `batchDims`: the Frobenius inner product of two
 * tensors (`batchDims` 0, a scalar) or of each pair of a batch (1, `[batch]`); with `b = a`, the
 * squared norm. Where the backend registers {@link INNER_PRODUCT_KERNEL} one pass in SIMD
 * partial sums (rounding differs from `tf.sum` in the last places), elsewhere
 * `tf.sum(tf.mul(a, b))` (`tf.square` when `b` is `a`). Differentiable.
 *
 * ```js
 * const g = tf.tensor2d([[3, 0], [0, 4]]);
 * innerProducts(g, g).print();  // 25
 * ```
 */
export function innerProducts(a: tf.Tensor, b: tf.Tensor, batchDims: 0 | 1 = 0): tf.Tensor {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join()) {
    throw new Error(
      `innerProducts: expected a and b float32 of one shape, got ${a.dtype} [${a.shape}] and ${b.dtype} [${b.shape}]`,
    );
  }
  if (batchDims !== 0 && (batchDims !== 1 || a.rank < 1)) {
    throw new Error(
      `innerProducts: batchDims must be 0, or 1 for a tensor of rank ≥ 1, got ${String(batchDims)}`,
    );
  }
  const fused = runOptionalKernel(INNER_PRODUCT_KERNEL, { a, b }, { batchDims });
  if (fused) return fused;
  // An empty sum is 0 (WebGL and WebGPU reduce no elements as a failure, not as 0).
  if (a.size === 0) return tf.zeros(batchDims === 1 ? [a.shape[0]!] : []);
  const axes = Array.from({ length: a.rank - batchDims }, (_, i) => i + batchDims);
  return tf.tidy(() => tf.sum(a === b ? tf.square(a) : tf.mul(a, b), axes));
}
