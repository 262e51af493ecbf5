import * as tf from '@tensorflow/tfjs-core';

/**
 * How {@link matMul} evaluates a batch of products `[k, n, m] × [k, m, p]`:
 * `'batched'` as one batched `tf.matMul`, `'loop'` as `k` plain 2-D products (much faster on the
 * wasm backend, whose batched kernel is ~10× slower than its 2-D one), `'auto'` per backend.
 */
export type BatchStrategy = 'auto' | 'batched' | 'loop';

let strategy: BatchStrategy = 'auto';

/**
 * Sets how batched matrix products are evaluated by RotoGrad's rotation math.
 * Default: `'auto'` (a loop of 2-D products on `wasm` and `cpu`, one batched product elsewhere).
 *
 * ```js
 * setBatchStrategy('batched');
 * ```
 */
export function setBatchStrategy(value: BatchStrategy): void {
  if (value !== 'auto' && value !== 'batched' && value !== 'loop') {
    throw new Error(`setBatchStrategy: expected 'auto', 'batched' or 'loop', got ${String(value)}`);
  }
  strategy = value;
}

/** The strategy in force for the current backend. */
export function batchStrategy(): 'batched' | 'loop' {
  if (strategy !== 'auto') return strategy;
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu' ? 'loop' : 'batched';
}

/**
 * Matrix product of two matrices or two equally batched stacks of matrices, without transposes
 * (the wasm backend runs transposed and batched products an order of magnitude slower).
 */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 3 && b.rank === 3 && a.shape[0]! > 1 && batchStrategy() === 'loop') {
    return tf.tidy(() => {
      const as = tf.unstack(a);
      const bs = tf.unstack(b);
      return tf.stack(as.map((ai, i) => tf.matMul(ai as tf.Tensor2D, bs[i] as tf.Tensor2D)));
    });
  }
  return tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D);
}
