import type * as tf from '@tensorflow/tfjs-core';
import { linearCombinationWasm } from './linear-combination';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel behind @rotograd/core's `weightedSum(terms, weights, divisor)`: inputs an array
 * `[x_0, …, x_{K−1}, w]` of K same-shaped float32 tensors and their weights `w` (`[K]`), attr
 * `divisor`; output `Σ_j w[j]·x_j / divisor`. RotoGrad's scaled sum of the task gradients and its
 * reference direction: one call instead of K products and a tree of sums.
 *
 * ```ts
 * const q = tf.engine().runKernel(WEIGHTED_SUM, [g0, g1, w] as unknown as tf.NamedTensorMap,
 *   { divisor: 1 }) as tf.Tensor;
 * ```
 */
export const WEIGHTED_SUM = 'RotogradWeightedSum';

/**
 * The wasm implementation of {@link WEIGHTED_SUM}: reads the K weights from the backend's heap
 * (wasm memory, on the host: no device synchronisation) and runs the linear combinations'
 * SIMD passes (`LINEAR_COMBINATION`) with the coefficients `w[j] / divisor` (rounded to float32). It sums in another
 * order than K products and `tf.addN`, so results may differ from them by rounding; a zero
 * weight's term is skipped, as there.
 */
export function weightedSumWasm(args: {
  inputs: tf.NamedTensorMap | tf.TensorInfo[];
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const all = Object.values(args.inputs) as tf.TensorInfo[];
  const { divisor } = (args.attrs ?? {}) as unknown as { divisor: number };
  const backend = args.backend as WasmBackend;
  const weights = all[all.length - 1];
  const terms = all.slice(0, -1);
  if (!weights || terms.length === 0)
    throw new Error(
      `${WEIGHTED_SUM}: expected K ≥ 1 terms and their weights, got ${all.length} inputs`,
    );
  if (
    weights.dtype !== 'float32' ||
    weights.shape.length !== 1 ||
    weights.shape[0] !== terms.length
  )
    throw new Error(
      `${WEIGHTED_SUM}: the last input, the weights, must be float32 of shape [${terms.length}], got ${weights.dtype} [${weights.shape}]`,
    );
  if (typeof divisor !== 'number' || !Number.isFinite(divisor) || divisor === 0)
    throw new Error(
      `${WEIGHTED_SUM}: attr divisor must be a finite non-zero number, got ${divisor}`,
    );
  const w = backend.typedArrayFromHeap(weights) as Float32Array;
  const coefficients = Array.from(w, (v) => v / divisor);
  const [out] = linearCombinationWasm({
    inputs: terms,
    backend,
    attrs: { coefficients, rows: 1 } as unknown as tf.NamedAttrMap,
  });
  return out!;
}
