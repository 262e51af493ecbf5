import * as tf from '@tensorflow/tfjs-core';
import { cacheLookup } from './cached';
import { disposeExpmState, type ExpmPlan, expmForward } from './expm';
import { haarRotation, normalGenerator } from './haar';
import { skewFromLower } from './skew';

/** A = L − Lᵀ is skew-symmetric (the exponential's tighter norm bound applies). */
const SKEW = { skew: true } as const;

/** How a rotation starts. */
export type RotationInit = 'random' | 'identity';

/** How a {@link Rotation} or a `RotationGroup` draws its bases. */
export interface RotationStart {
  /** Default `'random'`: Haar-uniform on SO(n); `'identity'`: I. */
  init?: RotationInit;
  /** Seed of the Haar draws (default: a random seed); or give a `normal` generator. */
  seed?: number;
  normal?: () => number;
}

/**
 * `count` initial bases B_i of size n, row-major: identities, or Haar draws one after the other
 * from one generator. Throws, naming `owner`, on a size that is not a positive integer or an
 * unknown `init`.
 */
export function initialBases(
  owner: string,
  count: number,
  size: number,
  options: RotationStart,
): Float32Array {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`${owner}: size must be a positive integer, got ${size}`);
  }
  const init = options.init ?? 'random';
  if (init !== 'random' && init !== 'identity') {
    throw new Error(`${owner}: init must be 'random' or 'identity', got ${String(init)}`);
  }
  const values = new Float32Array(count * size * size);
  if (init === 'identity') {
    for (let i = 0; i < count; i++)
      for (let j = 0; j < size; j++) values[(i * size + j) * size + j] = 1;
  } else {
    const normal =
      options.normal ?? normalGenerator(options.seed ?? (Math.random() * 2 ** 32) >>> 0);
    for (let i = 0; i < count; i++) values.set(haarRotation(size, normal), i * size * size);
  }
  return values;
}

/**
 * `R = B · expm(L − Lᵀ)` for one weight W and base B (`[n, n]`), the exponential by `plan` (by
 * default scaled on the device).
 */
export function rotationMatrix(
  weight: tf.Tensor2D,
  base: tf.Tensor2D,
  plan?: ExpmPlan,
): tf.Tensor2D {
  return tf.tidy(() => {
    const e = expmForward(skewFromLower(weight), plan, SKEW);
    const r = tf.matMul(base, e.value as tf.Tensor2D);
    disposeExpmState(e);
    return r as tf.Tensor2D;
  });
}

let rotationIds = 0;

/**
 * A learnable rotation `R = B · expm(L − Lᵀ)` in SO(n), where `L` is the strictly lower triangle
 * of the trainable `weight` W and `base` B is a fixed rotation (geotorch's `orthogonal` with the
 * `expm` trivialization, as the reference uses). `W` starts at zero, so at first `R = B`; with
 * `init: 'random'` B is Haar-uniform on SO(n) (as the reference), with `'identity'` it is `I`.
 *
 * ```js
 * const rot = new Rotation(4, { init: 'random', seed: 1 });
 * const r = rot.matrix();  // [4, 4], orthogonal, det +1
 * ```
 */
export class Rotation {
  /** The dimension n. */
  readonly size: number;
  /** W, `[n, n]`, trainable. Only its strict lower triangle affects `R`. */
  readonly weight: tf.Variable<tf.Rank.R2>;
  /** B, `[n, n]`, not trainable. */
  readonly base: tf.Variable<tf.Rank.R2>;
  private disposed = false;

  /**
   * @param size n.
   * @param options `init` (default `'random'`), `seed` or a `normal` generator for the Haar draw
   *   (default: a random seed), `name` prefix of the variables.
   */
  constructor(size: number, options: RotationStart & { name?: string } = {}) {
    const baseValues = tf.tensor2d(initialBases('Rotation', 1, size, options), [size, size]);
    this.size = size;
    const name = options.name ?? `rotation_${rotationIds++}`;
    this.base = tf.variable(baseValues, false, `${name}/base`);
    baseValues.dispose();
    const zeros = tf.zeros([size, size]) as tf.Tensor2D;
    this.weight = tf.variable(zeros, true, `${name}/weight`);
    zeros.dispose();
  }

  /**
   * The rotation matrix `R = B · expm(L − Lᵀ)`, `[n, n]`. Inside {@link cached} it is computed
   * once; the caller owns (and disposes) the returned tensor either way.
   */
  matrix(): tf.Tensor2D {
    this.assertNotDisposed();
    const { value, owned } = cacheLookup(
      this,
      [this.weight.dataId, this.base.dataId],
      () => rotationMatrix(this.weight, this.base),
      (r) => [r],
    );
    // Without a cache scope the value is ours to hand over; inside one, hand out a copy.
    return owned ? value : value.clone();
  }

  /** Disposes W and B. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weight.dispose();
    this.base.dispose();
  }

  private assertNotDisposed(): void {
    if (this.disposed) throw new Error('Rotation: used after dispose()');
  }
}
