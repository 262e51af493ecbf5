import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './mat-mul';
import { runOptionalKernel } from './optional-kernel';

/**
 * The name of an optional kernel: a matrix product whose result the caller knows to be symmetric
 * or skew-symmetric, so that only its lower triangle needs computing. A backend package may
 * register it (`@rotograd/backend-node` does on wasm); elsewhere {@link symmetricMatMul} runs a
 * plain product. Contract: inputs `a` `[m, k]` and `b` `[k, m]` (or `[batch, m, k]` and
 * `[batch, k, m]`, float32), attr `sign` (1 or −1); the output's lower triangle, diagonal
 * included, is that of `a·b`; above it are `a·b`'s own entries or `sign` times their mirrors
 * below (the same for an exactly symmetric or skew-symmetric product).
 *
 * ```ts
 * tf.registerKernel({ kernelName: SYMMETRIC_MAT_MUL_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const SYMMETRIC_MAT_MUL_KERNEL = 'RotogradSymmetricMatMul';

/**
 * The name of an optional kernel like {@link SYMMETRIC_MAT_MUL_KERNEL} for a sum of two products
 * (`@rotograd/backend-node` registers it on wasm; elsewhere {@link symmetricMatMulSum} runs two
 * plain products and an add). Contract: inputs `a` `[m, k]`, `b` `[k, m]`, `a2` `[m, k2]`, `b2`
 * `[k2, m]` (or batches of them, float32), attr `sign`; the output's lower triangle, diagonal
 * included, is that of `a·b + a2·b2` up to rounding, above it that sum's entries or `sign` times
 * their mirrors.
 *
 * ```ts
 * tf.registerKernel({ kernelName: SYMMETRIC_MAT_MUL_SUM_KERNEL, backendName: 'mine', kernelFunc });
 * ```
 */
export const SYMMETRIC_MAT_MUL_SUM_KERNEL = 'RotogradSymmetricMatMulSum';

/**
 * Whether the active backend registers {@link SYMMETRIC_MAT_MUL_KERNEL}.
 *
 * ```ts
 * if (hasSymmetricMatMulKernel()) console.log('half the work for X² of a skew X');
 * ```
 */
export function hasSymmetricMatMulKernel(): boolean {
  return tf.getKernel(SYMMETRIC_MAT_MUL_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * `a·b` for a product known to be symmetric (`sign` 1) or skew-symmetric (`sign` −1), such as
 * `X²` or `X·X²` for a skew-symmetric X (polynomials of one matrix commute, so an even one is
 * symmetric and an odd one skew-symmetric). Where the backend registers
 * {@link SYMMETRIC_MAT_MUL_KERNEL} only the lower triangle is computed (about half the
 * arithmetic) and mirrored; elsewhere it is {@link matMul}. Either way the lower triangle is that
 * of `a·b`, so a caller that reads only it (a strictly lower gradient, say) may also pass a
 * product that is symmetric only up to rounding. Differentiable, as the plain product.
 *
 * ```js
 * const x = skewFromLower(tf.randomNormal([4, 4]));
 * const x2 = symmetricMatMul(x, x, 1);  // = tf.matMul(x, x), symmetric
 * ```
 */
export function symmetricMatMul<T extends tf.Tensor>(a: T, b: T, sign: 1 | -1): T {
  checkSign('symmetricMatMul', sign);
  checkSquareProduct('symmetricMatMul', a, b, 'a', 'b', a.shape[a.rank - 2]!);
  return runOptionalKernel<T>(SYMMETRIC_MAT_MUL_KERNEL, { a, b }, { sign }) ?? (matMul(a, b) as T);
}

/**
 * `a·b + a2·b2` for a sum known to be symmetric (`sign` 1) or skew-symmetric (`sign` −1), such as
 * the derivative `dU·V + U·dV` of a product of two even or odd polynomials of a skew-symmetric X
 * in a skew-symmetric direction. Where the backend registers {@link SYMMETRIC_MAT_MUL_SUM_KERNEL}
 * only the lower triangle is computed: the arithmetic of one product instead of two. Elsewhere
 * two {@link matMul}s and an add. Differentiable.
 *
 * ```js
 * const x = skewFromLower(tf.randomNormal([4, 4]));
 * const e = skewFromLower(tf.randomNormal([4, 4]));
 * const x2 = tf.matMul(x, x);
 * const dx2 = tf.add(tf.matMul(e, x), tf.matMul(x, e));
 * const dx3 = symmetricMatMulSum(dx2, x, x2, e, -1);  // d(X²·X) = dX²·X + X²·dX, skew-symmetric
 * ```
 */
export function symmetricMatMulSum<T extends tf.Tensor>(a: T, b: T, a2: T, b2: T, sign: 1 | -1): T {
  checkSign('symmetricMatMulSum', sign);
  const m = a.shape[a.rank - 2]!;
  checkSquareProduct('symmetricMatMulSum', a, b, 'a', 'b', m);
  checkSquareProduct('symmetricMatMulSum', a2, b2, 'a2', 'b2', m, a);
  return (
    runOptionalKernel<T>(SYMMETRIC_MAT_MUL_SUM_KERNEL, { a, b, a2, b2 }, { sign }) ??
    (tf.tidy(() => tf.add(matMul(a, b), matMul(a2, b2))) as T)
  );
}

function checkSign(fn: string, sign: number): void {
  if (sign !== 1 && sign !== -1)
    throw new Error(`${fn}: sign must be 1 or -1, got ${String(sign)}`);
}

/** Throws unless `a` `[m, k]` and `b` `[k, m]` (or equally batched; as batched as `like`, if given). */
function checkSquareProduct(
  fn: string,
  a: tf.Tensor,
  b: tf.Tensor,
  na: string,
  nb: string,
  m: number,
  like?: tf.Tensor,
): void {
  const batch = like?.rank === 3 ? like.shape[0] : undefined;
  if (
    (a.rank !== 2 && a.rank !== 3) ||
    b.rank !== a.rank ||
    a.shape[a.rank - 2] !== m ||
    b.shape[b.rank - 1] !== m ||
    b.shape[b.rank - 2] !== a.shape[a.rank - 1] ||
    (a.rank === 3 && a.shape[0] !== b.shape[0]) ||
    (like !== undefined && (a.rank !== like.rank || (batch !== undefined && a.shape[0] !== batch)))
  ) {
    throw new Error(
      `${fn}: expected ${na} [m, k] and ${nb} [k, m] (or [batch, m, k] and [batch, k, m]) with a square product${like === undefined ? '' : `, m = ${m} and batched as a`}, got ${na} [${a.shape}] and ${nb} [${b.shape}]`,
    );
  }
}
