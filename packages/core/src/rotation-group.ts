import * as tf from '@tensorflow/tfjs-core';
import { cacheLookup, isCaching } from './cached';
import {
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
import { batchStrategy, matMul } from './mat-mul';
import { PendingReads } from './pending-reads';
import { initialBases, type RotationStart, rotationMatrix } from './rotation';
import { skewFromLower, transposeMatrices } from './skew';
import { hasSymmetricMatMulKernel, SYMMETRIC_MAT_MUL_SUM_KERNEL } from './symmetric-mat-mul';
import { tidy } from './tidy';

/** Every A_i = L_i − L_iᵀ is skew-symmetric ({@link expmNormBound}'s tighter bound applies). */
const SKEW = { skew: true } as const;

/**
 * The rotation matrices of K tasks, with what their gradient needs, in "chunks": on backends
 * whose batched products are slow (wasm, cpu; see {@link batchStrategy}) one 2-D `[n, n]` chunk
 * per task, elsewhere one `[K, n, n]` chunk for all. Splitting and re-stacking batches costs
 * copies that, on wasm, take as long as the products themselves.
 */
export interface RotationForward {
  /**
   * R_i, chunked: K `[n, n]` matrices or one `[K, n, n]` batch. On wasm the matrices are K 2-D
   * chunks even where the exponential is batched: its `B×n×n` products with them (rotating z, and
   * the task gradients back) then need no copies of z's K rotations into and out of one batch.
   */
  readonly matrices: tf.Tensor[];
  /**
   * `R_iᵀ`, where the matrices are K 2-D chunks cut from one batch: one batched transpose instead
   * of K transposes, each a kernel call, when z is rotated ({@link rotateRowsAll}).
   */
  readonly transposed?: tf.Tensor[];
  /** expm(A) of each chunk (K `[n, n]` ones, or one `[K, n, n]`), with the intermediates of its
   * Fréchet derivative. */
  readonly expm: ExpmState[];
  /** Upper bounds on ‖A_i‖₂ (`‖A_i^q‖_F^{1/q}`, see {@link expmNormBound}), `[K]`. */
  readonly norms: tf.Tensor1D;
}

function forwardTensors(f: RotationForward): tf.Tensor[] {
  return [...f.matrices, ...(f.transposed ?? []), f.norms, ...f.expm.flatMap(expmStateTensors)];
}

/** How much of the largest growth rate read so far {@link RotationGroup} keeps at each new read. */
const GROWTH_MEMORY = 0.9;

/** Options of a {@link RotationGroup}: how its bases B_i are drawn, and: */
export interface RotationGroupOptions extends RotationStart {
  /** Prefix of the variables' names (default `rotations_<id>`). */
  name?: string;
  /** Smallest ‖A‖₂ the exponential is planned for before any norm was read (default 4). */
  minCoverage?: number;
  /** Fixes the plan to cover ‖A_i‖₂ ≤ maxNorm instead of tracking the norms. */
  maxNorm?: number;
}

let groupIds = 0;

/**
 * The K rotations `R_i = B_i · expm(L_i − L_iᵀ)` of a model, held as one trainable `[K, n, n]`
 * variable W (row i is W_i; only its strict lower triangle L_i matters) and one fixed `[K, n, n]`
 * variable B, and computed together. One variable for all K: an optimizer updates them with its
 * element-wise kernels once, not K times (Adam: 14 kernels instead of 14·K), and the batched
 * exponential reads W as it is, without stacking. Tracks, without reading anything back
 * synchronously, an upper bound on ‖A_i‖₂ that picks how many products the exponential needs.
 *
 * ```js
 * const group = new RotationGroup(3, 16, { seed: 1 });
 * const r1 = group.rotations[1].matrix();  // R_1, [16, 16]
 * group.weights;                           // W, [3, 16, 16], trainable
 * ```
 */
export class RotationGroup {
  /** Rotation i of the group, one per task. */
  readonly rotations: TaskRotation[];
  /** The number of rotations K. */
  readonly count: number;
  /** The dimension n. */
  readonly size: number;
  /** W, `[K, n, n]`, trainable, starts at zero. Only each W_i's strict lower triangle is used. */
  readonly weights: tf.Variable<tf.Rank.R3>;
  /** B, `[K, n, n]`, not trainable: the rotations at W = 0. */
  readonly bases: tf.Variable<tf.Rank.R3>;
  private disposed = false;
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

  /**
   * @param count K, the number of rotations.
   * @param size n.
   * @param options See {@link RotationGroupOptions}. With `init: 'random'` the B_i are drawn one
   *   after the other from one generator, as K separate {@link Rotation}s sharing it would draw.
   */
  constructor(count: number, size: number, options: RotationGroupOptions = {}) {
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`RotationGroup: count must be a positive integer, got ${count}`);
    }
    const values = initialBases('RotationGroup', count, size, options);
    if (options.maxNorm !== undefined && !(options.maxNorm >= 0)) {
      throw new Error(`RotationGroup: maxNorm must be a number ≥ 0, got ${options.maxNorm}`);
    }
    this.count = count;
    this.size = size;
    const name = options.name ?? `rotations_${groupIds++}`;
    const bases = tf.tensor3d(values, [count, size, size]);
    this.bases = tf.variable(bases, false, `${name}/base`);
    bases.dispose();
    const zeros = tf.zeros([count, size, size]) as tf.Tensor3D;
    this.weights = tf.variable(zeros, true, `${name}/weight`);
    zeros.dispose();
    this.minCoverage = options.minCoverage ?? 4;
    this.pinnedPlan =
      options.maxNorm === undefined ? null : expmPlan(options.maxNorm, this.planOptions);
    this.rotations = Array.from({ length: count }, (_, i) => new TaskRotation(this, i));
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
    this.assertNotDisposed();
    const plan = this.plan();
    return cacheLookup(
      this,
      [
        plan.degree,
        plan.squarings,
        plan.patersonStockmeyer ? 1 : 0,
        this.weights.dataId,
        this.bases.dataId,
      ],
      () => {
        const value = tidy((): RotationForward => {
          if (batchStrategy(this.size) === 'loop') {
            const bases = tf.unstack(this.bases) as tf.Tensor2D[];
            const expm = tf
              .unstack(this.weights)
              .map((w) => expmForward(skewFromLower(w), plan, SKEW));
            const matrices = expm.map((e, i) => tf.matMul(bases[i]!, e.value as tf.Tensor2D));
            const norms = expmNormBounds(expm, SKEW);
            return { matrices, expm, norms };
          }
          const e = expmForward(skewFromLower(this.weights), plan, SKEW);
          const norms = expmNormBound(e, SKEW) as tf.Tensor1D;
          const r = matMul(this.bases, e.value);
          // The B×n×n products with the R_i (z's rows, the task gradients) follow the strategy
          // for large operands: per task where that is a loop (wasm: K 2-D products beat one
          // batch by the copies into and out of it; d = 64, K = 8: a split, a stack and an
          // unstack, ~0.2 ms), one batch where the backend batches (a GPU pays per dispatch).
          if (batchStrategy() === 'batched') return { matrices: [r], expm: [e], norms };
          const transposed = tf.unstack(transposeMatrices(r));
          return { matrices: tf.unstack(r), transposed, expm: [e], norms };
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

  /**
   * The gradient of the loss with respect to W, `[K, n, n]`, from the K tasks' gradients in the
   * chunks of {@link RotationForward} (K `[n, n]` ones, or one `[K, n, n]`).
   */
  stackGradients(chunks: tf.Tensor[]): tf.Tensor3D {
    if (chunks.length === 1 && chunks[0]!.rank === 3) return chunks[0] as tf.Tensor3D;
    return tf.stack(chunks.flatMap((c) => (c.rank === 3 ? tf.unstack(c) : [c]))) as tf.Tensor3D;
  }

  /** Disposes W and B. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weights.dispose();
    this.bases.dispose();
  }

  /** @internal */
  assertNotDisposed(): void {
    if (this.disposed) throw new Error('RotationGroup: used after dispose()');
  }
}

/**
 * Rotation i of a {@link RotationGroup} (a model's `rotations[i]`): a view of row i of the
 * group's W and B, `R_i = B_i · expm(L_i − L_iᵀ)`. W is one trainable `[K, n, n]` variable for
 * all K rotations (`model.rotogradVariables()[0]`), so W_i is read and written through this view.
 *
 * ```js
 * const r = model.rotations[0].matrix();     // R_0, [n, n]; the caller disposes it
 * model.rotations[0].assign({ weight: w0 }); // sets W_0
 * ```
 */
export class TaskRotation {
  /** The dimension n. */
  readonly size: number;

  constructor(
    /** The group whose row this is. */
    readonly group: RotationGroup,
    /** i. */
    readonly index: number,
  ) {
    this.size = group.size;
  }

  /**
   * `R_i`, `[n, n]`. Inside {@link cached} it is taken from the group's rotations, computed once
   * for all tasks; outside, only R_i is computed. The caller owns (and disposes) it either way.
   */
  matrix(): tf.Tensor2D {
    const group = this.group;
    group.assertNotDisposed();
    if (isCaching()) {
      const { value } = group.forward();
      return tf.tidy(() => {
        const chunk = value.matrices[0]!;
        if (chunk.rank === 3) return this.row(chunk);
        return value.matrices[this.index]!.clone() as tf.Tensor2D;
      });
    }
    return tf.tidy(() =>
      rotationMatrix(this.row(group.weights), this.row(group.bases), group.plan()),
    );
  }

  /** W_i, `[n, n]`: a copy the caller disposes. */
  weight(): tf.Tensor2D {
    this.group.assertNotDisposed();
    return tf.tidy(() => this.row(this.group.weights));
  }

  /** B_i, `[n, n]`: a copy the caller disposes. */
  base(): tf.Tensor2D {
    this.group.assertNotDisposed();
    return tf.tidy(() => this.row(this.group.bases));
  }

  /**
   * Writes W_i and/or B_i (each `[n, n]`; B_i should be a rotation). The values are copied.
   *
   * ```js
   * model.rotations[1].assign({ weight: tf.zeros([n, n]) });
   * ```
   */
  assign(values: { weight?: tf.Tensor; base?: tf.Tensor }): void {
    const group = this.group;
    group.assertNotDisposed();
    const n = this.size;
    for (const [key, variable] of [
      ['weight', group.weights],
      ['base', group.bases],
    ] as const) {
      const v = values[key];
      if (v === undefined) continue;
      if (
        !(v instanceof tf.Tensor) ||
        v.shape.length !== 2 ||
        v.shape[0] !== n ||
        v.shape[1] !== n
      ) {
        throw new Error(
          `rotations[${this.index}].assign: ${key} must be a tf.Tensor of shape [${n}, ${n}], got ${v instanceof tf.Tensor ? `shape [${v.shape}]` : typeof v}`,
        );
      }
      tf.tidy(() => {
        const rows = tf.unstack(variable);
        rows[this.index] = tf.cast(v, 'float32');
        variable.assign(tf.stack(rows) as tf.Tensor3D);
      });
    }
  }

  /** Row i of a `[K, n, n]` tensor, as `[n, n]`. */
  private row(t: tf.Tensor): tf.Tensor2D {
    const n = this.size;
    return tf.reshape(tf.slice(t, [this.index, 0, 0], [1, n, n]), [n, n]);
  }
}

/** Disposes a {@link RotationForward} the caller owns. */
export function disposeRotationForward(f: RotationForward): void {
  tf.dispose(forwardTensors(f));
}
