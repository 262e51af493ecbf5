import * as tf from '@tensorflow/tfjs-core';

/** Options every module's `apply` receives from RotoGrad. */
export interface ApplyOptions {
  /** True inside `computeGradients`/`step`, false in `predict`. */
  training?: boolean;
}

/**
 * A differentiable function with trainable variables: a backbone or a task head.
 *
 * `apply` may return several tensors: for a backbone the first is the shared representation
 * `z` and the rest are extras handed to the loss function; for a head the first is the
 * prediction and the rest are handed to the loss function as head extras.
 *
 * ```js
 * const w = tf.variable(tf.randomNormal([4, 2]));
 * const head = { apply: (z) => tf.matMul(z, w), trainableVariables: [w] };
 * ```
 */
export interface Module {
  apply(x: tf.Tensor, options?: ApplyOptions): tf.Tensor | tf.Tensor[];
  readonly trainableVariables: tf.Variable[];
}

/**
 * The part of a tfjs-layers `LayersModel` or `Layer` that RotoGrad uses. Typed structurally so
 * that `@rotograd/core` does not depend on `@tensorflow/tfjs-layers`.
 */
export interface LayersLike {
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): unknown;
  readonly trainableWeights: ReadonlyArray<{ read(): tf.Tensor }>;
}

/** Anything RotoGrad accepts as a backbone or a head. */
export type ModuleLike = Module | LayersLike;

function isModule(m: unknown): m is Module {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as Module).apply === 'function' &&
    Array.isArray((m as Module).trainableVariables)
  );
}

function isLayersLike(m: unknown): m is LayersLike {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as LayersLike).apply === 'function' &&
    Array.isArray((m as LayersLike).trainableWeights)
  );
}

/**
 * Wraps a {@link ModuleLike} as a {@link Module}. A tfjs-layers model or layer is applied with
 * `{training}` and its trainable weights are read fresh on every access (layers build lazily).
 *
 * ```js
 * const backbone = toModule(tf.sequential({layers: [tf.layers.dense({units: 8, inputShape: [4]})]}), 'backbone');
 * ```
 */
export function toModule(m: ModuleLike, argName: string): Module {
  if (isModule(m)) return m;
  if (isLayersLike(m)) {
    const layers = m;
    return {
      apply(x, options = {}) {
        const out = layers.apply(x, { training: options.training ?? false });
        if (out instanceof tf.Tensor) return out;
        if (Array.isArray(out) && out.every((t) => t instanceof tf.Tensor))
          return out as tf.Tensor[];
        throw new Error(
          `${argName}: apply() returned something other than tensors; pass concrete tensors, not symbolic inputs`,
        );
      },
      get trainableVariables() {
        return layers.trainableWeights.map((w) => {
          const v = w.read();
          if (!(v instanceof tf.Variable)) {
            throw new Error(`${argName}: a trainable weight's read() did not return a tf.Variable`);
          }
          return v;
        });
      },
    };
  }
  throw new Error(
    `${argName} must be a module ({apply(x), trainableVariables}) or a tfjs-layers LayersModel/Layer`,
  );
}

/** The outputs of a module as a non-empty array. */
export function outputsOf(
  out: tf.Tensor | tf.Tensor[],
  argName: string,
): [tf.Tensor, ...tf.Tensor[]] {
  const arr = Array.isArray(out) ? out : [out];
  if (arr.length === 0 || !arr.every((t) => t instanceof tf.Tensor)) {
    throw new Error(`${argName}.apply() must return a tensor or a non-empty array of tensors`);
  }
  return arr as [tf.Tensor, ...tf.Tensor[]];
}
