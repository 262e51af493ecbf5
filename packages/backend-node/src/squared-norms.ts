import type * as tf from '@tensorflow/tfjs-core';
import { simdFunctions } from './simd-module';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel behind @rotograd/core's `squaredNorms(tensors)`: inputs an array of K float32
 * tensors of any shapes, output `[K]`, `Σ x_j²` each. The task gradients' norms in one call
 * instead of K inner products and a stack.
 *
 * ```ts
 * const sq = tf.engine().runKernel(SQUARED_NORMS, [g0, g1] as unknown as tf.NamedTensorMap, {});
 * ```
 */
export const SQUARED_NORMS = 'RotogradSquaredNorms';

/**
 * The wasm implementation of {@link SQUARED_NORMS}: the SIMD module's `dot` of each tensor with
 * itself (sixteen partial sums), the same values as {@link INNER_PRODUCT} gives one by one.
 */
export function squaredNormsWasm(args: {
  inputs: tf.NamedTensorMap | tf.TensorInfo[];
  backend: unknown;
}): tf.TensorInfo {
  const xs = Object.values(args.inputs) as tf.TensorInfo[];
  const backend = args.backend as WasmBackend;
  if (xs.length === 0) throw new Error(`${SQUARED_NORMS}: expected at least one input`);
  for (const [j, x] of xs.entries())
    if (x.dtype !== 'float32')
      throw new Error(`${SQUARED_NORMS}: input ${j} must be float32, got ${x.dtype} [${x.shape}]`);
  const out = backend.makeOutput([xs.length], 'float32');
  const { dot } = simdFunctions(backend);
  // Addresses read after makeOutput: an allocation may have grown (and moved) the heap.
  const views = xs.map((x) => backend.typedArrayFromHeap(x));
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  views.forEach((v, j) => {
    o[j] = dot(v.byteOffset, v.byteOffset, v.length);
  });
  return out;
}
