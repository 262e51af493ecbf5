import * as tf from '@tensorflow/tfjs-core';

/**
 * The name of an optional fused kernel: sums of scaled tensors in one call. A backend package
 * may register it (`@rotograd/backend-node` does on wasm); where it is registered the matrix
 * exponential runs its sums of scaled powers through it, elsewhere through scalings and
 * additions. Contract: inputs an array of t tensors of one shape (float32), attrs `coefficients`
 * (g·t numbers, row-major) and `rows` (g); outputs g tensors, `out_r = Σ_j coefficients[r·t + j]·x_j`.
 *
 * ```ts
 * tf.registerKernel({ kernelName: LINEAR_COMBINATION_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const LINEAR_COMBINATION_KERNEL = 'RotogradLinearCombination';

/**
 * Whether the active backend registers {@link LINEAR_COMBINATION_KERNEL}.
 *
 * ```ts
 * if (hasLinearCombinationKernel()) linearCombinations([a, b], [1, -1], 1);
 * ```
 */
export function hasLinearCombinationKernel(): boolean {
  return tf.getKernel(LINEAR_COMBINATION_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * `rows` sums of the same `terms`, `out_r = Σ_j coefficients[r·t + j]·terms[j]`, in one call of
 * {@link LINEAR_COMBINATION_KERNEL} (which the backend must register). Not differentiable.
 *
 * ```ts
 * const [sum, difference] = linearCombinations([a, b], [1, 1, 1, -1], 2);
 * ```
 */
export function linearCombinations(
  terms: tf.Tensor[],
  coefficients: number[],
  rows: number,
): tf.Tensor[] {
  return tf
    .engine()
    .runKernel(
      LINEAR_COMBINATION_KERNEL,
      terms as unknown as tf.NamedTensorMap,
      { coefficients, rows } as unknown as tf.NamedAttrMap,
    ) as unknown as tf.Tensor[];
}
