import * as tf from '@tensorflow/tfjs-core';
import type { CombineInput, CombineOutput, GradientCombiner } from './gradient-combiner';
import { squaredNorms } from './squared-norms';
import { weightedSum } from './weighted-sum';

/** RotoGrad's per-step scaling quantities, all on the device. */
export interface RotoGradScalingStats {
  /** `n_i = max(‖g_i‖, 1e-15)`, `[K]`. */
  readonly gradNorms: tf.Tensor1D;
  /** `κ_i = n_i / N0_i`, `[K]`. */
  readonly convRatios: tf.Tensor1D;
  /** `α_i = κ_i / max(Σ_j κ_j, 1e-15)`, `[K]`. */
  readonly alphas: tf.Tensor1D;
  /** `U = Σ_i α_i n_i`. */
  readonly weightedSumNorm: tf.Scalar;
}

/**
 * Whole-tensor L2 norms of a list of tensors, stacked: `[K]` (one kernel call for the K squared
 * norms where the backend registers `SQUARED_NORMS_KERNEL`, see {@link squaredNorms}).
 *
 * ```js
 * taskNorms([tf.tensor1d([3, 4]), tf.tensor1d([0, 2])]).print();  // [5, 2]
 * ```
 */
export function taskNorms(grads: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(squaredNorms(grads)) as tf.Tensor1D);
}

/**
 * RotoGrad's gradient scaling (FORMAT.md §4.6): every task gradient is rescaled to the same
 * norm `U`, a convex combination of the current norms weighted by each task's convergence
 * ratio `κ_i = n_i / N0_i`. `N0` is recorded at the first step and again at step
 * `burnInPeriod`. Its counter lives on the host and its norms on the device.
 *
 * ```js
 * const scaling = new RotoGradScaling(2, 20);
 * ```
 */
export class RotoGradScaling implements GradientCombiner {
  readonly name: string = 'rotograd';
  private counter = 0;
  private initialNorms: tf.Tensor1D | null = null;

  constructor(
    readonly numTasks: number,
    readonly burnInPeriod: number,
  ) {}

  variables(): tf.Variable[] {
    return [];
  }

  /** `N0`, or null before the first step. */
  get initialGradNorms(): tf.Tensor1D | null {
    return this.initialNorms;
  }

  /**
   * Updates the counter and `N0` from this step's task gradients (their norms `norms`, `[K]`, if
   * already computed) and returns the stats.
   */
  update(taskGrads: readonly tf.Tensor[], norms?: tf.Tensor1D): RotoGradScalingStats {
    const gradNorms = tf.maximum(norms ?? taskNorms(taskGrads), 1e-15) as tf.Tensor1D;
    if (this.initialNorms === null || this.counter === this.burnInPeriod) {
      this.initialNorms?.dispose();
      this.initialNorms = tf.keep(gradNorms.clone());
    }
    this.counter++;
    const convRatios = tf.div(gradNorms, this.initialNorms) as tf.Tensor1D;
    const alphas = tf.div(convRatios, tf.maximum(tf.sum(convRatios), 1e-15)) as tf.Tensor1D;
    const weightedSumNorm = tf.sum(tf.mul(alphas, gradNorms)) as tf.Scalar;
    return { gradNorms, convRatios, alphas, weightedSumNorm };
  }

  combine({ taskGrads, taskNorms: norms }: CombineInput): CombineOutput {
    const stats = this.update(taskGrads, norms);
    // q = Σ_i (g_i / n_i) · U
    const repGrad = weightedSum(taskGrads, tf.div(stats.weightedSumNorm, stats.gradNorms));
    return { repGrad, stats: { ...stats } };
  }

  dispose(): void {
    this.initialNorms?.dispose();
    this.initialNorms = null;
  }
}
