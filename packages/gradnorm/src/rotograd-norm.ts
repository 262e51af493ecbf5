import {
  type CombineInput,
  type CombineOutput,
  type GradientCombiner,
  type ModuleLike,
  parseLossTracking,
  parseRotation,
  RotoGradScaling,
} from '@rotograd/core';
import type * as tf from '@tensorflow/tfjs-core';
import { GradNormWeighting } from './gradnorm-weighting';
import { parseAlpha, type RotoGradNormOptions } from './options';
import { numTasksOf, TaskWeightedModel } from './task-weighted-model';

/**
 * RotoGradNorm's combiner: RotoGrad's bookkeeping (its step counter and initial gradient norms
 * `N0`, whose statistics it reports), then GradNorm's weighting, whose `q = Σ w_i g_i` is what
 * the backbone receives. RotoGrad's own scaled gradient is not used.
 */
class RotoGradNormCombiner implements GradientCombiner {
  readonly name = 'rotogradnorm';

  constructor(
    readonly scaling: RotoGradScaling,
    readonly weighting: GradNormWeighting,
  ) {}

  variables(): tf.Variable[] {
    return this.weighting.variables();
  }

  combine(input: CombineInput): CombineOutput {
    const rotograd = this.scaling.update(input.taskGrads);
    const out = this.weighting.combine(input);
    return { ...out, stats: { ...rotograd, ...out.stats } };
  }

  dispose(): void {
    this.scaling.dispose();
    this.weighting.dispose();
  }
}

/**
 * RotoGradNorm (the official implementation's `RotoGradNorm`): RotoGrad's rotations, trained
 * by the same rotation losses, with GradNorm's learned task weights in place of RotoGrad's
 * gradient scaling: the backbone receives `q = Σ_i w_i g_i` (FORMAT.md §4, step 6). It keeps
 * RotoGrad's counters and initial gradient norms (its diagnostics `gradNorms`, `convRatios`,
 * `alphas`, `weightedSumNorm` are in `details.stats` next to GradNorm's `weights`,
 * `taskGradNorms`, `meanWeightedGradNorm`, `targets`, `gradNormLoss`).
 *
 * The K weight logits `ω_i` (initially 1, so equal weights) are {@link weightLogits}; they are
 * in `rotogradVariables()`, and their gradients in `rotogradGrads`, so the `rotogradOptimizer`
 * trains them with the rotations. Where the relative-loss ratio `L̃_i / L̄` is negative and `α`
 * is not an integer (the official code fails there), the target uses `sign(r)·|r|^α`
 * (see `relativePower`).
 *
 * ```js
 * const model = new RotoGradNorm(backbone, [head1, head2], { rotationShape: 16, alpha: 1 });
 * const optimizer = tf.train.adam(1e-3);
 * const rotogradOptimizer = tf.train.adam(1e-3);
 * const losses = model.step(x, ([p1, p2]) => [mse(y1, p1), mse(y2, p2)], { optimizer, rotogradOptimizer });
 * const w = model.weights();  // Σ w = 2
 * ```
 */
export class RotoGradNorm extends TaskWeightedModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[], options: RotoGradNormOptions) {
    const owner = 'RotoGradNorm';
    const tracking = parseLossTracking(options ?? ({} as RotoGradNormOptions), owner);
    const rotation = parseRotation(options, owner);
    const alpha = parseAlpha(options, owner);
    const numTasks = numTasksOf(heads, owner);
    const weighting = new GradNormWeighting(numTasks, { alpha });
    const combiner = new RotoGradNormCombiner(
      new RotoGradScaling(numTasks, tracking.burnInPeriod),
      weighting,
    );
    super(
      backbone,
      heads,
      { name: owner, combiner, rotation, trackLosses: true, ...tracking },
      weighting,
    );
  }
}
