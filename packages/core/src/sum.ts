import * as tf from '@tensorflow/tfjs-core';

/** The most inputs one `AddN` kernel gets: WebGPU's default limit is 8 storage buffers per stage. */
const MAX_ADDN_INPUTS = 4;

/**
 * The element-wise sum of one or more same-shaped tensors. Like `tf.addN`, but in groups of at
 * most four inputs per kernel, so that any number of tasks works on WebGPU devices with the
 * default limit of 8 storage buffers per shader stage (`tf.addN` of 8 tensors needs 9).
 *
 * ```js
 * sumAll([a, b, c, d, e, f, g, h]);  // = tf.addN([...]) on every backend
 * ```
 */
export function sumAll<T extends tf.Tensor>(tensors: readonly T[]): T {
  if (tensors.length === 0) throw new Error('sumAll: expected at least one tensor');
  return tf.tidy(() => {
    let level: tf.Tensor[] = tensors.slice();
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += MAX_ADDN_INPUTS) {
        const group = level.slice(i, i + MAX_ADDN_INPUTS);
        next.push(group.length === 1 ? group[0]! : tf.addN(group));
      }
      level = next;
    }
    // A new tensor either way: the sum itself, or a copy of a lone input.
    return tensors.length === 1 ? level[0]!.clone() : level[0]!;
  }) as T;
}
