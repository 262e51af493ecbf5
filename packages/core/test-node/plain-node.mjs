// Runs the built package in plain Node (no vitest, no bundler): proves that importing
// @rotograd/core registers the gradients tfjs-core alone lacks, and that a RotoGrad step works.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cached, RotoGrad, VanillaMTL } from '@rotograd/core';

await tf.setBackend('cpu');
assert.ok(tf.getGradient('BatchMatMul'), 'the matMul gradient is registered');
assert.ok(tf.getGradient('Relu'), 'the Relu gradient is registered');

const dense = (inp, out, seed) => {
  const w = tf.variable(tf.randomNormal([inp, out], 0, 0.5, 'float32', seed));
  const b = tf.variable(tf.zeros([out]));
  return { w, b, vars: [w, b] };
};
const l1 = dense(4, 8, 1);
const l2 = dense(8, 6, 2);
const backbone = {
  apply: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, l1.w), l1.b)), l2.w), l2.b),
  trainableVariables: [...l1.vars, ...l2.vars],
};
const h = [dense(6, 1, 3), dense(6, 1, 4)];
const heads = h.map((d) => ({
  apply: (z) => tf.add(tf.matMul(z, d.w), d.b),
  trainableVariables: d.vars,
}));
const x = tf.randomNormal([32, 4], 0, 1, 'float32', 5);
const y = [tf.sum(x, 1, true), tf.neg(tf.sum(x, 1, true))];
const lossFn = (preds) => preds.map((p, i) => tf.losses.meanSquaredError(y[i], p));

for (const Model of [VanillaMTL, RotoGrad]) {
  const model = new Model(backbone, heads, { rotationShape: 6, seed: 0 });
  const optimizer = tf.train.adam(0.02);
  const rotogradOptimizer = tf.train.adam(0.005);
  let before = 0;
  const first = [];
  let last = [];
  for (let i = 0; i < 60; i++) {
    const losses = cached(() => model.step(x, lossFn, { optimizer, rotogradOptimizer }));
    const values = await Promise.all(losses.map((l) => l.data().then((d) => d[0])));
    tf.dispose(losses);
    if (i === 0) {
      first.push(...values);
      // After the first step: the optimizers have created their slots.
      before = tf.memory().numTensors;
    }
    last = values;
  }
  await model.flush();
  assert.equal(tf.memory().numTensors, before, `${Model.name}: no tensor leaked`);
  const sum = (a) => a.reduce((s, v) => s + v, 0);
  assert.ok(sum(last) < 0.5 * sum(first), `${Model.name}: losses fell from ${first} to ${last}`);
  console.log(
    `${Model.name}: losses ${first.map((v) => v.toFixed(3))} -> ${last.map((v) => v.toFixed(3))}`,
  );
  model.dispose();
  optimizer.dispose();
  rotogradOptimizer.dispose();
}
console.log('plain Node: 2 passed, 0 failed');
