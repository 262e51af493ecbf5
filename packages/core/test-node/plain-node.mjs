// Runs the built package in plain Node (no vitest, no bundler): proves that importing
// @rotograd/core registers the gradients tfjs-core alone lacks, and that training works.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cached, RotateOnly, RotoGrad, VanillaMTL } from '@rotograd/core';
import { tinyProblem, trainAndCheck } from '../../testing/node/train-check.mjs';

await tf.setBackend('cpu');
assert.ok(tf.getGradient('BatchMatMul'), 'the matMul gradient is registered');
assert.ok(tf.getGradient('Relu'), 'the Relu gradient is registered');

const problem = tinyProblem(tf);
let passed = 0;
for (const Model of [VanillaMTL, RotateOnly, RotoGrad]) {
  const model = new Model(problem.backbone, problem.heads, { rotationShape: 6, seed: 0 });
  const { first, last } = await trainAndCheck(tf, cached, Model.name, model, problem);
  console.log(
    `${Model.name}: losses ${first.map((v) => v.toFixed(3))} -> ${last.map((v) => v.toFixed(3))}`,
  );
  model.dispose();
  passed++;
}
console.log(`plain Node: ${passed} passed, 0 failed`);
