// Runs the built package in plain Node (no vitest, no bundler): RotoGradNorm and GradNorm steps
// through @rotograd/core's dist with tfjs-core alone, losses fall, weights stay normalized and
// no tensor leaks.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cached } from '@rotograd/core';
import { GradNorm, RotoGradNorm } from '@rotograd/gradnorm';

await tf.setBackend('cpu');

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

const makers = {
  RotoGradNorm: () => new RotoGradNorm(backbone, heads, { rotationShape: 6, seed: 0, alpha: 1.5 }),
  GradNorm: () => new GradNorm(backbone, heads, { alpha: 1.5 }),
};
for (const [name, make] of Object.entries(makers)) {
  const model = make();
  assert.equal(model.weightLogits.length, 2);
  for (const v of model.weightLogits) assert.ok(model.rotogradVariables().includes(v));
  const optimizer = tf.train.adam(0.02);
  const rotogradOptimizer = tf.train.adam(0.01);
  let before = 0;
  const first = [];
  let last = [];
  for (let i = 0; i < 60; i++) {
    const losses = cached(() => model.step(x, lossFn, { optimizer, rotogradOptimizer }));
    const values = await Promise.all(losses.map((l) => l.data().then((d) => d[0])));
    tf.dispose(losses);
    if (i === 0) {
      first.push(...values);
      before = tf.memory().numTensors;
    }
    last = values;
  }
  await model.flush();
  assert.equal(tf.memory().numTensors, before, `${name}: no tensor leaked`);
  const sum = (a) => a.reduce((s, v) => s + v, 0);
  assert.ok(sum(last) < 0.5 * sum(first), `${name}: losses fell from ${first} to ${last}`);
  const w = model.weights();
  const wv = Array.from(await w.data());
  w.dispose();
  assert.ok(Math.abs(sum(wv) - 2) < 1e-5, `${name}: Σ w = K, got ${wv}`);
  console.log(
    `${name}: losses ${first.map((v) => v.toFixed(3))} -> ${last.map((v) => v.toFixed(3))}, weights ${wv.map((v) => v.toFixed(3))}`,
  );
  model.dispose();
  optimizer.dispose();
  rotogradOptimizer.dispose();
}
console.log('plain Node: 2 passed, 0 failed');
