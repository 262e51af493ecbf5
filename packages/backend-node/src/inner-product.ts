import type * as tf from '@tensorflow/tfjs-core';
import { simdFunctions } from './simd-module';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel behind @rotograd/core's `innerProducts(a, b, batchDims)`: `Σ a ⊙ b` over every axis
 * after the first `batchDims` (0 or 1) of two float32 tensors of one shape; output `[]` or
 * `[batch]`. The squared norms of task gradients and the exponential's norm bounds, in one pass
 * instead of a product and a reduction.
 *
 * ```ts
 * const sq = tf.engine().runKernel(INNER_PRODUCT, { a: g, b: g }, { batchDims: 0 }) as tf.Scalar;
 * ```
 */
export const INNER_PRODUCT = 'RotogradInnerProduct';

/**
 * The wasm implementation of {@link INNER_PRODUCT} on the SIMD module (`dot`: sixteen partial
 * sums in four f32x4 accumulators). It sums in another order than `tf.sum(tf.mul(a, b))`, so
 * the result may differ from it by rounding (a few units in the last place of the sum).
 */
export function innerProductWasm(args: {
  inputs: tf.NamedTensorMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { batchDims } = (args.attrs ?? {}) as unknown as { batchDims: number };
  const backend = args.backend as WasmBackend;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join())
    throw new Error(
      `${INNER_PRODUCT}: expected a and b float32 of one shape, got ${a.dtype} [${a.shape}] and ${b.dtype} [${b.shape}]`,
    );
  if (batchDims !== 0 && (batchDims !== 1 || a.shape.length < 1))
    throw new Error(`${INNER_PRODUCT}: attr batchDims must be 0, or 1 for a tensor of rank ≥ 1`);
  const batch = batchDims === 1 ? a.shape[0]! : 1;
  const out = backend.makeOutput(batchDims === 1 ? [batch] : [], 'float32');
  const size = a.shape.reduce((x, y) => x * y, 1);
  const each = batch === 0 ? 0 : size / batch;
  const { dot } = simdFunctions(backend);
  // Addresses read after makeOutput: an allocation may have grown (and moved) the heap.
  const [pa, pb] = [a, b].map((t) => backend.typedArrayFromHeap(t).byteOffset) as [number, number];
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0; i < batch; i++) o[i] = dot(pa + i * each * 4, pb + i * each * 4, each);
  return out;
}
