import { expmPlanCoverage, expmPlanProducts, type Module, RotoGrad } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';

/**
 * The model reads two things back without blocking a step: whether the losses were finite, and
 * the rotations' norms that plan the matrix exponential. Each read must survive the step
 * disposing its tensor (WebGPU fails a read whose tensor was disposed in flight, which once made
 * both checks silent there: NaN losses went unreported, and the exponential never left its
 * conservative plan, 18 products per task where 10 do).
 */

function problem(d: number) {
  const w = tf.tidy(() => tf.variable(tf.randomNormal([4, d], 0, 0.5, 'float32', 1)));
  const hs = [0, 1].map((i) =>
    tf.tidy(() => tf.variable(tf.randomNormal([d, 1], 0, 0.5, 'float32', 2 + i))),
  );
  const backbone: Module = {
    apply: (x) => tf.matMul(x as tf.Tensor2D, w),
    trainableVariables: [w],
  };
  const heads: Module[] = hs.map((h) => ({
    apply: (z) => tf.matMul(z as tf.Tensor2D, h),
    trainableVariables: [h],
  }));
  const x = tf.randomNormal([8, 4], 0, 1, 'float32', 5);
  const dispose = () => tf.dispose([w, ...hs, x]);
  return { backbone, heads, x, dispose };
}

const meanSquares = (preds: tf.Tensor[]) =>
  preds.map((p) => tf.tidy(() => tf.mean(tf.square(p)) as tf.Scalar));

it(`reads back the loss check: a NaN loss is reported by flush() on ${tf.getBackend()}`, async () => {
  const p = problem(6);
  const before = tf.memory().numTensors;
  const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 6, seed: 0 });
  const optimizer = tf.train.sgd(0.01);
  const nanLosses = (preds: tf.Tensor[]) =>
    preds.map((p, i) =>
      tf.tidy(() => (i === 1 ? tf.log(tf.scalar(-1)) : tf.mean(tf.square(p))) as tf.Scalar),
    );
  tf.dispose(model.step(p.x, nanLosses, { optimizer }));
  await expect(model.flush()).rejects.toThrow(/RotoGrad: the loss of task 1 was not finite/);
  model.dispose();
  optimizer.dispose();
  // The read released the tensor it held.
  expect(tf.memory().numTensors).toBe(before);
  p.dispose();
});

it(`reads back the rotations' norms: the exponential's plan follows them on ${tf.getBackend()}`, async () => {
  const d = 40; // at least 32: the degree-8 form, not Paterson–Stockmeyer
  const p = problem(d);
  const model = new RotoGrad(p.backbone, p.heads, { rotationShape: d, seed: 0 });
  const optimizer = tf.train.adam(1e-3);
  const first = model.rotationPlan!;
  // Before any norm is back the plan covers ‖A‖₂ ≤ 4 (degree 12 with two squarings).
  expect(expmPlanCoverage(first, { skew: true })).toBeGreaterThanOrEqual(4);
  for (let i = 0; i < 4; i++) {
    const losses = model.step(p.x, meanSquares, { optimizer });
    await Promise.all(losses.map((l) => l.data()));
    tf.dispose(losses);
    await model.flush();
  }
  // Near A = 0 (four Adam steps of 1e-3) the norms read back plan degree 8 without squarings.
  const plan = model.rotationPlan!;
  expect(plan).toEqual({ degree: 8, squarings: 0 });
  expect(expmPlanProducts(plan)).toBeLessThan(expmPlanProducts(first));
  model.dispose();
  optimizer.dispose();
  p.dispose();
});
