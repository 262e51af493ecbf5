import { measureSinError, SIN_ERROR_FLOAT32, transcendentalSlack } from '@rotograd/testing';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/**
 * The measurement behind the one per-engine tolerance of the suites (@rotograd/testing's
 * tolerance.ts): how far `tf.sin` is from float64 `Math.sin` on the selected engine. Measured:
 * cpu 3.0e-8, wasm 2.4e-7, webgpu through Dawn on Mesa llvmpipe 6.6e-8; webgl and webgpu in
 * headless Chromium on SwiftShader 1.9e-4. Only the checks that go through sin get ×10 there.
 */
const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';

it(`measures the arithmetic of ${tf.getBackend()}: tf.sin against float64`, async () => {
  const err = await measureSinError();
  const slack = await transcendentalSlack();
  console.log(
    `arithmetic: tf.sin max abs error ${err.toExponential(2)} on ${tf.getBackend()}${inBrowser ? ' (Chromium)' : ''}; slack ×${slack}`,
  );
  // Node's engines are float32-accurate; in Chromium without a GPU, SwiftShader is coarser, and
  // the slack it gets is only justified while that stays well below 1e-3.
  if (!inBrowser) expect(err).toBeLessThanOrEqual(SIN_ERROR_FLOAT32);
  expect(err).toBeLessThan(1e-3);
  expect(slack).toBe(err <= SIN_ERROR_FLOAT32 ? 1 : 10);
});
