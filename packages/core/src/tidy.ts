import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` for functions that return structured results (objects with numbers, nulls or nested
 * tensors), which tf.tidy handles at run time but not in its types: every tensor reachable from
 * the result is kept, everything else created inside is disposed.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

/** The argument type of `tf.customGrad`. */
export type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];
