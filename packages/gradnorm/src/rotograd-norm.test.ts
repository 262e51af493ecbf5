import { cached } from '@rotograd/core';
import {
  CASES,
  type CaseFixture,
  loadFixture,
  replayCase,
  rotationOptionsOf,
  type StatsCheck,
  summarize,
} from '@rotograd/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RotoGradNorm } from './rotograd-norm';

const statsCheck: StatsCheck = (stats, st) => [
  ['gradnorm.weights', stats.weights!, st.gradnorm?.weights],
  ['gradnorm.task_grad_norms', stats.taskGradNorms!, st.gradnorm?.task_grad_norms],
  [
    'gradnorm.mean_weighted_grad_norm',
    stats.meanWeightedGradNorm!,
    st.gradnorm?.mean_weighted_grad_norm,
  ],
  ['gradnorm.targets', stats.targets!, st.gradnorm?.targets],
  // RotoGrad's bookkeeping, kept by RotoGradNorm.
  ['rotograd.grad_norms', stats.gradNorms!, st.rotograd?.grad_norms],
  ['rotograd.conv_ratios', stats.convRatios!, st.rotograd?.conv_ratios],
  ['rotograd.alphas', stats.alphas!, st.rotograd?.alphas],
  ['rotograd.weighted_sum_norms', stats.weightedSumNorm!, st.rotograd?.weighted_sum_norms],
];

describe('RotoGradNorm replays the official implementation', () => {
  it.each(CASES.RotoGradNorm.map((n) => [n]))('%s', async (name) => {
    const fixture = loadFixture<CaseFixture>(name);
    const cfg = fixture.config;
    const comparisons = await replayCase(
      fixture,
      (_f, backbone, heads) =>
        new RotoGradNorm(backbone, heads, { ...rotationOptionsOf(cfg), alpha: cfg.alpha! }),
      statsCheck,
    );
    const { worst, failures, worstRel } = summarize(comparisons);
    console.log(
      `${name}: ${comparisons.length} tensors compared over ${fixture.steps.length} steps; worst ${worst.what} at step ${worst.step}: err ${worst.err.toExponential(2)} (${(worstRel * 100).toFixed(1)}% of the bound ${worst.bound.toExponential(2)})`,
    );
    expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
    const whats = new Set(comparisons.map((c) => c.what));
    for (const what of [
      'grads[gradnorm.weight_logit.0]',
      'params_after[gradnorm.weight_logit.1]',
      'gradnorm.weights',
      'gradnorm.targets',
      'rep_grad',
      'rotation_loss[0]',
    ]) {
      expect(whats.has(what), what).toBe(true);
    }
    expect(comparisons.length).toBeGreaterThan(fixture.steps.length * 20);
  });
});

/** A tiny RotoGradNorm problem: linear backbone to 4 units, two linear heads. */
function tiny(seed = 1) {
  const dense = (inp: number, out: number, s: number) => {
    const w = tf.variable(tf.randomNormal([inp, out], 0, 0.5, 'float32', s));
    const b = tf.variable(tf.zeros([out]));
    return { w, b, vars: [w, b] };
  };
  const l = dense(3, 4, seed);
  const h = [dense(4, 1, seed + 1), dense(4, 1, seed + 2)];
  const backbone = {
    apply: (x: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, l.w as tf.Tensor2D), l.b),
    trainableVariables: l.vars,
  };
  const heads = h.map((d) => ({
    apply: (z: tf.Tensor) => tf.add(tf.matMul(z as tf.Tensor2D, d.w as tf.Tensor2D), d.b),
    trainableVariables: d.vars,
  }));
  const x = tf.randomNormal([8, 3], 0, 1, 'float32', seed + 3);
  const y = [tf.sum(x, 1, true), tf.neg(tf.sum(x, 1, true))];
  const lossFn = (preds: tf.Tensor[]) =>
    preds.map((p, i) => tf.losses.meanSquaredError(y[i]!, p) as tf.Scalar);
  const dispose = () => tf.dispose([...l.vars, ...h.flatMap((d) => d.vars), x, ...y]);
  return { backbone, heads, x, lossFn, dispose };
}

describe('RotoGradNorm', () => {
  it('exposes its logits as rotograd variables and its weights with Σ w = K', async () => {
    const p = tiny();
    const model = new RotoGradNorm(p.backbone, p.heads, { rotationShape: 4, alpha: 1, seed: 0 });
    expect(model.weightLogits).toHaveLength(2);
    const rv = model.rotogradVariables();
    for (const w of model.weightLogits) expect(rv).toContain(w);
    tf.tidy(() => model.weightLogits[0]!.assign(tf.scalar(0.5)));
    const w = model.weights();
    const data = await w.data();
    const e = [Math.exp(0.5), Math.exp(1)];
    expect(data[0]).toBeCloseTo((2 * e[0]!) / (e[0]! + e[1]!), 6);
    expect(data[0]! + data[1]!).toBeCloseTo(2, 6);
    w.dispose();
    const r = model.computeGradients(p.x, p.lossFn);
    for (const v of model.weightLogits) expect(r.rotogradGrads[v.name]?.shape).toEqual([]);
    r.dispose();
    model.dispose();
    p.dispose();
  });

  it('leaks no tensor over 50 steps (after the first step and flush)', async () => {
    const p = tiny(7);
    const model = new RotoGradNorm(p.backbone, p.heads, {
      rotationShape: 4,
      alpha: 1.5,
      seed: 0,
      burnInPeriod: 5,
    });
    const optimizer = tf.train.adam(0.02);
    const rotogradOptimizer = tf.train.adam(0.01);
    const first = cached(() => model.step(p.x, p.lossFn, { optimizer, rotogradOptimizer }));
    const initial = await Promise.all(first.map((l) => l.data().then((d) => d[0]!)));
    tf.dispose(first);
    await model.flush();
    const before = tf.memory().numTensors;
    let last: number[] = [];
    for (let i = 0; i < 50; i++) {
      const losses = cached(() => model.step(p.x, p.lossFn, { optimizer, rotogradOptimizer }));
      if (i === 49) last = await Promise.all(losses.map((l) => l.data().then((d) => d[0]!)));
      tf.dispose(losses);
    }
    await model.flush();
    const after = tf.memory().numTensors;
    console.log(`RotoGradNorm leak check: ${before} tensors before 50 steps, ${after} after`);
    expect(after).toBe(before);
    expect(last[0]! + last[1]!).toBeLessThan(initial[0]! + initial[1]!);
    model.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
    p.dispose();
  });

  it('rejects a missing, negative or NaN alpha with a clear error', () => {
    const p = tiny();
    const before = tf.memory().numTensors;
    const make = (alpha: unknown) => () =>
      new RotoGradNorm(p.backbone, p.heads, { rotationShape: 4, alpha } as never);
    expect(make(undefined)).toThrow(/RotoGradNorm: options\.alpha is required/);
    expect(make(-0.5)).toThrow(/RotoGradNorm: alpha must be a finite number ≥ 0, got -0\.5/);
    expect(make(Number.NaN)).toThrow(/RotoGradNorm: alpha must be a finite number ≥ 0, got NaN/);
    expect(make(Number.POSITIVE_INFINITY)).toThrow(/alpha must be a finite number/);
    expect(make('1')).toThrow(/alpha must be a finite number/);
    expect(() => new RotoGradNorm(p.backbone, [], { rotationShape: 4, alpha: 1 })).toThrow(
      /heads must be a non-empty array/,
    );
    // A failure inside the core's constructor disposes the logits already made.
    expect(() => new RotoGradNorm({} as never, p.heads, { rotationShape: 4, alpha: 1 })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('reports NaN losses asynchronously: flush() rejects', async () => {
    const p = tiny();
    const model = new RotoGradNorm(p.backbone, p.heads, { rotationShape: 4, alpha: 1, seed: 0 });
    const optimizer = tf.train.sgd(0.01);
    const nanLoss = (preds: tf.Tensor[]) => {
      const [a, b] = p.lossFn(preds);
      return [tf.mul(a!, Number.NaN) as tf.Scalar, b!];
    };
    tf.dispose(model.step(p.x, nanLoss, { optimizer }));
    await expect(model.flush()).rejects.toThrow(/RotoGradNorm: the loss of task 0 was not finite/);
    model.dispose();
    optimizer.dispose();
    p.dispose();
  });
});
