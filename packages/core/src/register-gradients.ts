/**
 * Registers tfjs-core's gradient functions (the same set the `@tensorflow/tfjs` umbrella
 * registers). `@tensorflow/tfjs-core` on its own registers none, and its
 * `dist/register_all_gradients.js` cannot be loaded by plain Node (extensionless ESM imports), so
 * the build bundles this file's import into `@rotograd/core`'s `dist`: importing
 * `@rotograd/core` is enough for `computeGradients` to work in Node, in bundlers and in browsers.
 *
 * Also registers the gradient of {@link SYMMETRIC_MAT_MUL_KERNEL} (the plain product's).
 *
 * Registering a gradient that is already registered (for example by `@tensorflow/tfjs`) replaces
 * it with an identical function, so importing both is harmless.
 */
// tfjs-core's entry first: it registers the environment flags that the gradient modules read.
// (A dev server that serves tfjs-core's ESM files one by one would otherwise evaluate the
// gradients before the flags exist.)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { SYMMETRIC_MAT_MUL_KERNEL } from './symmetric-mat-mul';

// The gradient of RotoGrad's optional symmetric product is the plain product's: its value is `a·b`.
tf.registerGradient({
  kernelName: SYMMETRIC_MAT_MUL_KERNEL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return {
      a: () => tf.matMul(dy as tf.Tensor, b, false, true),
      b: () => tf.matMul(a, dy as tf.Tensor, true, false),
    };
  },
});
