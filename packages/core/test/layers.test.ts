import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { RotoGrad } from '../src/index';

describe('tfjs-layers models as backbone and heads', () => {
  it('trains a LayersModel backbone and Layer/LayersModel heads end to end', async () => {
    const backbone = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
        tfl.layers.dense({ units: 8 }),
      ],
    });
    const head0 = tfl.layers.dense({ units: 1 });
    head0.build([null, 8]);
    const head1 = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [8] })] });
    const model = new RotoGrad(backbone, [head0, head1], { rotationShape: 8, seed: 0 });
    const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1);
    const y0 = tf.sum(x, 1, true);
    const labels = tf.oneHot(tf.cast(tf.greater(tf.sum(x, 1), 0), 'int32'), 3);
    const lossFn = ([p0, p1]: tf.Tensor[]) => [
      tf.mean(tf.square(tf.sub(p0!, y0))) as tf.Scalar,
      tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(p1!)), 1))) as tf.Scalar,
    ];
    const optimizer = tf.train.adam(0.01);
    const rotogradOptimizer = tf.train.adam(0.005);
    expect(model.modelVariables().length).toBe(4 + 2 + 2);
    const vars = model.modelVariables().map((v) => v.name);
    const first = model.step(x, lossFn, { optimizer, rotogradOptimizer });
    const firstValues = await Promise.all(first.map(async (l) => (await l.data())[0]!));
    tf.dispose(first);
    const before = tf.memory().numTensors;
    let last: number[] = [];
    for (let i = 0; i < 150; i++) {
      const losses = model.step(x, lossFn, { optimizer, rotogradOptimizer });
      last = await Promise.all(losses.map(async (l) => (await l.data())[0]!));
      tf.dispose(losses);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last[0]).toBeLessThan(0.2 * firstValues[0]!);
    expect(last[1]).toBeLessThan(0.5 * firstValues[1]!);
    // Gradients are keyed by the layers' variable names, which the optimizers found.
    const r = model.computeGradients(x, lossFn);
    expect(Object.keys(r.modelGrads).sort()).toEqual([...vars].sort());
    r.dispose();
    const preds = model.predict(x);
    expect(preds.map((p) => p.shape)).toEqual([
      [64, 1],
      [64, 3],
    ]);
    tf.dispose([...preds, x, y0, labels]);
    model.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
    backbone.dispose();
    head1.dispose();
  });
});
