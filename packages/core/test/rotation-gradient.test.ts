import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Module } from '../src/index';
import {
  expmFrechetAt,
  RotoGrad,
  rotate,
  rotationLayout,
  setBatchStrategy,
  toRows,
} from '../src/index';
import { skewFromLower, strictLower, transposeMatrices } from '../src/skew';
import { dense } from './helpers';

/**
 * FORMAT.md §2 and §4.5 written out literally, independently of the model's shortcuts:
 * `D = rotate(R, r) − h`, `ρ = c‖D‖²`, `G = ∂ρ/∂R = 2c·Σ_rows D[:, :n]ᵀ r[:, :n]`,
 * `Ĝ = Lexp(Aᵀ, BᵀG)`, `∂ρ/∂W = strictLower(Ĝ − Ĝᵀ)`.
 */
function literalRotationGradient(
  w: tf.Tensor2D,
  base: tf.Tensor2D,
  r: tf.Tensor,
  h: tf.Tensor,
  postShape: number[],
  c: number,
) {
  return tf.tidy(() => {
    const n = w.shape[0];
    const layout = rotationLayout(r.shape, n, postShape);
    const a = skewFromLower(w);
    // R = B·expm(A) through a separate path: the plain power series, 40 terms.
    let term: tf.Tensor = tf.eye(n);
    let e: tf.Tensor = tf.eye(n);
    for (let k = 1; k <= 40; k++) {
      term = tf.div(tf.matMul(term, a), k);
      e = tf.add(e, term);
    }
    const R = tf.matMul(base, e) as tf.Tensor2D;
    const d = tf.sub(toRows(rotate(R, r, postShape), layout), toRows(h, layout));
    const loss = tf.mul(tf.sum(tf.square(d)), c);
    const g = tf.mul(
      tf.matMul(tf.slice(d, [0, 0], [-1, n]), tf.slice(toRows(r, layout), [0, 0], [-1, n]), true),
      2 * c,
    ) as tf.Tensor2D;
    const gHat = expmFrechetAt(transposeMatrices(a), tf.matMul(base, g, true));
    const dW = strictLower(tf.sub(gHat, transposeMatrices(gHat)));
    return { loss, g, dW };
  });
}

async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => tf.max(tf.abs(t)));
  const v = (await m.data())[0]!;
  m.dispose();
  return v;
}

async function expectClose(actual: tf.Tensor, expected: tf.Tensor, rel: number): Promise<void> {
  const scale = await maxAbs(expected);
  const diff = tf.sub(actual, expected);
  const err = await maxAbs(diff);
  diff.dispose();
  expect(scale).toBeGreaterThan(0);
  expect(err).toBeLessThanOrEqual(rel * scale + 1e-9);
}

afterEach(() => setBatchStrategy('auto'));

describe('rotation losses and gradients', () => {
  // S components before postShape, P after it, the first n of S rotated.
  const cases = [
    { name: 'a full rotation', s: 6, p: 1, n: 6 },
    { name: 'a partial rotation of the first 4 of 7', s: 7, p: 1, n: 4 },
    { name: 'a partial rotation of 3 of 5 rows with postShape [2]', s: 5, p: 2, n: 3 },
  ];
  for (const { name, s, p, n } of cases) {
    for (const strategy of ['loop', 'batched'] as const) {
      it(`match FORMAT.md's formulas for ${name} (${strategy} products)`, async () => {
        setBatchStrategy(strategy);
        const rep = s * p;
        const K = 3;
        const batch = 16;
        const l1 = dense(5, 12, 1, 'relu');
        const l2 = dense(12, rep, 2);
        const postShape = p === 1 ? [] : [p];
        const backbone: Module = {
          apply: (x) =>
            tf.tidy(() =>
              tf.reshape(l2.apply(l1.apply(x) as tf.Tensor) as tf.Tensor, [batch, s, ...postShape]),
            ),
          trainableVariables: [...l1.trainableVariables, ...l2.trainableVariables],
        };
        const denseHeads = Array.from({ length: K }, (_, i) => dense(rep, 1, 10 + i));
        const heads: Module[] = denseHeads.map((hd) => ({
          apply: (z) => hd.apply(tf.reshape(z as tf.Tensor, [batch, rep])),
          trainableVariables: hd.trainableVariables,
        }));
        const x = tf.randomNormal([batch, 5], 0, 1, 'float32', 3);
        const ys = heads.map((_, i) => tf.randomNormal([batch, 1], 0, 1, 'float32', 20 + i));
        const lossFn = (preds: tf.Tensor[]) =>
          preds.map((pr, i) => tf.tidy(() => tf.mean(tf.square(tf.sub(pr, ys[i]!))) as tf.Scalar));
        const model = new RotoGrad(backbone, heads, { rotationShape: n, postShape, seed: 4 });
        // Move the rotations away from W = 0 so that the exponential and its derivative matter.
        model.rotations.forEach((rot, i) => {
          tf.tidy(() => rot.assign({ weight: tf.randomNormal([n, n], 0, 0.4, 'float32', 50 + i) }));
        });
        // A first step records the initial losses (model state); count tensors after it.
        model.computeGradients(x, lossFn).dispose();
        await model.flush(); // on WebGPU each read in flight holds a tensor
        const before = tf.memory().numTensors;
        const out = model.computeGradients(x, lossFn, { details: true });
        const det = out.details!;
        const c = p === 1 ? 1 : 1 / batch;
        // W's gradient: one [K, n, n] tensor, row i for W_i.
        const weights = model.rotogradVariables()[0]!;
        const dW = tf.unstack(out.rotogradGrads[weights.name]!);
        expect(dW.length).toBe(K);
        for (let i = 0; i < K; i++) {
          const rot = model.rotations[i]!;
          const [w, base] = [rot.weight(), rot.base()];
          const lit = literalRotationGradient(
            w,
            base,
            det.rotationReference!,
            det.rotatedTaskGrads![i]!,
            postShape,
            c,
          );
          await expectClose(det.rotationLosses![i]!, lit.loss, 1e-5);
          await expectClose(det.rotationLossGrads![i]!, lit.g, 1e-5);
          await expectClose(dW[i]!, lit.dW, 1e-4);
          tf.dispose([lit.loss, lit.g, lit.dW, w, base]);
        }
        tf.dispose(dW);
        out.dispose();
        await model.flush();
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
        l1.dispose();
        l2.dispose();
        for (const hd of denseHeads) hd.dispose();
        tf.dispose([x, ...ys]);
      });
    }
  }
});
