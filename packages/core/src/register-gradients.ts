/**
 * Registers tfjs-core's gradient functions (the same set the `@tensorflow/tfjs` umbrella
 * registers). `@tensorflow/tfjs-core` on its own registers none, and its
 * `dist/register_all_gradients.js` cannot be loaded by plain Node (extensionless ESM imports), so
 * the build bundles this file's import into `@rotograd/core`'s `dist`: importing
 * `@rotograd/core` is enough for `computeGradients` to work in Node, in bundlers and in browsers.
 *
 * Registering a gradient that is already registered (for example by `@tensorflow/tfjs`) replaces
 * it with an identical function, so importing both is harmless.
 */
// tfjs-core's entry first: it registers the environment flags that the gradient modules read.
// (A dev server that serves tfjs-core's ESM files one by one would otherwise evaluate the
// gradients before the flags exist.)
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
