import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RotateOnly, RotoGrad, VanillaMTL } from '../src/index';
import { problem } from './helpers';

describe('bad input gets a clear Error', () => {
  const p = problem({ seed: 11, rep: 6 });
  const optimizer = tf.train.sgd(0.01);

  it('no heads, or heads that are not modules', () => {
    expect(() => new RotoGrad(p.backbone, [], { rotationShape: 6 })).toThrow(
      /heads must be a non-empty array/,
    );
    expect(() => new VanillaMTL(p.backbone, [{} as never])).toThrow(/heads\[0\] must be a module/);
    expect(() => new VanillaMTL({} as never, p.heads)).toThrow(/backbone must be a module/);
  });

  it('missing or malformed options', () => {
    expect(() => new RotoGrad(p.backbone, p.heads, {} as never)).toThrow(
      /rotationShape is required/,
    );
    expect(() => new RotoGrad(p.backbone, p.heads, { rotationShape: 0 })).toThrow(
      /rotationShape must be/,
    );
    expect(() => new RotoGrad(p.backbone, p.heads, { rotationShape: [2.5] })).toThrow(
      /rotationShape must be/,
    );
    expect(() => new RotoGrad(p.backbone, p.heads, { rotationShape: 6, burnInPeriod: -1 })).toThrow(
      /burnInPeriod/,
    );
    expect(() => new RotoGrad(p.backbone, p.heads, { rotationShape: 6, postShape: [0] })).toThrow(
      /postShape/,
    );
    expect(
      () => new RotoGrad(p.backbone, p.heads, { rotationShape: 6, rotationInit: 'eye' as never }),
    ).toThrow(/rotationInit/);
  });

  it('a wrong number of losses, a non-scalar loss, a non-array result', async () => {
    const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 6, seed: 1 });
    const n = tf.memory().numTensors;
    expect(() => model.computeGradients(p.x, (preds) => p.lossFn(preds).slice(0, 1))).toThrow(
      /returned 1 loss\(es\), but the model has 2 tasks/,
    );
    expect(() =>
      model.computeGradients(p.x, (preds) => preds.map((q, i) => tf.square(tf.sub(q, p.ys[i]!)))),
    ).toThrow(/loss 0 must be a scalar \(shape \[\]\), got shape \[16,1\]/);
    expect(() => model.computeGradients(p.x, () => tf.scalar(1) as never)).toThrow(
      /must return an array/,
    );
    expect(() =>
      model.computeGradients(p.x, p.lossFn, { backboneLoss: (z) => tf.square(z) }),
    ).toThrow(/backboneLoss must return a scalar/);
    expect(() => model.step(p.x, p.lossFn, {} as never)).toThrow(/step needs \{ optimizer \}/);
    expect(() => model.computeGradients([1, 2] as never, p.lossFn)).toThrow(
      /x must be a tf.Tensor/,
    );
    await model.flush(); // the rotations' norm reads (one per forward pass) hold a tensor on WebGPU
    expect(tf.memory().numTensors).toBe(n);
    model.dispose();
  });

  it('a z that does not fit rotationShape / postShape, or rotationShape larger than z', () => {
    const big = new RotoGrad(p.backbone, p.heads, { rotationShape: 8 });
    expect(() => big.computeGradients(p.x, p.lossFn)).toThrow(
      /rotationShape \(n = 8\) is larger than the backbone output z/,
    );
    const post = new RotateOnly(p.backbone, p.heads, { rotationShape: 3, postShape: [2] });
    expect(() => post.computeGradients(p.x, p.lossFn)).toThrow(/does not fit postShape \[2\]/);
    expect(() => post.predict(p.x)).toThrow(/does not fit postShape/);
    big.dispose();
    post.dispose();
  });

  it('a NaN or infinite loss: the next call (or flush) throws, naming the step and the task', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const p = problem({ seed: 12, rep: 6 });
      const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 6, seed: 2 });
      const lossFn = (preds: tf.Tensor[]) => {
        const [a, b] = p.lossFn(preds);
        return [a!, tf.mul(b!, bad) as tf.Scalar];
      };
      tf.dispose(model.step(p.x, p.lossFn, { optimizer }));
      tf.dispose(model.step(p.x, lossFn, { optimizer }));
      await expect(model.flush()).rejects.toThrow(
        /the loss of task 1 was not finite \(NaN or ±Infinity\) at step 1/,
      );
      expect(() => model.step(p.x, p.lossFn, { optimizer })).toThrow(/not finite/);
      model.dispose();
      p.dispose();
    }
  });

  it("checkFinite: 'off' skips the check", async () => {
    const q = problem({ seed: 13, rep: 6 });
    const model = new VanillaMTL(q.backbone, q.heads, { checkFinite: 'off' });
    const nan = (preds: tf.Tensor[]) =>
      q.lossFn(preds).map((l) => tf.mul(l, Number.NaN) as tf.Scalar);
    model.computeGradients(q.x, nan).dispose();
    await expect(model.flush()).resolves.toBeUndefined();
    expect(
      () => new VanillaMTL(q.backbone, q.heads, { checkFinite: 'sometimes' as never }),
    ).toThrow(/checkFinite must be 'async' or 'off'/);
    model.dispose();
    q.dispose();
  });

  it('use after dispose', () => {
    const model = new VanillaMTL(p.backbone, p.heads);
    model.dispose();
    expect(() => model.predict(p.x)).toThrow(/used after dispose/);
  });
});
