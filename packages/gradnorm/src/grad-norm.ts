import { type ModuleLike, parseLossTracking } from '@rotograd/core';
import { GradNormWeighting } from './gradnorm-weighting';
import { type GradNormOptions, parseAlpha } from './options';
import { numTasksOf, TaskWeightedModel } from './task-weighted-model';

/**
 * GradNorm (Chen et al., ICML 2018) on the shared representation, without rotations: the
 * backbone receives `q = Σ_i w_i g_i`, where `g_i = ∂ℓ_i/∂z` and the weights `w = K·softmax(ω)`
 * are learned so that every weighted task-gradient norm `‖w_i g_i‖` approaches
 * `m · (L̃_i / L̄)^α` (see {@link GradNormWeighting}). As in the official RotoGradNorm, the
 * gradient norms are taken on `z`, not on the last shared layer's weights, and `L̃_i = L_i / L0_i`
 * relative to the losses of the first step (recorded again at `burnInPeriod`).
 *
 * The logits {@link weightLogits} (initially 1) are `rotogradVariables()`: pass a
 * `rotogradOptimizer` to `step` to train them at their own learning rate (default: `optimizer`).
 *
 * ```js
 * const model = new GradNorm(backbone, [head1, head2], { alpha: 1.5 });
 * const losses = model.step(x, ([p1, p2]) => [mse(y1, p1), mse(y2, p2)], {
 *   optimizer: tf.train.adam(1e-3), rotogradOptimizer: tf.train.adam(1e-2),
 * });
 * ```
 */
export class GradNorm extends TaskWeightedModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[], options: GradNormOptions) {
    const owner = 'GradNorm';
    const tracking = parseLossTracking(options ?? ({} as GradNormOptions), owner);
    const alpha = parseAlpha(options, owner);
    const weighting = new GradNormWeighting(numTasksOf(heads, owner), { alpha });
    super(
      backbone,
      heads,
      { name: owner, combiner: weighting, rotation: null, trackLosses: true, ...tracking },
      weighting,
    );
  }
}
