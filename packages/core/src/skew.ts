import * as tf from '@tensorflow/tfjs-core';
import { addTranspose } from './add-transpose';

function transposeLast2(x: tf.Tensor): tf.Tensor {
  return x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1]);
}

const masks = new Map<number, Float32Array>();

/** 1 where row > column, else 0: the strictly lower triangle of an n×n matrix. */
function strictLowerMaskValues(n: number): Float32Array {
  let m = masks.get(n);
  if (!m) {
    m = new Float32Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) m[r * n + c] = 1;
    masks.set(n, m);
  }
  return m;
}

/**
 * The strictly lower-triangular part of a matrix or a batch of matrices (`tril(x, -1)`).
 *
 * ```js
 * strictLower(tf.tensor2d([[1, 2], [3, 4]])).print();  // [[0, 0], [3, 0]]
 * ```
 */
export function strictLower<T extends tf.Tensor>(x: T): T {
  const n = x.shape[x.rank - 1]!;
  return tf.tidy(() => tf.mul(x, tf.tensor2d(strictLowerMaskValues(n), [n, n]))) as T;
}

/**
 * The skew-symmetric matrix `A = L − Lᵀ` built from the strictly lower triangle `L` of `w`
 * (geotorch's parametrization of so(n)); entries on and above the diagonal of `w` are ignored.
 *
 * ```js
 * skewFromLower(tf.tensor2d([[9, 9], [0.5, 9]])).print();  // [[0, -0.5], [0.5, 0]]
 * ```
 */
export function skewFromLower<T extends tf.Tensor>(w: T): T {
  return tf.tidy(() => addTranspose(strictLower(w), 1, -1)) as T;
}

/** Swaps the last two axes of a matrix or a batch of matrices. */
export function transposeMatrices<T extends tf.Tensor>(x: T): T {
  return transposeLast2(x) as T;
}
