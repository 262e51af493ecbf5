/**
 * Registers tfjs-core's gradient functions (the same set the `@tensorflow/tfjs` umbrella
 * registers). `@tensorflow/tfjs-core` on its own registers none, and its
 * `dist/register_all_gradients.js` cannot be loaded by plain Node (extensionless ESM imports), so
 * the build bundles this file's import into `@rotograd/core`'s `dist`: importing
 * `@rotograd/core` is enough for `computeGradients` to work in Node, in bundlers and in browsers.
 *
 * Also registers the gradients of {@link SYMMETRIC_MAT_MUL_KERNEL} and
 * {@link SYMMETRIC_MAT_MUL_SUM_KERNEL} (the plain products') and of {@link ADD_TRANSPOSE_KERNEL},
 * {@link INNER_PRODUCT_KERNEL}, {@link SQUARED_NORMS_KERNEL} and {@link WEIGHTED_SUM_KERNEL}.
 *
 * Registering a gradient that is already registered (for example by `@tensorflow/tfjs`) replaces
 * it with an identical function, so importing both is harmless.
 */
// tfjs-core's entry first: it registers the environment flags that the gradient modules read.
// (A dev server that serves tfjs-core's ESM files one by one would otherwise evaluate the
// gradients before the flags exist.)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { ADD_TRANSPOSE_KERNEL, addTranspose } from './add-transpose';
import { INNER_PRODUCT_KERNEL, innerProducts } from './inner-product';
import { SQUARED_NORMS_KERNEL } from './squared-norms';
import { SYMMETRIC_MAT_MUL_KERNEL, SYMMETRIC_MAT_MUL_SUM_KERNEL } from './symmetric-mat-mul';
import { WEIGHTED_SUM_KERNEL } from './weighted-sum';

// The gradients of RotoGrad's optional symmetric products are the plain products': their values
// are `a·b` and `a·b + a2·b2`.
tf.registerGradient({
  kernelName: SYMMETRIC_MAT_MUL_KERNEL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return productGrads(dy as tf.Tensor, a, b, 'a', 'b');
  },
});
tf.registerGradient({
  kernelName: SYMMETRIC_MAT_MUL_SUM_KERNEL,
  inputsToSave: ['a', 'b', 'a2', 'b2'],
  gradFunc: (dy, saved) => {
    const [a, b, a2, b2] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    return {
      ...productGrads(dy as tf.Tensor, a, b, 'a', 'b'),
      ...productGrads(dy as tf.Tensor, a2, b2, 'a2', 'b2'),
    };
  },
});

// α·x + β·xᵀ is linear and its own adjoint's shape: dx = α·dy + β·dyᵀ.
tf.registerGradient({
  kernelName: ADD_TRANSPOSE_KERNEL,
  gradFunc: (dy, _saved, attrs) => {
    const { alpha, beta } = attrs as unknown as { alpha: number; beta: number };
    return { x: () => addTranspose(dy as tf.Tensor, alpha, beta) };
  },
});

// Σ a ⊙ b over the axes after batchDims: da = dy·b, db = dy·a, dy broadcast over those axes.
tf.registerGradient({
  kernelName: INNER_PRODUCT_KERNEL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const spread = () =>
      tf.reshape(dy as tf.Tensor, [
        ...(dy as tf.Tensor).shape,
        ...a.shape.slice((dy as tf.Tensor).rank).map(() => 1),
      ]);
    return { a: () => tf.mul(spread(), b), b: () => tf.mul(spread(), a) };
  },
});

// out_j = Σ x_j²: dx_j = 2·dy[j]·x_j.
tf.registerGradient({
  kernelName: SQUARED_NORMS_KERNEL,
  saveAllInputs: true,
  gradFunc: (dy, saved) => {
    const xs = saved as tf.Tensor[];
    const ders: Record<string, () => tf.Tensor> = {};
    xs.forEach((x, j) => {
      ders[j] = () => tf.mul(x, tf.mul(tf.reshape(tf.slice(dy as tf.Tensor, [j], [1]), []), 2));
    });
    return ders;
  },
});

// out = Σ_j w[j]·x_j / d: dx_j = dy·w[j] / d, dw[j] = ⟨dy, x_j⟩ / d.
tf.registerGradient({
  kernelName: WEIGHTED_SUM_KERNEL,
  saveAllInputs: true,
  gradFunc: (dy, saved, attrs) => {
    const { divisor } = attrs as unknown as { divisor: number };
    const all = saved as tf.Tensor[];
    const xs = all.slice(0, -1);
    const w = all[all.length - 1]!;
    const g = dy as tf.Tensor;
    const ders: Record<string, () => tf.Tensor> = {};
    xs.forEach((_, j) => {
      ders[j] = () => tf.div(tf.mul(g, tf.reshape(tf.slice(w, [j], [1]), [])), divisor);
    });
    ders[xs.length] = () => tf.div(tf.stack(xs.map((x) => innerProducts(g, x))), divisor);
    return ders;
  },
});

function productGrads(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, na: string, nb: string) {
  return {
    [na]: () => tf.matMul(dy, b, false, true),
    [nb]: () => tf.matMul(a, dy, true, false),
  };
}
