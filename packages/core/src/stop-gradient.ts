import * as tf from '@tensorflow/tfjs-core';
import type { CustomGradientFunc } from './tidy';

const stop = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as CustomGradientFunc);

/**
 * The value of `x`, through which no gradient flows (PyTorch's `detach`).
 *
 * ```js
 * const l0 = stopGradient(loss);  // a constant copy of the loss
 * ```
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}
