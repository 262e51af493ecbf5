import * as tf from '@tensorflow/tfjs-core';

/**
 * How a representation `z` of shape `[B, ...repShape]` is read for rotation: its trailing axes
 * `postShape` (P components) are carried along, everything before them (S components per sample)
 * is rotated, of which only the first `n` when `S > n` (partial rotation). Rows of the
 * "rotation layout" are indexed `b·P + p`, columns `s`.
 */
export interface RotationLayout {
  readonly batch: number;
  readonly repShape: readonly number[];
  /** Components per sample that the rotation axes hold (S ≥ n). */
  readonly s: number;
  /** Product of `postShape` (1 when empty). */
  readonly p: number;
  /** Rotation size. */
  readonly n: number;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Checks that `zShape` fits a rotation of size `n` with the given `postShape`, and describes the
 * layout. Throws an Error naming `argName` and the expected shape otherwise.
 */
export function rotationLayout(
  zShape: readonly number[],
  n: number,
  postShape: readonly number[],
  argName = 'z',
): RotationLayout {
  if (zShape.length < 2) {
    throw new Error(`${argName} must be batched, [batch, ...repShape], got shape [${zShape}]`);
  }
  const [batch, ...repShape] = zShape as [number, ...number[]];
  const k = postShape.length;
  if (repShape.length <= k || repShape.slice(repShape.length - k).join() !== postShape.join()) {
    throw new Error(
      `${argName} has per-sample shape [${repShape}], which does not fit postShape [${postShape}]: expected [...rotated axes, ${postShape.join(', ') || '(no post axes)'}] with at least one rotated axis`,
    );
  }
  const p = prod(postShape);
  const s = prod(repShape) / p;
  if (n > s) {
    throw new Error(
      `rotationShape (n = ${n}) is larger than ${argName}: its per-sample shape [${repShape}] has only ${s} component(s) before postShape [${postShape}]`,
    );
  }
  return { batch, repShape, s, p, n };
}

/** Whether `t` already has `shape` (then a reshape would be a kernel call that changes nothing). */
const hasShape = (t: tf.Tensor, shape: readonly number[]) =>
  t.rank === shape.length && t.shape.every((d, i) => d === shape[i]);

/**
 * `z` as a `[B·P, S]` matrix whose row `b·P + p` is `z[b, :, p]`: `z` itself when it has that
 * shape already (no `postShape`, one rotated axis).
 */
export function toRows(z: tf.Tensor, layout: RotationLayout): tf.Tensor2D {
  const { batch, s, p } = layout;
  if (p === 1) return (hasShape(z, [batch, s]) ? z : tf.reshape(z, [batch, s])) as tf.Tensor2D;
  return tf.reshape(tf.transpose(tf.reshape(z, [batch, s, p]), [0, 2, 1]), [batch * p, s]);
}

/** The inverse of {@link toRows} (`rows` itself when it has z's shape already). */
export function fromRows(rows: tf.Tensor, layout: RotationLayout): tf.Tensor {
  const { batch, s, p, repShape } = layout;
  if (p === 1) {
    const shape = [batch, ...repShape];
    return hasShape(rows, shape) ? rows : tf.reshape(rows, shape);
  }
  return tf.reshape(tf.transpose(tf.reshape(rows, [batch, p, s]), [0, 2, 1]), [batch, ...repShape]);
}

/** The tasks' rotation matrices in chunks: `[n, n]` matrices and/or `[k, n, n]` batches. */
export type MatrixChunks = readonly tf.Tensor[];

/** `[n, K·n]` with `M[j, i·n + s] = R_i[s, j]`: every `R_iᵀ` side by side. */
function sideBySideTransposes(chunks: MatrixChunks): tf.Tensor2D {
  const parts = chunks.map((c) => {
    if (c.rank === 2) return tf.transpose(c) as tf.Tensor2D;
    const [k, n] = c.shape as [number, number, number];
    return tf.reshape(tf.transpose(c, [2, 0, 1]), [n, k * n]) as tf.Tensor2D;
  });
  return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
}

/** How many tasks a chunk holds. */
const tasksIn = (c: tf.Tensor) => (c.rank === 2 ? 1 : c.shape[0]!);

/**
 * Rotates a representation for every task at once: `z_i = rotate(R_i, z)` for the K matrices in
 * `chunks`, with rows `s ≥ n` left as they are. One 2-D product `[B·P, n] × [n, K·n]`, or, when
 * every chunk is one `[n, n]` matrix (the per-task layout of large n, see `setBatchStrategy`),
 * one `[B·P, n] × [n, n]` product per task: the same sums, without copying the K `R_iᵀ` into one
 * matrix and the product out of it (2 MB each way at n = 256, K = 8: 1 ms on wasm).
 * `transposed`, where given, holds the 2-D chunks' transposes `R_iᵀ` (computed together).
 * Returns the K rotated representations in rows form, `[B·P, S]` each.
 */
export function rotateRowsAll(
  rows: tf.Tensor2D,
  chunks: MatrixChunks,
  layout: RotationLayout,
  transposed?: MatrixChunks,
): tf.Tensor2D[] {
  return tf.tidy(() => {
    const n = layout.n;
    const k = chunks.reduce((acc, c) => acc + tasksIn(c), 0);
    const head = layout.s === n ? rows : tf.slice(rows, [0, 0], [-1, n]);
    const rotated = chunks.every((c) => c.rank === 2)
      ? chunks.map(
          (c, i) =>
            tf.matMul(head, (transposed?.[i] ?? tf.transpose(c)) as tf.Tensor2D) as tf.Tensor2D,
        )
      : (tf.split(tf.matMul(head, sideBySideTransposes(chunks)), k, 1) as tf.Tensor2D[]);
    if (layout.s === n) return rotated;
    const tail = tf.slice(rows, [0, n], [-1, layout.s - n]);
    return rotated.map((r) => tf.concat([r, tail], 1));
  });
}

/**
 * Rotates per-task gradients back: `g_i = R_iᵀ h_i` on the first `n` rows of the rotation layout
 * (rows form: `g_i = h_i · R_i`), rows `s ≥ n` unchanged. A 2-D product per `[n, n]` chunk, a
 * batched one per `[k, n, n]` chunk.
 */
export function rotateRowsBack(
  rows: tf.Tensor2D[],
  chunks: MatrixChunks,
  layout: RotationLayout,
): tf.Tensor2D[] {
  return tf.tidy(() => {
    const n = layout.n;
    const heads = rows.map((r) => (layout.s === n ? r : tf.slice(r, [0, 0], [-1, n])));
    const back: tf.Tensor2D[] = [];
    let i = 0;
    for (const c of chunks) {
      if (c.rank === 2) {
        back.push(tf.matMul(heads[i++]!, c as tf.Tensor2D));
      } else {
        const k = tasksIn(c);
        const batch = tf.stack(heads.slice(i, i + k)) as tf.Tensor3D;
        back.push(...(tf.unstack(tf.matMul(batch, c as tf.Tensor3D)) as tf.Tensor2D[]));
        i += k;
      }
    }
    if (layout.s === n) return back;
    return back.map((g, j) => tf.concat([g, tf.slice(rows[j]!, [0, n], [-1, layout.s - n])], 1));
  });
}

/**
 * Rotates a representation `z` (`[B, ...repShape]`) by one rotation matrix `R` (`[n, n]`),
 * as the reference's `rotate`: only the first n components before `postShape` are rotated.
 *
 * ```js
 * const z = tf.randomNormal([8, 4]);
 * const zr = rotate(rotation.matrix(), z);
 * ```
 */
export function rotate(r: tf.Tensor2D, z: tf.Tensor, postShape: readonly number[] = []): tf.Tensor {
  return tf.tidy(() => {
    const layout = rotationLayout(z.shape, r.shape[0], postShape);
    const [out] = rotateRowsAll(toRows(z, layout), [r], layout);
    return fromRows(out!, layout);
  });
}

/**
 * The inverse of {@link rotate}: applies `Rᵀ` to the first n components before `postShape`.
 *
 * ```js
 * rotateBack(R, rotate(R, z));  // ≈ z
 * ```
 */
export function rotateBack(
  r: tf.Tensor2D,
  z: tf.Tensor,
  postShape: readonly number[] = [],
): tf.Tensor {
  return tf.tidy(() => {
    const layout = rotationLayout(z.shape, r.shape[0], postShape);
    const [out] = rotateRowsBack([toRows(z, layout)], [r], layout);
    return fromRows(out!, layout);
  });
}
