import * as tf from '@tensorflow/tfjs-core';
import { runOptionalKernel } from './optional-kernel';
import { sumAll } from './sum';

/**
 * The name of an optional kernel: `Σ_j w[j]·x_j / divisor` of K same-shaped float32 tensors with
 * the weights `w` (`[K]`) on the device, in one call (`@rotograd/backend-node` registers it on
 * wasm). Contract: inputs an array `[x_0, …, x_{K−1}, w]`, attr `divisor`; output the shape of
 * `x_0`, equal to the sum of `x_j·w[j]` divided by `divisor` up to rounding.
 *
 * ```ts
 * tf.registerKernel({ kernelName: WEIGHTED_SUM_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const WEIGHTED_SUM_KERNEL = 'RotogradWeightedSum';

/**
 * `Σ_j weights[j]·terms[j] / divisor`: a combination of K same-shaped tensors with weights that
 * live on the device (RotoGrad's scaled task gradients, its reference direction), read by no
 * one on the host. Where the backend registers {@link WEIGHTED_SUM_KERNEL} one kernel call (on
 * wasm the weights are read in the kernel from the backend's own memory, which is no device
 * synchronisation), elsewhere K products, {@link sumAll} and a division (the same operations as
 * before it existed, to the last bit). Differentiable in the terms and the weights.
 *
 * ```js
 * weightedSum([a, b], tf.tensor1d([0.5, 2]), 2);  // (0.5·a + 2·b) / 2
 * ```
 */
export function weightedSum<T extends tf.Tensor>(
  terms: readonly T[],
  weights: tf.Tensor,
  divisor = 1,
): T {
  const first = terms[0];
  if (!first) throw new Error('weightedSum: terms must hold at least one tensor');
  for (const [j, t] of terms.entries()) {
    if (t.dtype !== 'float32' || t.shape.join() !== first.shape.join()) {
      throw new Error(
        `weightedSum: terms[${j}] must be float32 of shape [${first.shape}] (that of terms[0]), got ${t.dtype} [${t.shape}]`,
      );
    }
  }
  if (weights.dtype !== 'float32' || weights.rank !== 1 || weights.shape[0] !== terms.length) {
    throw new Error(
      `weightedSum: weights must be float32 of shape [${terms.length}] (one per term), got ${weights.dtype} [${weights.shape}]`,
    );
  }
  if (!Number.isFinite(divisor) || divisor === 0) {
    throw new Error(`weightedSum: divisor must be a finite non-zero number, got ${divisor}`);
  }
  const fused = runOptionalKernel<T>(
    WEIGHTED_SUM_KERNEL,
    [...terms, weights] as unknown as Record<string, tf.Tensor>,
    { divisor },
  );
  if (fused) return fused;
  return tf.tidy(() => {
    const ws = tf.unstack(weights);
    const sum = sumAll(terms.map((t, j) => tf.mul(t, ws[j]!)));
    return divisor === 1 ? sum : tf.div(sum, divisor);
  }) as T;
}
