// Runs the built package in plain Node (no vitest, no bundler): RotoGradNorm and GradNorm steps
// through @rotograd/core's dist with tfjs-core alone, losses fall, weights stay normalized and
// no tensor leaks.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cached } from '@rotograd/core';
import { GradNorm, RotoGradNorm } from '@rotograd/gradnorm';
import { tinyProblem, trainAndCheck } from '../../testing/node/train-check.mjs';

await tf.setBackend('cpu');
const problem = tinyProblem(tf);
const makers = {
  RotoGradNorm: () =>
    new RotoGradNorm(problem.backbone, problem.heads, { rotationShape: 6, seed: 0, alpha: 1.5 }),
  GradNorm: () => new GradNorm(problem.backbone, problem.heads, { alpha: 1.5 }),
};
let passed = 0;
for (const [name, make] of Object.entries(makers)) {
  const model = make();
  assert.equal(model.weightLogits.length, 2);
  for (const v of model.weightLogits) assert.ok(model.rotogradVariables().includes(v));
  const { first, last } = await trainAndCheck(tf, cached, name, model, problem, {
    rotogradLr: 0.01,
  });
  const w = model.weights();
  const wv = Array.from(await w.data());
  w.dispose();
  assert.ok(Math.abs(wv.reduce((s, v) => s + v, 0) - 2) < 1e-5, `${name}: Σ w = K, got ${wv}`);
  console.log(
    `${name}: losses ${first.map((v) => v.toFixed(3))} -> ${last.map((v) => v.toFixed(3))}, weights ${wv.map((v) => v.toFixed(3))}`,
  );
  model.dispose();
  passed++;
}
console.log(`plain Node: ${passed} passed, 0 failed`);
