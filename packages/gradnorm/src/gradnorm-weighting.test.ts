import { compare } from '@rotograd/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gradNorm64 } from '../test/float64-gradnorm';
import { GradNormWeighting } from './gradnorm-weighting';

const grads = [
  [0.3, -0.2, 0.5, 0.1, -0.4, 0.05],
  [-0.1, 0.25, 0.05, -0.3, 0.2, 0.15],
  [0.6, 0.1, -0.2, 0.2, 0.35, -0.25],
];
const logits = [0.2, -0.4, 0.7];

/** Runs `combine` as a model does (inside a tidy) and reads back what it returned. */
async function combineOnce(alpha: number, normalizedLosses: number[]) {
  const weighting = new GradNormWeighting(3, { alpha });
  tf.tidy(() => {
    for (const [i, v] of weighting.weightLogits.entries()) v.assign(tf.scalar(logits[i]!));
  });
  const out = tf.tidy(() => {
    const taskGrads = grads.map((g) => tf.tensor2d(g, [2, 3]));
    const losses = normalizedLosses.map((l) => tf.scalar(l));
    const r = weighting.combine({ taskGrads, losses, normalizedLosses: losses, step: 3 });
    return {
      repGrad: r.repGrad,
      logitGrads: tf.stack(weighting.weightLogits.map((v) => r.grads![v.name]!)),
      ...r.stats,
    } as Record<string, tf.Tensor>;
  });
  const read = async (k: string) => Array.from(await out[k]!.data());
  const result = {
    repGrad: await read('repGrad'),
    logitGrads: await read('logitGrads'),
    weights: await read('weights'),
    taskGradNorms: await read('taskGradNorms'),
    meanWeightedGradNorm: await read('meanWeightedGradNorm'),
    targets: await read('targets'),
  };
  tf.dispose(out);
  weighting.dispose();
  return result;
}

describe('GradNormWeighting', () => {
  it.each([
    ['alpha 1.5, positive ratios', 1.5, [0.9, 0.6, 1.2]],
    ['alpha 0.5, a negative ratio (odd extension sign(r)|r|^α)', 0.5, [0.8, -0.5, 1.1]],
    ['alpha 0.5, a negative mean (every ratio sign flips)', 0.5, [-0.8, 0.3, -1.1]],
    ['alpha 2, a negative ratio (exact r², as the reference)', 2, [0.8, -0.5, 1.1]],
    ['alpha 3, a negative ratio (exact r³)', 3, [0.8, -0.5, 1.1]],
    ['alpha 0 (equal targets)', 0, [0.8, -0.5, 1.1]],
  ])('matches a float64 re-computation: %s', async (_name, alpha, normalizedLosses) => {
    const before = tf.memory().numTensors;
    const mine = await combineOnce(alpha, normalizedLosses);
    const ref = gradNorm64(grads, normalizedLosses, logits, alpha);
    for (const key of Object.keys(mine) as (keyof typeof mine)[]) {
      const refValue = ref[key];
      const c = compare(mine[key], typeof refValue === 'number' ? [refValue] : refValue);
      expect(c.ok, `${key}: ${mine[key]} vs ${refValue}`).toBe(true);
    }
    for (const v of [...mine.targets, ...mine.logitGrads]) expect(Number.isFinite(v)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives a negative-ratio task a negative target, so its term lowers its weight', async () => {
    const mine = await combineOnce(0.5, [0.8, -0.5, 1.1]);
    expect(mine.targets[1]).toBeLessThan(0);
    // σ_1 = sign(ν_1 w_1 − τ_1) = +1, as with a target of 0: task 1's term pushes w_1 down.
    expect(mine.taskGradNorms[1]! * mine.weights[1]! - mine.targets[1]!).toBeGreaterThan(0);
    // The logit gradients sum to 0 (Σ w = K is invariant).
    expect(Math.abs(mine.logitGrads.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
  });

  it('starts with equal weights and validates its arguments', async () => {
    const weighting = new GradNormWeighting(4, { alpha: 1 });
    const w = weighting.weights();
    expect(Array.from(await w.data())).toEqual([1, 1, 1, 1]);
    w.dispose();
    expect(weighting.variables()).toEqual(weighting.weightLogits);
    weighting.dispose();
    weighting.dispose();
    expect(() => new GradNormWeighting(0, { alpha: 1 })).toThrow(/numTasks/);
    expect(() => new GradNormWeighting(2, { alpha: Number.NaN })).toThrow(/alpha/);
    expect(() => new GradNormWeighting(2, { alpha: -1 })).toThrow(/alpha/);
  });
});
