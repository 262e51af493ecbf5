import type { GradientCombiner } from './gradient-combiner';
import { sumAll } from './sum';

/**
 * `q = Σ_i g_i`: the plain sum of the task gradients (VanillaMTL, RotateOnly).
 *
 * ```js
 * const model = new MultitaskModel(backbone, heads, { combiner: sumCombiner() });
 * ```
 */
export function sumCombiner(): GradientCombiner {
  return {
    name: 'sum',
    variables: () => [],
    combine: ({ taskGrads }) => ({ repGrad: sumAll(taskGrads) }),
    dispose() {},
  };
}
