import { cached } from '@rotograd/core';
import { compare } from '@rotograd/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gradNorm64, power64 } from '../test/float64-gradnorm';
import { GradNorm } from './grad-norm';

// A linear backbone R^3 → R^3 and three linear heads R^3 → R^1 with MSE losses, small enough to
// differentiate by hand in float64.
const B = 4;
const D = 3;
const K = 3;
const x = [
  [0.5, -1.2, 0.3],
  [1.1, 0.4, -0.7],
  [-0.6, 0.9, 1.5],
  [0.2, -0.3, -1.0],
];
const ys = [
  [1.0, -0.5, 0.3, 0.8],
  [-1.2, 0.4, 0.9, -0.1],
  [0.2, 0.6, -0.8, 1.3],
];
const init = {
  wb: [
    [0.4, -0.3, 0.6],
    [0.2, 0.5, -0.4],
    [-0.7, 0.1, 0.3],
  ],
  bb: [0.05, -0.1, 0.2],
  wh: [
    [0.8, -0.6, 0.3],
    [-0.2, 0.9, 0.5],
    [0.4, 0.3, -0.7],
  ],
  bh: [0.1, -0.2, 0.05],
  logits: [0.3, -0.2, 0.6],
};
const lrModel = 0.1;
const lrLogits = 0.5;
const alpha = 1.5;

type State = typeof init;
const copy = (s: State): State => JSON.parse(JSON.stringify(s));

/** One step of GradNorm in float64: its quantities, and the state after SGD. */
function step64(s: State, initialLosses: number[], normalize: boolean) {
  const z = x.map((row) =>
    s.bb.map((b, d) => b + row.reduce((acc, v, k) => acc + v * s.wb[k]![d]!, 0)),
  );
  const preds = s.wh.map((w, i) =>
    z.map((zb) => s.bh[i]! + zb.reduce((a, v, d) => a + v * w[d]!, 0)),
  );
  const losses = preds.map((p, i) => p.reduce((a, v, b) => a + (v - ys[i]![b]!) ** 2, 0) / B);
  const rel = losses.map((l, i) => l / initialLosses[i]!);
  // ∂ℓ_i/∂pred_i, with ℓ_i = L_i / L0_i when normalizing
  const r = preds.map((p, i) =>
    p.map((v, b) => ((2 / B) * (v - ys[i]![b]!)) / (normalize ? initialLosses[i]! : 1)),
  );
  const taskGrads = r.map((ri, i) => ri.flatMap((rb) => s.wh[i]!.map((w) => rb * w)));
  const gn = gradNorm64(taskGrads, rel, s.logits, alpha);
  const q = gn.repGrad;
  const grads = {
    wb: x[0]!.map((_, k) =>
      s.bb.map((_, d) => x.reduce((a, row, b) => a + row[k]! * q[b * D + d]!, 0)),
    ),
    bb: s.bb.map((_, d) => z.reduce((a, _zb, b) => a + q[b * D + d]!, 0)),
    wh: r.map((ri) => s.bb.map((_, d) => z.reduce((a, zb, b) => a + zb[d]! * ri[b]!, 0))),
    bh: r.map((ri) => ri.reduce((a, v) => a + v, 0)),
    logits: gn.logitGrads,
  };
  const next: State = {
    wb: s.wb.map((row, k) => row.map((v, d) => v - lrModel * grads.wb[k]![d]!)),
    bb: s.bb.map((v, d) => v - lrModel * grads.bb[d]!),
    wh: s.wh.map((row, i) => row.map((v, d) => v - lrModel * grads.wh[i]![d]!)),
    bh: s.bh.map((v, i) => v - lrModel * grads.bh[i]!),
    logits: s.logits.map((v, i) => v - lrLogits * grads.logits[i]!),
  };
  return { losses, rel, taskGrads, gn, grads, next };
}

function build(s: State) {
  const wb = tf.variable(tf.tensor2d(s.wb));
  const bb = tf.variable(tf.tensor1d(s.bb));
  const wh = s.wh.map((w) => tf.variable(tf.tensor2d(w, [D, 1])));
  const bh = s.bh.map((b) => tf.variable(tf.tensor1d([b])));
  const backbone = {
    apply: (inp: tf.Tensor) => tf.add(tf.matMul(inp as tf.Tensor2D, wb), bb),
    trainableVariables: [wb, bb],
  };
  const heads = wh.map((w, i) => ({
    apply: (zz: tf.Tensor) => tf.add(tf.matMul(zz as tf.Tensor2D, w), bh[i]!),
    trainableVariables: [w, bh[i]!],
  }));
  return { wb, bb, wh, bh, backbone, heads, vars: [wb, bb, ...wh, ...bh] };
}

describe('GradNorm', () => {
  it.each([false, true])(
    'matches hand-computed float64 values over 4 steps (normalizeLosses: %s, burn-in reset at step 2)',
    async (normalize) => {
      const m = build(init);
      // These small tensors are created before the model: the tape-free setup is not measured.
      const xt = tf.tensor2d(x);
      const yt = ys.map((y) => tf.tensor2d(y, [B, 1]));
      const lossFn = (preds: tf.Tensor[]) =>
        preds.map((p, i) => tf.mean(tf.square(tf.sub(p, yt[i]!))) as tf.Scalar);
      const model = new GradNorm(m.backbone, m.heads, {
        alpha,
        burnInPeriod: 2,
        normalizeLosses: normalize,
      });
      tf.tidy(() => {
        for (const [i, v] of model.weightLogits.entries()) v.assign(tf.scalar(init.logits[i]!));
      });
      const sgdModel = tf.train.sgd(lrModel);
      const sgdLogits = tf.train.sgd(lrLogits);
      let s = copy(init);
      let initialLosses: number[] = [];
      let worst = 0;
      const check = async (what: string, mine: tf.Tensor | undefined, ref: number[]) => {
        expect(mine, what).toBeDefined();
        const c = compare(await mine!.data(), ref);
        worst = Math.max(worst, c.err / c.bound);
        expect(c.ok, `${what}: err ${c.err} > bound ${c.bound}`).toBe(true);
      };
      for (let t = 0; t < 4; t++) {
        const r = model.computeGradients(xt, lossFn, { details: true });
        const losses = await Promise.all(r.losses.map((l) => l.data().then((d) => d[0]!)));
        if (t === 0 || t === 2) initialLosses = losses;
        const ref = step64(s, initialLosses, normalize);
        const d = r.details!;
        await check(`losses@${t}`, tf.stack(r.losses), ref.losses);
        await check(`normalizedLosses@${t}`, tf.stack(d.normalizedLosses), ref.rel);
        for (let i = 0; i < K; i++) await check(`g${i}@${t}`, d.taskGrads[i], ref.taskGrads[i]!);
        await check(`weights@${t}`, d.stats.weights, ref.gn.weights);
        await check(`taskGradNorms@${t}`, d.stats.taskGradNorms, ref.gn.taskGradNorms);
        await check(`m@${t}`, d.stats.meanWeightedGradNorm, [ref.gn.meanWeightedGradNorm]);
        await check(`targets@${t}`, d.stats.targets, ref.gn.targets);
        await check(`repGrad@${t}`, d.repGrad, ref.gn.repGrad);
        await check(`grad wb@${t}`, r.modelGrads[m.wb.name], ref.grads.wb.flat());
        await check(`grad bb@${t}`, r.modelGrads[m.bb.name], ref.grads.bb);
        for (let i = 0; i < K; i++) {
          await check(`grad wh${i}@${t}`, r.modelGrads[m.wh[i]!.name], ref.grads.wh[i]!);
          await check(`grad bh${i}@${t}`, r.modelGrads[m.bh[i]!.name], [ref.grads.bh[i]!]);
          await check(`grad logit${i}@${t}`, r.rotogradGrads[model.weightLogits[i]!.name], [
            ref.grads.logits[i]!,
          ]);
        }
        expect(Object.keys(r.rotogradGrads)).toHaveLength(K);
        sgdModel.applyGradients(r.modelGrads);
        sgdLogits.applyGradients(r.rotogradGrads);
        r.dispose();
        s = ref.next;
        await check(`wb after ${t}`, m.wb, s.wb.flat());
        for (let i = 0; i < K; i++)
          await check(`logit${i} after ${t}`, model.weightLogits[i], [s.logits[i]!]);
        const w = model.weights();
        await check(`weights() after ${t}`, w, gradNorm64([[0]], [1], s.logits, alpha).weights);
        w.dispose();
      }
      console.log(
        `GradNorm vs float64 (normalizeLosses ${normalize}): worst err/bound ${(worst * 100).toFixed(2)}%`,
      );
      model.dispose();
      tf.dispose([...m.vars, xt, ...yt]);
      sgdModel.dispose();
      sgdLogits.dispose();
    },
  );

  it('leaks no tensor over 50 steps, and learns (after the first step and flush)', async () => {
    const m = build(init);
    const xt = tf.tensor2d(x);
    const yt = ys.map((y) => tf.tensor2d(y, [B, 1]));
    const lossFn = (preds: tf.Tensor[]) =>
      preds.map((p, i) => tf.mean(tf.square(tf.sub(p, yt[i]!))) as tf.Scalar);
    const model = new GradNorm(m.backbone, m.heads, { alpha: 1, burnInPeriod: 10 });
    const optimizer = tf.train.adam(0.02);
    const rotogradOptimizer = tf.train.adam(0.02);
    tf.dispose(cached(() => model.step(xt, lossFn, { optimizer, rotogradOptimizer })));
    await model.flush();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      tf.dispose(cached(() => model.step(xt, lossFn, { optimizer, rotogradOptimizer })));
    }
    await model.flush();
    const after = tf.memory().numTensors;
    console.log(`GradNorm leak check: ${before} tensors before 50 steps, ${after} after`);
    expect(after).toBe(before);
    const w = model.weights();
    const wv = Array.from(await w.data());
    w.dispose();
    expect(wv.reduce((a, b) => a + b, 0)).toBeCloseTo(K, 5);
    expect(wv.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
    model.dispose();
    tf.dispose([...m.vars, xt, ...yt]);
    optimizer.dispose();
    rotogradOptimizer.dispose();
  });

  it('rejects a negative or NaN alpha and reports NaN losses on flush()', async () => {
    const m = build(init);
    expect(() => new GradNorm(m.backbone, m.heads, { alpha: -1 })).toThrow(
      /GradNorm: alpha must be a finite number ≥ 0, got -1/,
    );
    expect(() => new GradNorm(m.backbone, m.heads, { alpha: Number.NaN })).toThrow(
      /GradNorm: alpha must be a finite number ≥ 0, got NaN/,
    );
    expect(() => new GradNorm(m.backbone, m.heads, {} as never)).toThrow(/alpha is required/);
    const model = new GradNorm(m.backbone, m.heads, { alpha: 0.5 });
    const xt = tf.tensor2d(x);
    const optimizer = tf.train.sgd(0.01);
    const nanLosses = (preds: tf.Tensor[]) =>
      preds.map((p, i) => (i === 2 ? tf.log(tf.scalar(-1)) : tf.mean(p)) as tf.Scalar);
    tf.dispose(model.step(xt, nanLosses, { optimizer }));
    await expect(model.flush()).rejects.toThrow(/GradNorm: the loss of task 2 was not finite/);
    expect(() => model.computeGradients(xt, nanLosses)).toThrow(/not finite/);
    model.dispose();
    tf.dispose([...m.vars, xt]);
    optimizer.dispose();
  });

  it('trains with a negative loss ratio and fractional alpha (where the reference fails)', async () => {
    const m = build(init);
    const xt = tf.tensor2d(x);
    // Losses that may be negative (a log-likelihood, say): task 1's starts positive and turns
    // negative at step 2, so its ratio L̃_1 / L̄ is negative from then on.
    let t = 0;
    const lossFn = (preds: tf.Tensor[]) =>
      preds.map(
        (p, i) => tf.add(tf.mul(tf.mean(p), 0.1), i === 1 ? 0.5 - 0.4 * t : 2) as tf.Scalar,
      );
    const model = new GradNorm(m.backbone, m.heads, { alpha: 0.5 });
    const optimizer = tf.train.sgd(0.2);
    // From step 2 on, L̃_1 < 0; at step 4 the mean L̄ is negative too, so every ratio flips sign.
    let sawNegative = false;
    for (t = 0; t < 5; t++) {
      const r = model.computeGradients(xt, lossFn, { details: true });
      const rel = await tf.stack(r.details!.normalizedLosses).data();
      const targets = await r.details!.stats.targets!.data();
      const logitGrads = await Promise.all(
        model.weightLogits.map((v) => r.rotogradGrads[v.name]!.data()),
      );
      for (const v of [...targets, ...logitGrads.map((g) => g[0]!)]) {
        expect(Number.isFinite(v)).toBe(true);
      }
      const norm = (await r.details!.stats.meanWeightedGradNorm!.data())[0]!;
      const mean = (rel[0]! + rel[1]! + rel[2]!) / 3;
      const expected = Array.from(rel, (l) => norm * power64(l / mean, 0.5));
      expect(compare(targets, expected).ok, `${targets} vs ${expected}`).toBe(true);
      if (rel[1]! < 0) sawNegative = true;
      optimizer.applyGradients(r.modelGrads);
      optimizer.applyGradients(r.rotogradGrads);
      r.dispose();
    }
    await model.flush();
    expect(sawNegative).toBe(true);
    model.dispose();
    tf.dispose([...m.vars, xt]);
    optimizer.dispose();
  });
});
