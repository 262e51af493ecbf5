import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './mat-mul';

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
  if (sign !== 1 && sign !== -1) {
    throw new Error(`symmetricMatMul: sign must be 1 or -1, got ${String(sign)}`);
  }
  const m = a.shape[a.rank - 2];
  if (
    (a.rank !== 2 && a.rank !== 3) ||
    b.rank !== a.rank ||
    b.shape[b.rank - 1] !== m ||
    b.shape[b.rank - 2] !== a.shape[a.rank - 1] ||
    (a.rank === 3 && a.shape[0] !== b.shape[0])
  ) {
    throw new Error(
      `symmetricMatMul: expected a [m, k] and b [k, m] (or [batch, m, k] and [batch, k, m]) with a square product, got a [${a.shape}] and b [${b.shape}]`,
    );
  }
  if (!hasSymmetricMatMulKernel()) return matMul(a, b) as T;
  return tf
    .engine()
    .runKernel(
      SYMMETRIC_MAT_MUL_KERNEL,
      { a, b } as unknown as tf.NamedTensorMap,
      { sign } as unknown as tf.NamedAttrMap,
    ) as T;
}
