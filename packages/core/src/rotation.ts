import * as tf from '@tensorflow/tfjs-core';
import { cacheLookup } from './cached';
import {
  disposeExpmState,
  type ExpmPlan,
  type ExpmPlanOptions,
  type ExpmProgram,
  type ExpmState,
  expmForward,
  expmNormBound,
  expmNormBounds,
  expmPlan,
  expmPlanCoverage,
  expmProgram,
  expmStateTensors,
} from './expm';
import { haarRotation, normalGenerator } from './haar';
import { batchStrategy, matMul } from './mat-mul';
import { PendingReads } from './pending-reads';
import { skewFromLower } from './skew';
import { hasSymmetricMatMulKernel, SYMMETRIC_MAT_MUL_SUM_KERNEL } from './symmetric-mat-mul';
import { tidy } from './tidy';

/** Every A_i = L_i − L_iᵀ is skew-symmetric ({@link expmNormBound}'s tighter bound applies). */
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
  /** Set by a {@link RotationGroup}: the plan its norm tracking picks. */
  planSource: (() => ExpmPlan) | null = null;

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
          const e = expmForward(skewFromLower(this.weight), this.planSource?.(), SKEW);
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

/**
 * The rotation matrices of K tasks, with what their gradient needs, in "chunks": on backends
 * whose batched products are slow (wasm, cpu; see {@link batchStrategy}) one 2-D `[n, n]` chunk
 * per task, elsewhere one `[K, n, n]` chunk for all. Splitting and re-stacking batches costs
 * copies that, on wasm, take as long as the products themselves.
 */
export interface RotationForward {
  /** R_i, chunked: K `[n, n]` matrices or one `[K, n, n]` batch. */
  readonly matrices: tf.Tensor[];
  /** expm(A) of each chunk, with the intermediates of its Fréchet derivative. */
  readonly expm: ExpmState[];
  /** Upper bounds on ‖A_i‖₂ (`‖A_i^q‖_F^{1/q}`, see {@link expmNormBound}), `[K]`. */
  readonly norms: tf.Tensor1D;
}

function forwardTensors(f: RotationForward): tf.Tensor[] {
  return [...f.matrices, f.norms, ...f.expm.flatMap(expmStateTensors)];
}

/** How much of the largest growth rate read so far {@link RotationGroup} keeps at each new read. */
const GROWTH_MEMORY = 0.9;

/**
 * The K rotations of a model, computed together (one batched exponential). Tracks, without
 * reading anything back synchronously, an upper bound on ‖A_i‖₂ that picks how many products
 * the exponential needs.
 */
export class RotationGroup {
  readonly rotations: Rotation[];
  readonly size: number;
  private normEstimate = 0;
  /** Evaluations of the rotations so far, and the one `normEstimate` was read from. */
  private evaluations = 0;
  private estimateAt = 0;
  /** Norm reads resolved so far, and the largest change per evaluation between two of them. */
  private reads = 0;
  private normGrowth = 0;
  /** The program whose bound `normEstimate` is (see {@link watchNorms}). */
  private estimator: ExpmProgram | null = null;
  private readonly minCoverage: number;
  private pinnedPlan: ExpmPlan | null;
  private overflowWarned = false;
  private readFailureWarned = false;
  private readonly normReads = new PendingReads();
  /**
   * Every exponent here is skew-symmetric (`A = L − Lᵀ`), so plans may use `‖e^A‖₂ = 1`, and
   * training takes the exact derivative of each: plans count its products too, at half the cost
   * for triangular ones where the active backend has the symmetric kernels (then degree 18
   * without a squaring is cheaper than degree 12 with one).
   */
  private get planOptions(): ExpmPlanOptions {
    const triangular =
      hasSymmetricMatMulKernel() &&
      tf.getKernel(SYMMETRIC_MAT_MUL_SUM_KERNEL, tf.getBackend()) !== undefined;
    return { skew: true, size: this.size, derivative: true, triangular };
  }

  constructor(rotations: Rotation[], options: { minCoverage?: number; maxNorm?: number } = {}) {
    this.rotations = rotations;
    this.size = rotations[0]!.size;
    this.minCoverage = options.minCoverage ?? 4;
    this.pinnedPlan =
      options.maxNorm === undefined ? null : expmPlan(options.maxNorm, this.planOptions);
    for (const r of rotations) r.planSource = () => this.plan();
  }

  /**
   * The plan for the next evaluation, from the norms read back asynchronously (a step late).
   *
   * Trade-off: until two reads have resolved nothing is known about how fast the norm moves (a
   * loop that never awaits never resolves one), so the plan covers twice the last norm and at
   * least `minCoverage` (4: 6 products where 3 would do near A = 0). Once two have, the loop
   * awaits, and the plan covers 1.1 times the last norm read plus its growth until the next
   * evaluation and one more, at the largest rate per evaluation seen between two reads, each
   * older rate weighed down by 0.9 per read since (a steady rate is kept; one that has stopped,
   * as when the rotations settle or their learning rate is cut, fades over some 20 reads; a loop
   * that awaits each step reads the previous step's norm: two steps' growth), down to
   * `minCoverage / 16` (0.25). A jump larger than that margin still triggers the overflow
   * warning below, and the plan after it covers the new norm; a plan overshot by 10% is still
   * accurate to a few float32 roundoffs (degree 12: remainder ≤ 1.1^13 u ≈ 3.5u), below the
   * rounding of the products themselves. (The norms are themselves upper bounds,
   * `‖A^q‖_F^{1/q}` ≥ ‖A‖₂, see {@link expmNormBound}: with degree 12's q = 4, 9% above ‖A‖₂ on
   * the bench's rotations after 30 steps; q = 3 gave 12%. For a spread spectrum, a random A at
   * n = 256, q = 4 reads 1.4 times ‖A‖₂; degree 8 reads `(Σ|λ|⁶)^{1/6}`, 1.7 times, where its
   * X² alone would give 2.4 times and flip the plan to degree 12 from ‖A‖₂ ≈ 0.25 on, not 0.35.)
   */
  plan(): ExpmPlan {
    if (this.pinnedPlan) return this.pinnedPlan;
    if (this.reads < 2)
      return expmPlan(Math.max(2 * this.normEstimate, this.minCoverage), this.planOptions);
    return expmPlan(
      Math.max(
        1.1 * this.normEstimate + (this.evaluations + 2 - this.estimateAt) * this.normGrowth,
        this.minCoverage / 16,
      ),
      this.planOptions,
    );
  }

  /**
   * Computes every R_i. Inside {@link cached} the result is shared; `owned` says whether the
   * caller must dispose it ({@link disposeRotationForward}).
   */
  forward(): { value: RotationForward; owned: boolean } {
    const plan = this.plan();
    return cacheLookup(
      this,
      [
        plan.degree,
        plan.squarings,
        plan.patersonStockmeyer ? 1 : 0,
        ...this.rotations.flatMap((r) => [r.weight.dataId, r.base.dataId]),
      ],
      () => {
        const value = tidy((): RotationForward => {
          if (batchStrategy(this.size) === 'loop') {
            const as = this.rotations.map((r) => skewFromLower(r.weight));
            const expm = as.map((a) => expmForward(a, plan, SKEW));
            const matrices = expm.map((e, i) =>
              tf.matMul(this.rotations[i]!.base, e.value as tf.Tensor2D),
            );
            const norms = expmNormBounds(expm, SKEW);
            return { matrices, expm, norms };
          }
          const w = tf.stack(this.rotations.map((r) => r.weight)) as tf.Tensor3D;
          const b = tf.stack(this.rotations.map((r) => r.base)) as tf.Tensor3D;
          const a = skewFromLower(w);
          const e = expmForward(a, plan, SKEW);
          const norms = expmNormBound(e, SKEW) as tf.Tensor1D;
          return { matrices: [matMul(b, e.value)], expm: [e], norms };
        });
        this.watchNorms(value.norms, plan, ++this.evaluations);
        return value;
      },
      forwardTensors,
    );
  }

  /**
   * Reads the norms of evaluation `at` back without blocking, to plan later evaluations. The read
   * holds its own reference to them, so the caller may dispose the forward pass at once.
   */
  private watchNorms(norms: tf.Tensor1D, plan: ExpmPlan, at: number): void {
    if (this.pinnedPlan) return;
    const coverage = expmPlanCoverage(plan, this.planOptions);
    // The bound's estimator: the program's power (or moment) of A. Plans that alternate between
    // programs read the same A as different bounds (degree 12's ‖A⁴‖_F^{1/4} is 3% above degree
    // 18's sixth root on the bench's rotations), which is no growth.
    const estimator = expmProgram(plan);
    this.normReads.read(
      norms,
      (values) => {
        let max = 0;
        for (const v of values as Float32Array) if (v > max) max = v;
        if (!Number.isFinite(max) || at <= this.estimateAt) return;
        if (this.reads > 0 && estimator === this.estimator) {
          const rate = Math.abs(max - this.normEstimate) / (at - this.estimateAt);
          this.normGrowth = Math.max(rate, GROWTH_MEMORY * this.normGrowth);
        }
        this.reads++;
        this.normEstimate = max;
        this.estimateAt = at;
        this.estimator = estimator;
        if (max > coverage && !this.overflowWarned) {
          this.overflowWarned = true;
          console.warn(
            `@rotograd/core: a rotation's ‖A‖₂ ≤ ${max.toPrecision(3)} exceeded the ${coverage.toPrecision(3)} its matrix exponential was planned for (norms are read back asynchronously, so a loop that never awaits sees stale ones). That step's rotation was less accurate than float32; later steps plan for the new norm. Pass expmMaxNorm to fix the plan.`,
          );
        }
      },
      (e) => {
        if (this.readFailureWarned) return;
        this.readFailureWarned = true;
        console.warn(
          `@rotograd/core: could not read back the rotations' norms (${e instanceof Error ? e.message : String(e)}); the matrix exponential keeps its conservative plan. Pass expmMaxNorm to fix the plan.`,
        );
      },
    );
  }

  /** Resolves once every norm read started so far has completed (and released its tensor). */
  settled(): Promise<void> {
    return this.normReads.settled();
  }
}

/** Disposes a {@link RotationForward} the caller owns. */
export function disposeRotationForward(f: RotationForward): void {
  tf.dispose(forwardTensors(f));
}
