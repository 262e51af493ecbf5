import type { ModuleLike } from './module';
import { MultitaskModel } from './multitask-model';
import { type CommonOptions, parseCheckFinite } from './options';
import { sumCombiner } from './sum-combiner';

/**
 * The plain hard-parameter-sharing baseline: the backbone receives the sum of the task
 * gradients. Same API as {@link RotoGrad}, without rotations.
 *
 * ```js
 * const model = new VanillaMTL(backbone, [head1, head2]);
 * const losses = model.step(x, ([p1, p2]) => [mse(y1, p1), mse(y2, p2)], { optimizer });
 * ```
 */
export class VanillaMTL extends MultitaskModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[], options: CommonOptions = {}) {
    super(backbone, heads, {
      name: 'VanillaMTL',
      combiner: sumCombiner(),
      rotation: null,
      trackLosses: false,
      normalizeLosses: false,
      burnInPeriod: 0,
      checkFinite: parseCheckFinite(options, 'VanillaMTL'),
    });
  }
}
