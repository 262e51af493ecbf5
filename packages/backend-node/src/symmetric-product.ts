import * as tf from '@tensorflow/tfjs-core';
import { matrixAddresses, SIMD_PANEL } from './heap-matrices';
import { simdFunctions } from './simd-module';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel @rotograd/core runs a product through when it knows the result to be symmetric or
 * skew-symmetric and the active backend registers it (its matrix exponential's X², X⁴ of a skew
 * X, the rotations' strictly lower gradients): inputs `a` `[m, k]` and `b` `[k, m]` (or batches of
 * them), attr `sign` (1 or −1); the output's lower triangle, diagonal included, is that of `a·b`,
 * and above it are `a·b`'s entries or `sign` times their mirror (equal for an exactly symmetric or
 * skew-symmetric product).
 *
 * ```ts
 * const x2 = tf.engine().runKernel(SYMMETRIC_MAT_MUL, { a: x, b: x }, { sign: 1 }) as tf.Tensor;
 * ```
 */
export const SYMMETRIC_MAT_MUL = 'RotogradSymmetricMatMul';

/** Rows of the result per call of the SIMD product: each block stops at its diagonal. */
const TRIANGLE_ROWS = 16;

/**
 * The wasm implementation of {@link SYMMETRIC_MAT_MUL}. Where the SIMD product applies and saves
 * something (the result `[n, n]` with n a multiple of 16 above 16, `b` within one panel) it computes the lower triangle in row
 * blocks of 16, each up to its diagonal block (at n = 256 53% of the product's arithmetic), then
 * writes each entry above the diagonal as `sign` times its mirror. Each computed entry sums over
 * k in the same order as the full product, so the lower triangle equals it exactly. Otherwise,
 * or with `triangle` false, it runs the backend's `BatchMatMul`.
 */
export function symmetricProductWasm(
  args: { inputs: tf.NamedTensorMap; backend: unknown; attrs?: tf.NamedAttrMap },
  triangle: boolean,
): tf.TensorInfo {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { sign } = (args.attrs ?? {}) as unknown as { sign: number };
  const backend = args.backend as WasmBackend;
  if (sign !== 1 && sign !== -1)
    throw new Error(`${SYMMETRIC_MAT_MUL}: attr sign must be 1 or -1, got ${String(sign)}`);
  const rank = a.shape.length;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batchA = rank === 3 ? a.shape[0]! : 1;
  if (
    (rank !== 2 && rank !== 3) ||
    b.shape.length !== rank ||
    b.shape[rank - 2] !== k ||
    n !== m ||
    (rank === 3 && b.shape[0] !== batchA)
  )
    throw new Error(
      `${SYMMETRIC_MAT_MUL}: expected a [m, k] and b [k, m] (or [batch, m, k] and [batch, k, m]), got a [${a.shape}] and b [${b.shape}]`,
    );
  const fits =
    triangle &&
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    n > TRIANGLE_ROWS &&
    k > 0 &&
    n % TRIANGLE_ROWS === 0 &&
    k * n <= SIMD_PANEL;
  if (!fits) {
    const product = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    return product({
      inputs: { a, b },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  }
  const out = backend.makeOutput([...a.shape.slice(0, -1), n], 'float32');
  const { mm } = simdFunctions(backend);
  for (const [ai, bi, ci] of matrixAddresses(a, b, out, backend))
    for (let r = 0; r < n; r += TRIANGLE_ROWS)
      mm(ai + r * k * 4, bi, ci + r * n * 4, TRIANGLE_ROWS, k, r + TRIANGLE_ROWS, n, n);
  const c = backend.typedArrayFromHeap(out) as Float32Array;
  for (let base = 0; base < c.length; base += n * n)
    for (let i = 0; i < n; i++) {
      const row = base + i * n;
      if (sign === 1) for (let j = i + 1; j < n; j++) c[row + j] = c[base + j * n + i]!;
      else for (let j = i + 1; j < n; j++) c[row + j] = -c[base + j * n + i]!;
    }
  return out;
}
