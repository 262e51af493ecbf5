import type * as tf from '@tensorflow/tfjs-core';
import { eachMatrixWithTile } from './heap-matrices';
import { simdFunctions } from './simd-module';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel behind @rotograd/core's `addTranspose(x, alpha, beta)`: `α·x + β·xᵀ` of a square
 * matrix or of each matrix of a batch (input `x` `[n, n]` or `[k, n, n]`, float32; attrs `alpha`,
 * `beta`). The rotations' skew-symmetric parts (`L − Lᵀ`, `Tᵀ − T`) and the exponential
 * derivative's `P + Pᵀ` in one pass instead of a transpose and an addition.
 *
 * ```ts
 * const a = tf.engine().runKernel(ADD_TRANSPOSE, { x: l }, { alpha: 1, beta: -1 }) as tf.Tensor;
 * ```
 */
export const ADD_TRANSPOSE = 'RotogradAddTranspose';

/**
 * The wasm implementation of {@link ADD_TRANSPOSE}: n a multiple of 32 on the SIMD module (`atr`:
 * the 32×32 tiles of the transpose, each row of an output tile `α·x + β·xᵀ` in f32x4 lanes),
 * other n in a JavaScript loop. Each entry is `fl(fl(α·x_ij) + fl(β·x_ji))`, as `tf.add` of the
 * two scaled tensors would give (with α, β = ±1: exactly `tf.add` or `tf.sub`).
 */
export function addTransposeWasm(args: {
  inputs: tf.NamedTensorMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { alpha, beta } = (args.attrs ?? {}) as unknown as { alpha: number; beta: number };
  const backend = args.backend as WasmBackend;
  const rank = x.shape.length;
  const n = x.shape[rank - 1]!;
  if ((rank !== 2 && rank !== 3) || x.shape[rank - 2] !== n || x.dtype !== 'float32')
    throw new Error(
      `${ADD_TRANSPOSE}: expected x float32 [n, n] or [batch, n, n], got ${x.dtype} [${x.shape}]`,
    );
  if (!Number.isFinite(alpha) || !Number.isFinite(beta))
    throw new Error(`${ADD_TRANSPOSE}: attrs alpha and beta must be finite numbers`);
  const out = backend.makeOutput(x.shape, 'float32');
  const batch = rank === 3 ? x.shape[0]! : 1;
  if (n % 32 === 0 && n > 0) {
    const { atr } = simdFunctions(backend);
    eachMatrixWithTile(x, out, backend, (from, to, s) => atr(from, to, n, n, s, alpha, beta));
    return out;
  }
  const v = backend.typedArrayFromHeap(x) as Float32Array;
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  const [a, b] = [Math.fround(alpha), Math.fround(beta)];
  for (let base = 0; base < batch * n * n; base += n * n)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        o[base + i * n + j] =
          Math.fround(a * v[base + i * n + j]!) + Math.fround(b * v[base + j * n + i]!);
  return out;
}
