import * as tf from '@tensorflow/tfjs-core';
import { cacheLookup } from './cached';
import { disposeExpmState, expmForward } from './expm';
import { haarRotation, normalGenerator } from './haar';
import { skewFromLower } from './skew';

/** A = L − Lᵀ is skew-symmetric (the exponential's tighter norm bound applies). */
const SKEW = { skew: true } as const;

/** How a rotation starts. */
export type RotationInit = 'random' | 'identity';

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
  constructor(
    size: number,
    options: { init?: RotationInit; seed?: number; normal?: () => number; name?: string } = {},
  ) {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`Rotation: size must be a positive integer, got ${size}`);
    }
    const init = options.init ?? 'random';
    if (init !== 'random' && init !== 'identity') {
      throw new Error(`Rotation: init must be 'random' or 'identity', got ${String(init)}`);
    }
    this.size = size;
    const name = options.name ?? `rotation_${rotationIds++}`;
    const baseValues =
      init === 'identity'
        ? tf.eye(size)
        : tf.tensor2d(
            Float32Array.from(
              haarRotation(
                size,
                options.normal ?? normalGenerator(options.seed ?? (Math.random() * 2 ** 32) >>> 0),
              ),
            ),
            [size, size],
            'float32',
          );
    this.base = tf.variable(baseValues as tf.Tensor2D, false, `${name}/base`);
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
      () =>
        tf.tidy(() => {
          const e = expmForward(skewFromLower(this.weight), undefined, SKEW);
          const r = tf.matMul(this.base, e.value as tf.Tensor2D);
          disposeExpmState(e);
          return r as tf.Tensor2D;
        }),
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
