import {
  type CombineInput,
  type CombineOutput,
  type GradientCombiner,
  taskNorms,
  weightedSum,
} from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import { relativePower } from './relative-power';

/**
 * Options of {@link GradNormWeighting}.
 *
 * ```js
 * new GradNormWeighting(3, { alpha: 1.5, initialLogit: 0 });
 * ```
 */
export interface GradNormWeightingOptions {
  /** GradNorm's asymmetry `α ≥ 0` (validate it with `parseAlpha`). Required. */
  alpha: number;
  /** The initial value of every logit `ω_i`; equal logits mean equal weights. Default: 1 (as the official implementation). */
  initialLogit?: number;
}

/**
 * GradNorm's per-step quantities, found in `computeGradients(..., {details: true}).details.stats`
 * under these names.
 *
 * ```js
 * const r = model.computeGradients(x, lossFn, { details: true });
 * console.log(await r.details.stats.targets.data());
 * r.dispose();
 * ```
 */
export interface GradNormStats {
  /** `w_i = K·e_i / Σ_j e_j` with `e_j = exp(ω_j) + 1e-15`, `[K]` (Σ w = K). */
  readonly weights: tf.Tensor1D;
  /** `ν_i = ‖g_i‖`, `[K]`. */
  readonly taskGradNorms: tf.Tensor1D;
  /** `m = ‖(1/K) Σ_i w_i g_i‖`. */
  readonly meanWeightedGradNorm: tf.Scalar;
  /** `τ_i = m · (L̃_i / L̄)^α` (see {@link relativePower} for a negative ratio), `[K]`. */
  readonly targets: tf.Tensor1D;
  /** The GradNorm loss `Σ_i |ν_i w_i − τ_i|` whose gradient trains the logits. */
  readonly gradNormLoss: tf.Scalar;
}

let ids = 0;

/**
 * GradNorm's task weighting (Chen et al., ICML 2018) as a `GradientCombiner` of
 * `@rotograd/core`, on the task gradients `g_i` with respect to the shared representation `z`:
 * the backbone receives `q = Σ_i w_i g_i`, and K scalar logits `ω_i` (its variables, trained
 * by the model's `rotogradOptimizer`) learn weights `w = K·softmax(ω)` that drive each weighted
 * gradient norm `ν_i w_i` towards the target `τ_i = m · (L̃_i / L̄)^α`, with `m` the norm of the
 * mean weighted gradient. `m` and `τ` are constants: only the logits receive the gradient of
 * `Σ_i |ν_i w_i − τ_i|`, computed in closed form (FORMAT.md §4, step 6),
 * `∂/∂ω_j = K·exp(ω_j)·(a_j E − Σ_i a_i e_i)/E²` with `a_i = sign(ν_i w_i − τ_i)·ν_i`.
 *
 * `combine` runs inside the step's `tf.tidy` and reads nothing back from the device. The logits
 * are the values at the start of the step. {@link GradNorm} and {@link RotoGradNorm} are models
 * built on it; any `MultitaskModel` configuration can use it.
 *
 * ```js
 * const weighting = new GradNormWeighting(2, { alpha: 1.5 });
 * const model = new MultitaskModel(backbone, heads, {
 *   combiner: weighting, rotation: null, trackLosses: true, normalizeLosses: false,
 *   burnInPeriod: 20, checkFinite: 'async', name: 'MyGradNorm',
 * });
 * weighting.weights().print();  // [1, 1]
 * ```
 */
export class GradNormWeighting implements GradientCombiner {
  readonly name: string = 'gradnorm';
  /** `ω_i`: one trainable scalar variable per task. */
  readonly weightLogits: tf.Variable<tf.Rank.R0>[];
  /** GradNorm's asymmetry `α`. */
  readonly alpha: number;
  private disposed = false;

  constructor(
    readonly numTasks: number,
    options: GradNormWeightingOptions,
  ) {
    if (!Number.isInteger(numTasks) || numTasks < 1) {
      throw new Error(`GradNormWeighting: numTasks must be a positive integer, got ${numTasks}`);
    }
    if (!(Number.isFinite(options.alpha) && options.alpha >= 0)) {
      throw new Error(
        `GradNormWeighting: alpha must be a finite number ≥ 0, got ${String(options.alpha)}`,
      );
    }
    const initial = options.initialLogit ?? 1;
    if (!Number.isFinite(initial)) {
      throw new Error(`GradNormWeighting: initialLogit must be a finite number, got ${initial}`);
    }
    this.alpha = options.alpha;
    const id = ids++;
    const init = tf.scalar(initial);
    this.weightLogits = Array.from({ length: numTasks }, (_, i) =>
      tf.variable(init, true, `gradnorm_${id}/weight_logit.${i}`),
    );
    init.dispose();
  }

  /**
   * The logits `ω_i`, which a model puts into `rotogradVariables()`.
   *
   * ```js
   * weighting.variables();  // [ω_0, …, ω_{K−1}]
   * ```
   */
  variables(): tf.Variable[] {
    return this.weightLogits.slice();
  }

  /**
   * The current normalized weights `w_i = K·e_i / Σ_j e_j`, `e_j = exp(ω_j) + 1e-15`
   * (Σ w = K), as a new `[K]` tensor the caller disposes.
   *
   * ```js
   * const w = weighting.weights();
   * console.log(await w.data());
   * w.dispose();
   * ```
   */
  weights(): tf.Tensor1D {
    return tf.tidy(() => this.weightsOf(tf.exp(tf.stack(this.weightLogits))).weights);
  }

  private weightsOf(expLogits: tf.Tensor) {
    const e = tf.add(expLogits, 1e-15);
    const total = tf.sum(e);
    return { e, total, weights: tf.div(tf.mul(e, this.numTasks), total) as tf.Tensor1D };
  }

  /**
   * `q = Σ w_i g_i`, the logits' gradients (keyed by variable name) and {@link GradNormStats}.
   * Called by `MultitaskModel` inside the step's tidy; call it inside a `tf.tidy` yourself.
   *
   * ```js
   * const q = tf.tidy(() => weighting.combine({ taskGrads, losses, normalizedLosses, step: 0 }).repGrad);
   * ```
   */
  combine({ taskGrads, normalizedLosses, taskNorms: norms }: CombineInput): CombineOutput {
    const K = this.numTasks;
    if (taskGrads.length !== K || normalizedLosses.length !== K) {
      throw new Error(
        `GradNormWeighting: expected ${K} task gradients and losses, got ${taskGrads.length} and ${normalizedLosses.length}`,
      );
    }
    const expLogits = tf.exp(tf.stack(this.weightLogits));
    const { e, total, weights } = this.weightsOf(expLogits);
    const repGrad = weightedSum(taskGrads, weights);
    const taskGradNorms = norms ?? taskNorms(taskGrads);
    const meanWeightedGradNorm = tf.sqrt(tf.sum(tf.square(tf.div(repGrad, K)))) as tf.Scalar;
    const relLosses = tf.stack(normalizedLosses.slice());
    const ratios = tf.div(relLosses, tf.mean(relLosses));
    const targets = tf.mul(meanWeightedGradNorm, relativePower(ratios, this.alpha)) as tf.Tensor1D;
    const residuals = tf.sub(tf.mul(taskGradNorms, weights), targets);
    // ∂/∂ω_j Σ_i |ν_i w_i − τ_i| = Σ_i a_i ∂w_i/∂ω_j = K·exp(ω_j)·(a_j E − Σ_i a_i e_i) / E²
    const a = tf.mul(tf.sign(residuals), taskGradNorms);
    const logitGrads = tf.div(
      tf.mul(tf.mul(expLogits, K), tf.sub(tf.mul(a, total), tf.sum(tf.mul(a, e)))),
      tf.square(total),
    );
    const perLogit = tf.unstack(logitGrads);
    const grads: tf.NamedTensorMap = {};
    this.weightLogits.forEach((v, i) => {
      grads[v.name] = perLogit[i]!;
    });
    const stats: GradNormStats = {
      weights,
      taskGradNorms,
      meanWeightedGradNorm,
      targets,
      gradNormLoss: tf.sum(tf.abs(residuals)) as tf.Scalar,
    };
    return { repGrad, grads, stats: { ...stats } };
  }

  /**
   * Disposes the logits (once; later calls do nothing). A model disposes its combiner.
   *
   * ```js
   * weighting.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.weightLogits) v.dispose();
  }
}
