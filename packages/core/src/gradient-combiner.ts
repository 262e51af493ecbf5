import type * as tf from '@tensorflow/tfjs-core';

/** What a {@link GradientCombiner} is given each training step. */
export interface CombineInput {
  /** `g_i = ∂ℓ_i/∂z`: each task's gradient on the shared representation, shaped like `z`. */
  readonly taskGrads: readonly tf.Tensor[];
  /** The raw task losses `L_i`. */
  readonly losses: readonly tf.Scalar[];
  /**
   * `L̃_i = L_i / L0_i`, the losses divided by the ones recorded at step 0 and again at the end
   * of the burn-in period. Equal to `losses` for a model that keeps no such record (VanillaMTL).
   */
  readonly normalizedLosses: readonly tf.Scalar[];
  /** 0-based index of this step (a host-side counter). */
  readonly step: number;
  /**
   * `‖g_i‖`, the whole-tensor L2 norms of `taskGrads`, `[K]`, when the model computed them anyway
   * (a model with rotations needs them for its reference direction). A combiner that needs them
   * should use these rather than compute them again ({@link taskNorms} otherwise).
   */
  readonly taskNorms?: tf.Tensor1D;
}

/** What a {@link GradientCombiner} returns. */
export interface CombineOutput {
  /** `q`: the gradient back-propagated through the backbone, shaped like `z`. */
  readonly repGrad: tf.Tensor;
  /** Gradients of the combiner's own variables, keyed by variable name. */
  readonly grads?: tf.NamedTensorMap;
  /** Named diagnostics (each a tensor), returned in `computeGradients(...).details`. */
  readonly stats?: Record<string, tf.Tensor>;
}

/**
 * The extension point of `@rotograd/core`: how the task gradients on the shared representation
 * are combined into the one gradient the backbone receives. VanillaMTL and RotateOnly sum them,
 * RotoGrad scales them ({@link RotoGradScaling}), `@rotograd/gradnorm` weights them.
 *
 * `combine` runs inside the step's `tf.tidy`: tensors it creates are disposed for it. State that
 * must outlive the step (running norms, say) is the combiner's to keep (`tf.keep`) and dispose.
 * It must not read tensors back synchronously.
 *
 * ```ts
 * // The mean of the task gradients, in a few lines (see @rotograd/gradnorm's README for PCGrad):
 * const combiner: GradientCombiner = {
 *   name: 'mean',
 *   variables: () => [],
 *   combine: ({ taskGrads }) => ({ repGrad: tf.div(sumAll(taskGrads), taskGrads.length) }),
 *   dispose() {},
 * };
 * ```
 */
export interface GradientCombiner {
  /** A short name, used in error messages. */
  readonly name: string;
  /** Trainable variables the combiner owns; they join `rotogradVariables()`. */
  variables(): tf.Variable[];
  combine(input: CombineInput): CombineOutput;
  dispose(): void;
}
