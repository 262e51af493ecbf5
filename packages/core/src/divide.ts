import * as tf from '@tensorflow/tfjs-core';

/**
 * The reference's numerically stable division,
 * `sign(a)·sign(b)·exp(ln(|a| + 1e-15) − ln(|b| + 1e-15))`, element-wise with broadcasting.
 *
 * ```js
 * stableDivide(tf.scalar(1), tf.scalar(0)).print();  // 1e15, not Infinity
 * ```
 */
export function stableDivide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.mul(
      tf.mul(tf.sign(a), tf.sign(b)),
      tf.exp(tf.sub(tf.log(tf.add(tf.abs(a), 1e-15)), tf.log(tf.add(tf.abs(b), 1e-15)))),
    ),
  );
}
