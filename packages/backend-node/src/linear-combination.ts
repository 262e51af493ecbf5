import * as tf from '@tensorflow/tfjs-core';
import { simdFunctions } from './simd-module';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel @rotograd/core runs a run of linear combinations through when the active backend
 * registers it (its matrix exponential's sums of scaled powers): inputs an array of t tensors of
 * one shape, attrs `coefficients` (g·t numbers, row-major) and `rows` (g); outputs g tensors,
 * `out_r = Σ_j coefficients[r·t + j] · x_j`.
 *
 * ```ts
 * const [y] = tf.engine().runKernel(LINEAR_COMBINATION, [a, b] as unknown as tf.NamedTensorMap,
 *   { coefficients: [2, -1], rows: 1 }) as tf.Tensor[];  // 2a − b
 * ```
 */
export const LINEAR_COMBINATION = 'RotogradLinearCombination';

/**
 * The wasm implementation of {@link LINEAR_COMBINATION}: one pass over the inputs per four
 * non-zero terms (SIMD, summed pairwise), the last `size mod 4` elements in JavaScript. A zero
 * coefficient's term is skipped, never multiplied (0·∞ would be NaN).
 */
export function linearCombinationWasm(args: {
  inputs: tf.NamedTensorMap | tf.TensorInfo[];
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const terms = Object.values(args.inputs) as tf.TensorInfo[];
  const { coefficients, rows } = (args.attrs ?? {}) as unknown as {
    coefficients: number[];
    rows: number;
  };
  const backend = args.backend as WasmBackend;
  const first = terms[0];
  if (!first || !Array.isArray(coefficients) || coefficients.length !== rows * terms.length)
    throw new Error(
      `${LINEAR_COMBINATION}: expected t ≥ 1 inputs and rows·t coefficients, got ${terms.length} inputs, rows = ${rows}, ${coefficients?.length} coefficients`,
    );
  const size = tf.util.sizeFromShape(first.shape);
  for (const t of terms)
    if (t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== size)
      throw new Error(
        `${LINEAR_COMBINATION}: every input must be float32 of shape [${first.shape}], got ${t.dtype} [${t.shape}]`,
      );
  const fns = simdFunctions(backend).lc;
  const vectorized = size - (size % 4);
  const outs: tf.TensorInfo[] = [];
  for (let r = 0; r < rows; r++) {
    const out = backend.makeOutput([...first.shape], 'float32');
    // Views taken after the allocation (the heap may have grown); a view's byteOffset is the
    // tensor's address in the heap.
    const to = backend.typedArrayFromHeap(out);
    const nonZero: [tf.backend_util.TypedArray, number][] = [];
    terms.forEach((t, j) => {
      const c = coefficients[r * terms.length + j]!;
      if (c !== 0) nonZero.push([backend.typedArrayFromHeap(t), c]);
    });
    if (nonZero.length === 0) to.fill(0);
    for (let j = 0; j < nonZero.length && vectorized > 0; j += 4) {
      const chunk = nonZero.slice(j, j + 4).flatMap(([from, c]) => [from.byteOffset, c]);
      fns[chunk.length / 2 - 1]!(to.byteOffset, vectorized, j > 0 ? 1 : 0, ...chunk);
    }
    for (let i = vectorized; i < size && nonZero.length > 0; i++) {
      let s = 0;
      for (const [from, c] of nonZero) s += c * from[i]!;
      to[i] = s;
    }
    outs.push(out);
  }
  return outs;
}
