// Plain-Node helpers (JavaScript, no build) shared by the packages' `test:node` scripts, which
// import the packages' built `dist` the way a user's Node program does.
import assert from 'node:assert/strict';

/** A 4 → 8 → 6 ReLU backbone, two linear heads and a regression problem on tfjs-core. */
export function tinyProblem(tf) {
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
  const heads = [dense(6, 1, 3), dense(6, 1, 4)].map((d) => ({
    apply: (z) => tf.add(tf.matMul(z, d.w), d.b),
    trainableVariables: d.vars,
  }));
  const x = tf.randomNormal([32, 4], 0, 1, 'float32', 5);
  const y = [tf.sum(x, 1, true), tf.neg(tf.sum(x, 1, true))];
  const lossFn = (preds) => preds.map((p, i) => tf.losses.meanSquaredError(y[i], p));
  return { backbone, heads, x, lossFn };
}

/**
 * Trains `model` for `steps` steps inside `cached`, asserting that the summed loss halves and
 * that no tensor leaks after the first step (which creates the optimizers' slots).
 * Returns the first and last losses.
 */
export async function trainAndCheck(
  tf,
  cached,
  name,
  model,
  problem,
  { steps = 60, lr = 0.02, rotogradLr = 0.005 } = {},
) {
  const optimizer = tf.train.adam(lr);
  const rotogradOptimizer = tf.train.adam(rotogradLr);
  let before = 0;
  let first = [];
  let last = [];
  for (let i = 0; i < steps; i++) {
    const losses = cached(() =>
      model.step(problem.x, problem.lossFn, { optimizer, rotogradOptimizer }),
    );
    last = await Promise.all(losses.map((l) => l.data().then((d) => d[0])));
    tf.dispose(losses);
    if (i === 0) {
      first = last;
      before = tf.memory().numTensors;
    }
  }
  await model.flush();
  assert.equal(tf.memory().numTensors, before, `${name}: no tensor leaked`);
  const sum = (a) => a.reduce((s, v) => s + v, 0);
  assert.ok(sum(last) < 0.5 * sum(first), `${name}: losses fell from ${first} to ${last}`);
  optimizer.dispose();
  rotogradOptimizer.dispose();
  return { first, last };
}
