import * as tf from '@tensorflow/tfjs-core';
import { runOptionalKernel } from './optional-kernel';

/**
 * The name of an optional kernel: `α·x + β·xᵀ` of a square matrix or of each of a batch in one
 * pass (`@rotograd/backend-node` registers it on wasm). Contract: input `x` `[n, n]` or
 * `[batch, n, n]` (float32), attrs `alpha`, `beta`; each entry `fl(fl(α·x_ij) + fl(β·x_ji))`.
 *
 * ```ts
 * tf.registerKernel({ kernelName: ADD_TRANSPOSE_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const ADD_TRANSPOSE_KERNEL = 'RotogradAddTranspose';

/**
 * `α·x + β·xᵀ` for a square matrix or a batch of them (transposing the last two axes): the
 * skew-symmetric part `x − xᵀ` and symmetric part `x + xᵀ` the rotations and their exact
 * gradients use. Where the backend registers {@link ADD_TRANSPOSE_KERNEL} one kernel call,
 * elsewhere a transpose and an add or subtract (for α, β = ±1; scalings otherwise), with the
 * same results. Differentiable.
 *
 * ```js
 * const x = tf.tensor2d([[1, 2], [3, 4]]);
 * addTranspose(x, 1, -1).print();  // [[0, -1], [1, 0]]
 * ```
 */
export function addTranspose<T extends tf.Tensor>(x: T, alpha: number, beta: number): T {
  const n = x.shape[x.rank - 1];
  if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 2] !== n || x.dtype !== 'float32') {
    throw new Error(
      `addTranspose: expected x float32 [n, n] or [batch, n, n], got ${x.dtype} [${x.shape}]`,
    );
  }
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) {
    throw new Error(`addTranspose: alpha and beta must be finite numbers, got ${alpha}, ${beta}`);
  }
  const fused = runOptionalKernel<T>(ADD_TRANSPOSE_KERNEL, { x }, { alpha, beta });
  if (fused) return fused;
  return tf.tidy(() => {
    const t = x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1]);
    const scaled = (v: tf.Tensor, c: number) => (c === 1 ? v : c === -1 ? tf.neg(v) : tf.mul(v, c));
    if (alpha === 1 && beta === -1) return tf.sub(x, t);
    if (alpha === -1 && beta === 1) return tf.sub(t, x);
    if (alpha === -1 && beta === -1) return tf.neg(tf.add(x, t));
    return tf.add(scaled(x, alpha), scaled(t, beta));
  }) as T;
}
