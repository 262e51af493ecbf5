import { type ModuleLike, MultitaskModel, type MultitaskModelConfig } from '@rotograd/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { GradNormWeighting } from './gradnorm-weighting';

/** The number of tasks, checked before any variable is made. */
export function numTasksOf(heads: ModuleLike[], owner: string): number {
  if (!Array.isArray(heads) || heads.length === 0) {
    throw new Error(`${owner}: heads must be a non-empty array of modules, one per task`);
  }
  return heads.length;
}

/**
 * What GradNorm and RotoGradNorm share: a model whose combiner includes a
 * {@link GradNormWeighting}, exposing its logits, its `α` and the current weights. (A failed
 * construction disposes the combiner, and with it the logits: `MultitaskModel` does that.)
 *
 * ```js
 * class MyWeighted extends TaskWeightedModel { ... }
 * ```
 */
export abstract class TaskWeightedModel extends MultitaskModel {
  /** `ω_i`: the task-weight logits, one trainable scalar variable per task. */
  readonly weightLogits: tf.Variable<tf.Rank.R0>[];
  /** GradNorm's asymmetry `α`. */
  readonly alpha: number;
  private readonly weighting: GradNormWeighting;

  protected constructor(
    backbone: ModuleLike,
    heads: ModuleLike[],
    config: MultitaskModelConfig,
    weighting: GradNormWeighting,
  ) {
    super(backbone, heads, config);
    this.weighting = weighting;
    this.weightLogits = weighting.weightLogits;
    this.alpha = weighting.alpha;
  }

  /**
   * The current task weights `w_i = K·e_i / Σ_j e_j`, `e_j = exp(ω_j) + 1e-15` (Σ w = K), as a
   * new `[K]` tensor the caller disposes.
   *
   * ```js
   * const w = model.weights();
   * console.log(await w.data());  // e.g. [0.8, 1.2]
   * w.dispose();
   * ```
   */
  weights(): tf.Tensor1D {
    return this.weighting.weights();
  }
}
