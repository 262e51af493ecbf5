import * as tf from '@tensorflow/tfjs-core';
import { innerProducts } from './inner-product';
import { runOptionalKernel } from './optional-kernel';

/**
 * The name of an optional kernel: the squared L2 norms `Σ x_j²` of K float32 tensors (of any
 * shapes) in one call, `[K]` (`@rotograd/backend-node` registers it on wasm). Contract: inputs
 * an array `[x_0, …, x_{K−1}]`, no attrs; output `[K]`, each entry equal to
 * `innerProducts(x_j, x_j)` up to the order of summation.
 *
 * ```ts
 * tf.registerKernel({ kernelName: SQUARED_NORMS_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const SQUARED_NORMS_KERNEL = 'RotogradSquaredNorms';

/**
 * The squared L2 norms of K tensors, stacked: `[K]`. Where the backend registers
 * {@link SQUARED_NORMS_KERNEL} one kernel call, elsewhere one {@link innerProducts} per tensor
 * and a stack (the same values). Differentiable.
 *
 * ```js
 * squaredNorms([tf.tensor1d([3, 4]), tf.tensor2d([[1, 2], [2, 4]])]).print();  // [25, 25]
 * ```
 */
export function squaredNorms(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  if (tensors.length === 0) throw new Error('squaredNorms: tensors must hold at least one tensor');
  for (const [j, t] of tensors.entries()) {
    if (t.dtype !== 'float32') {
      throw new Error(`squaredNorms: tensors[${j}] must be float32, got ${t.dtype} [${t.shape}]`);
    }
  }
  const fused = runOptionalKernel<tf.Tensor1D>(
    SQUARED_NORMS_KERNEL,
    tensors as unknown as Record<string, tf.Tensor>,
    {},
  );
  if (fused) return fused;
  return tf.tidy(() => tf.stack(tensors.map((t) => innerProducts(t, t))) as tf.Tensor1D);
}
