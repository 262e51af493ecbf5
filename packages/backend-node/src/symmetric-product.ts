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

/**
 * {@link SYMMETRIC_MAT_MUL} for a sum of two products, `a·b + a2·b2` (the exponential's
 * derivative `dU·V + U·dV` for a product of even or odd polynomials of a skew X): inputs `a`,
 * `b`, `a2` `[m, k2]`, `b2` `[k2, m]`, attr `sign`; the lower triangle costs one product's
 * arithmetic instead of two.
 *
 * ```ts
 * const dx3 = tf.engine().runKernel(SYMMETRIC_MAT_MUL_SUM, { a: dx2, b: x, a2: x2, b2: dx }, { sign: -1 });
 * ```
 */
export const SYMMETRIC_MAT_MUL_SUM = 'RotogradSymmetricMatMulSum';

/** Rows of the result per call of the SIMD product: each block stops at its diagonal. */
const TRIANGLE_ROWS = 16;

type Pair = [a: tf.TensorInfo, b: tf.TensorInfo];

/** Throws unless `a` `[m, k]` and `b` `[k, m]` (or `[batch, …]` both) give an `[m, m]` product. */
function checkPair([a, b]: Pair, [na, nb]: [string, string], m: number, batch: number): void {
  const rank = a.shape.length;
  const k = a.shape[rank - 1]!;
  if (
    (rank !== 2 && rank !== 3) ||
    b.shape.length !== rank ||
    a.shape[rank - 2] !== m ||
    b.shape[rank - 2] !== k ||
    b.shape[rank - 1] !== m ||
    (rank === 3 ? a.shape[0] !== batch || b.shape[0] !== batch : batch !== 1)
  )
    throw new Error(
      `${SYMMETRIC_MAT_MUL}: expected ${na} [m, k] and ${nb} [k, m] (or [batch, m, k] and [batch, k, m]) with m = ${m}${batch === 1 ? '' : `, batch ${batch}`}, got ${na} [${a.shape}] and ${nb} [${b.shape}]`,
    );
}

/**
 * The wasm implementation of {@link SYMMETRIC_MAT_MUL} and {@link SYMMETRIC_MAT_MUL_SUM}. Where
 * the SIMD product applies and saves something (the result `[n, n]` with n a multiple of 16 above
 * 16, each right matrix within one panel) it computes the lower triangle in row blocks of 16,
 * each up to its diagonal block (at n = 256 53% of the product's arithmetic), the second pair's
 * product added to the first's (`mma`), then writes each entry above the diagonal as `sign` times
 * its mirror (`mir`, in 4×4 blocks). Each computed entry of one product sums over k in the same
 * order as the full product, so the lower triangle equals it exactly. Otherwise, or with `triangle` false, it runs the backend's `BatchMatMul`
 * (and `Add`).
 */
export function symmetricProductWasm(
  args: { inputs: tf.NamedTensorMap; backend: unknown; attrs?: tf.NamedAttrMap },
  triangle: boolean,
): tf.TensorInfo {
  const { a, b, a2, b2 } = args.inputs as unknown as Record<string, tf.TensorInfo | undefined>;
  const { sign } = (args.attrs ?? {}) as unknown as { sign: number };
  const backend = args.backend as WasmBackend;
  if (sign !== 1 && sign !== -1)
    throw new Error(`${SYMMETRIC_MAT_MUL}: attr sign must be 1 or -1, got ${String(sign)}`);
  if (!a || !b) throw new Error(`${SYMMETRIC_MAT_MUL}: inputs a and b are required`);
  if ((a2 === undefined) !== (b2 === undefined))
    throw new Error(`${SYMMETRIC_MAT_MUL_SUM}: inputs a2 and b2 come together, got only one`);
  const rank = a.shape.length;
  const n = a.shape[rank - 2]!;
  const batch = rank === 3 ? a.shape[0]! : 1;
  const pairs: Pair[] =
    a2 && b2
      ? [
          [a, b],
          [a2, b2],
        ]
      : [[a, b]];
  for (const [i, pair] of pairs.entries())
    checkPair(pair, i === 0 ? ['a', 'b'] : ['a2', 'b2'], n, batch);
  const fits =
    triangle &&
    n > TRIANGLE_ROWS &&
    n % TRIANGLE_ROWS === 0 &&
    pairs.every(([x, y]) => {
      const k = x.shape[rank - 1]!;
      return x.dtype === 'float32' && y.dtype === 'float32' && k > 0 && k * n <= SIMD_PANEL;
    });
  if (!fits) {
    const product = tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    const full = pairs.map(
      ([x, y]) =>
        product({
          inputs: { a: x, b: y },
          backend,
          attrs: { transposeA: false, transposeB: false },
        }) as tf.TensorInfo,
    );
    if (full.length === 1) return full[0]!;
    const sum = tf.getKernel(tf.Add, 'wasm')!.kernelFunc({
      inputs: { a: full[0]!, b: full[1]! },
      backend,
    }) as tf.TensorInfo;
    for (const t of full) backend.disposeData(t.dataId);
    return sum;
  }
  const out = backend.makeOutput([...a.shape.slice(0, -1), n], 'float32');
  const { mm, mma, mir } = simdFunctions(backend);
  pairs.forEach(([x, y], p) => {
    const k = x.shape[rank - 1]!;
    const f = p === 0 ? mm : mma;
    for (const [ai, bi, ci] of matrixAddresses(x, y, out, backend))
      for (let r = 0; r < n; r += TRIANGLE_ROWS)
        f(ai + r * k * 4, bi, ci + r * n * 4, TRIANGLE_ROWS, k, r + TRIANGLE_ROWS, n, n);
  });
  const c0 = backend.typedArrayFromHeap(out).byteOffset;
  for (let i = 0; i < batch; i++) mir(c0 + i * n * n * 4, n, sign);
  return out;
}
