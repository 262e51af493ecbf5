import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  type GradientCombiner,
  type Module,
  MultitaskModel,
  parseRotation,
  sumAll,
  VanillaMTL,
} from '../src/index';
import { dense, problem } from './helpers';

describe('backbones and heads with several outputs', () => {
  it('passes extras to the loss function and back-propagates through them, like plain autodiff', async () => {
    const l1 = dense(3, 5, 1, 'relu');
    const l2 = dense(5, 4, 2);
    const aux = dense(5, 2, 3);
    // The backbone returns [z, extra]; head 1 returns [prediction, headExtra].
    const backbone: Module = {
      apply: (x) => {
        const h = l1.apply(x) as tf.Tensor;
        return [l2.apply(h) as tf.Tensor, aux.apply(h) as tf.Tensor];
      },
      trainableVariables: [
        ...l1.trainableVariables,
        ...l2.trainableVariables,
        ...aux.trainableVariables,
      ],
    };
    const h0 = dense(4, 1, 4);
    const h1 = dense(4, 2, 5);
    const head1: Module = {
      apply: (z) => {
        const y = h1.apply(z) as tf.Tensor;
        return [y, tf.square(y)];
      },
      trainableVariables: h1.trainableVariables,
    };
    const x = tf.randomNormal([8, 3], 0, 1, 'float32', 6);
    const lossFn = (preds: tf.Tensor[], extras: tf.Tensor[], headExtras: tf.Tensor[][]) => {
      expect(extras.map((e) => e.shape)).toEqual([[8, 2]]);
      expect(headExtras.map((e) => e.length)).toEqual([0, 1]);
      return [
        tf.add(tf.mean(tf.square(preds[0]!)), tf.mean(extras[0]!)) as tf.Scalar,
        tf.add(tf.mean(tf.abs(preds[1]!)), tf.mul(tf.mean(headExtras[1]![0]!), 0.1)) as tf.Scalar,
      ];
    };
    const model = new VanillaMTL(backbone, [h0, head1]);
    const r = model.computeGradients(x, lossFn);
    // Reference: ordinary autodiff of the summed losses.
    const vars = model.modelVariables();
    const ref = tf.variableGrads(() => {
      const [z, e] = backbone.apply(x) as tf.Tensor[];
      const p0 = h0.apply(z!) as tf.Tensor;
      const [p1, p1e] = head1.apply(z!) as tf.Tensor[];
      return tf.addN(lossFn([p0, p1!], [e!], [[], [p1e!]])) as tf.Scalar;
    }, vars);
    expect(Object.keys(r.modelGrads).sort()).toEqual(vars.map((v) => v.name).sort());
    for (const v of vars) {
      const mine = await r.modelGrads[v.name]!.data();
      const want = await ref.grads[v.name]!.data();
      want.forEach((w, i) => {
        expect(mine[i]).toBeCloseTo(w, 5);
      });
    }
    r.dispose();
    tf.dispose([ref.value, ...Object.values(ref.grads), x]);
    model.dispose();
    for (const m of [l1, l2, aux, h0, h1]) m.dispose();
  });
});

describe('a combiner returning one tensor in several places', () => {
  it('gets the task norms with rotations, and may return them (and any tensor) twice', async () => {
    const p = problem({ seed: 5 });
    let given: tf.Tensor1D | undefined;
    const combiner: GradientCombiner = {
      name: 'aliasing',
      variables: () => [],
      combine: ({ taskGrads, taskNorms }) => {
        given = taskNorms;
        const repGrad = sumAll(taskGrads);
        // The norms it was given, and the gradient under a second name.
        return { repGrad, stats: { norms: taskNorms!, again: taskNorms!, q: repGrad } };
      },
      dispose() {},
    };
    const model = new MultitaskModel(p.backbone, p.heads, {
      name: 'Aliasing',
      combiner,
      rotation: parseRotation({ rotationShape: 6, seed: 1 }, 'Aliasing'),
      trackLosses: true,
      normalizeLosses: false,
      burnInPeriod: 0,
      checkFinite: 'async',
    });
    // A first step records the initial losses (model state); count tensors after it.
    model.computeGradients(p.x, p.lossFn).dispose();
    await model.flush();
    const before = tf.memory().numTensors;
    const r = model.computeGradients(p.x, p.lossFn, { details: true });
    expect(given?.shape).toEqual([2]);
    const stats = r.details!.stats;
    expect(stats.again).toBe(stats.norms);
    const norms = Array.from(await stats.norms!.data());
    const want = await Promise.all(
      r.details!.taskGrads.map(async (g) => Math.hypot(...(await g.data()))),
    );
    norms.forEach((v, i) => {
      expect(v).toBeCloseTo(want[i]!, 5);
    });
    const q = Array.from(await stats.q!.data());
    expect(q).toEqual(Array.from(await r.details!.repGrad.data()));
    r.dispose();
    await model.flush();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    p.dispose();
  });
});
