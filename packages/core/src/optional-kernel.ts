import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs the optional kernel `name` (one that a backend package may register, such as
 * `RotogradSymmetricMatMul`) where the active backend registers it, and returns
 * `undefined` where it does not: the caller then computes the same value from standard ops.
 *
 * ```ts
 * const y = runOptionalKernel<tf.Tensor2D>(ADD_TRANSPOSE_KERNEL, { x }, { alpha: 1, beta: -1 })
 *   ?? tf.sub(x, tf.transpose(x));
 * ```
 */
export function runOptionalKernel<T extends tf.Tensor>(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, number>,
): T | undefined {
  if (tf.getKernel(name, tf.getBackend()) === undefined) return undefined;
  return tf
    .engine()
    .runKernel(
      name,
      inputs as unknown as tf.NamedTensorMap,
      attrs as unknown as tf.NamedAttrMap,
    ) as T;
}
