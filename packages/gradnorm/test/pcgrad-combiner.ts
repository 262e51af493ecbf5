import { type GradientCombiner, type ModuleLike, MultitaskModel } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * PCGrad ("gradient surgery", Yu et al., NeurIPS 2020) on the shared representation: each task
 * gradient loses its component along every other task gradient it conflicts with
 * (negative dot product), then they are summed. Tasks are taken in a fixed order, not shuffled.
 */
export function pcGradCombiner(): GradientCombiner {
  return {
    name: 'pcgrad',
    variables: () => [],
    combine: ({ taskGrads }) => {
      const projected = taskGrads.map((gi, i) => {
        let p = gi;
        for (const [j, gj] of taskGrads.entries()) {
          if (j === i) continue;
          // p ← p − min(p·g_j, 0) / ‖g_j‖² · g_j, without reading anything back
          const dot = tf.sum(tf.mul(p, gj));
          const coef = tf.div(tf.minimum(dot, 0), tf.add(tf.sum(tf.square(gj)), 1e-20));
          p = tf.sub(p, tf.mul(coef, gj));
        }
        return p;
      });
      return { repGrad: tf.addN(projected) };
    },
    dispose() {},
  };
}

/** The model: core's MultitaskModel with the combiner, no rotations, no loss bookkeeping. */
export class PCGrad extends MultitaskModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[]) {
    super(backbone, heads, {
      name: 'PCGrad',
      combiner: pcGradCombiner(),
      rotation: null,
      trackLosses: false,
      normalizeLosses: false,
      burnInPeriod: 0,
      checkFinite: 'async',
    });
  }
}
