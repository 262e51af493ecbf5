import * as tf from '@tensorflow/tfjs-core';

/**
 * `r^α` for GradNorm's target `τ_i = m · (L̃_i / L̄)^α`, defined for every real ratio `r`:
 *
 * - `α` an integer: exactly `r^α` (negative `r` included), as the official implementation computes it
 *   (for |α| ≤ 8 by multiplication, exact to float32 rounding on every backend);
 * - `α` not an integer and `r < 0`: `sign(r) · |r|^α`, where the official implementation fails
 *   (Python's `**` turns a negative base with a fractional exponent into a complex number).
 *
 * Written as `s(r) · |r|^α` with `s(r) = 1` when `α` is an even integer and `sign(r)` otherwise,
 * which is `r^α` for every integer `α` and, for every `α` but the even integers (where the
 * reference's `r^α` is kept), continuous and non-decreasing in `r`: a task whose relative loss is
 * lower never gets a higher target. A negative target cannot be
 * reached by `ν_i w_i ≥ 0`, so it pushes that task's weight down exactly as a target of 0 would
 * (`sign(ν_i w_i − τ_i) = +1` either way); the odd extension keeps the reference's values for odd
 * `α` (including the common `α = 1`) and leaves the reported targets informative.
 *
 * ```js
 * relativePower(tf.tensor1d([-4, 1, 4]), 0.5).print();  // [-2, 1, 2]
 * relativePower(tf.tensor1d([-2, 3]), 2).print();       // [4, 9]
 * ```
 */
export function relativePower(r: tf.Tensor, alpha: number): tf.Tensor {
  return tf.tidy(() => {
    if (Number.isInteger(alpha) && Math.abs(alpha) <= MAX_MULTIPLIED) {
      // Small integers by multiplication: exact to float32 rounding on every backend (GPU
      // backends evaluate pow as exp(α·log|r|), 3^1 = 3.0000002 on WebGPU), and α = 1 (GradNorm's
      // usual choice) costs nothing.
      if (alpha === 0) return tf.onesLike(r);
      const power = integerPower(r, Math.abs(alpha));
      return alpha > 0 ? power : tf.div(1, power);
    }
    const magnitude = tf.pow(tf.abs(r), alpha);
    const evenInteger = Number.isInteger(alpha) && alpha % 2 === 0;
    return evenInteger ? magnitude : tf.mul(tf.sign(r), magnitude);
  });
}

/** The largest |α| {@link relativePower} evaluates by multiplication (at most 4 products). */
const MAX_MULTIPLIED = 8;

/** `r^k` for an integer k ≥ 1 by binary exponentiation. */
function integerPower(r: tf.Tensor, k: number): tf.Tensor {
  let result: tf.Tensor | null = null;
  let base = r;
  for (let e = k; e > 0; e >>= 1) {
    if (e & 1) result = result ? tf.mul(result, base) : base;
    if (e > 1) base = tf.square(base);
  }
  return result === r ? r.clone() : result!;
}
