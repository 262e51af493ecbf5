import { cached, type Module, RotateOnly, RotoGrad, VanillaMTL } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

/**
 * Leak tests of the public training API on the backend the matrix selected: after the first step
 * (which creates the optimizers' slots), further steps neither add tensors nor hold more memory.
 * GPU backends allocate lazily, so the counts are compared after the reads settle.
 */

function dense(inp: number, out: number, seed: number) {
  // tidy disposes the initial values; the variables survive it.
  const w = tf.tidy(() =>
    tf.variable(tf.randomNormal([inp, out], 0, 1 / Math.sqrt(inp), 'float32', seed)),
  );
  const b = tf.tidy(() => tf.variable(tf.zeros([out])));
  return { w, b, vars: [w, b] };
}

function problem() {
  const l1 = dense(5, 12, 1);
  const l2 = dense(12, 6, 2);
  const backbone: Module = {
    apply: (x) =>
      tf.tidy(() =>
        tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, l1.w), l1.b)), l2.w), l2.b),
      ),
    trainableVariables: [...l1.vars, ...l2.vars],
  };
  const hs = [dense(6, 1, 3), dense(6, 1, 4)];
  const heads: Module[] = hs.map((h) => ({
    apply: (z) => tf.tidy(() => tf.add(tf.matMul(z as tf.Tensor2D, h.w), h.b)),
    trainableVariables: h.vars,
  }));
  const x = tf.randomNormal([16, 5], 0, 1, 'float32', 5);
  const ys = tf.tidy(() => [tf.sum(x, 1, true), tf.neg(tf.sum(tf.square(x), 1, true))]);
  const lossFn = (preds: tf.Tensor[]) =>
    preds.map((p, i) => tf.tidy(() => tf.mean(tf.square(tf.sub(p, ys[i]!))) as tf.Scalar));
  const dispose = () =>
    tf.dispose([...l1.vars, ...l2.vars, ...hs.flatMap((h) => h.vars), x, ...ys]);
  return { backbone, heads, x, lossFn, dispose };
}

const methods = {
  VanillaMTL: (b: Module, h: Module[]) => new VanillaMTL(b, h),
  RotateOnly: (b: Module, h: Module[]) => new RotateOnly(b, h, { rotationShape: 6, seed: 0 }),
  RotoGrad: (b: Module, h: Module[]) =>
    new RotoGrad(b, h, { rotationShape: 6, seed: 0, normalizeLosses: true, burnInPeriod: 3 }),
};

describe.each(Object.keys(methods) as Array<keyof typeof methods>)('%s', (name) => {
  it('leaks no tensor when constructed and disposed', () => {
    const p = problem();
    const start = tf.memory().numTensors;
    methods[name](p.backbone, p.heads).dispose();
    expect(tf.memory().numTensors - start, 'tensors left by new + dispose').toBe(0);
    p.dispose();
  });

  it(`leaks no tensor or memory while training on ${tf.getBackend()}`, async () => {
    const start = tf.memory().numTensors;
    const p = problem();
    // What construction alone leaves behind is the test above's concern; discount it here.
    const before = tf.memory().numTensors;
    methods[name](p.backbone, p.heads).dispose();
    const residue = tf.memory().numTensors - before;
    const model = methods[name](p.backbone, p.heads);
    const optimizer = tf.train.adam(0.01);
    const rotogradOptimizer = tf.train.sgd(0.01);
    const losses: number[][] = [];
    let after1 = { numTensors: 0, numBytes: 0 };
    for (let i = 0; i < 8; i++) {
      const ls = cached(() => model.step(p.x, p.lossFn, { optimizer, rotogradOptimizer }));
      losses.push(await Promise.all(ls.map(async (l) => (await l.data())[0]!)));
      tf.dispose(ls);
      if (i === 0) {
        await model.flush();
        after1 = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
      }
    }
    await model.flush();
    expect({ numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes }).toEqual(after1);
    // computeGradients with every detail, disposed, leaves nothing behind either.
    const r = model.computeGradients(p.x, p.lossFn, { details: true });
    await Promise.all(r.losses.map((l) => l.data()));
    r.dispose();
    await model.flush();
    expect(tf.memory().numTensors).toBe(after1.numTensors);
    expect(losses.flat().every(Number.isFinite)).toBe(true);
    model.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(start + 2 * residue);
  });
});
