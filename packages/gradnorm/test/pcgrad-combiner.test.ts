import { readFileSync } from 'node:fs';
import { cached } from '@rotograd/core';
import { compare } from '@rotograd/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PCGrad, pcGradCombiner } from './pcgrad-combiner';

/** PCGrad in float64, written out independently. */
function pcGrad64(grads: number[][]): number[] {
  const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);
  const projected = grads.map((gi, i) => {
    let p = gi.slice();
    grads.forEach((gj, j) => {
      if (j === i) return;
      const d = dot(p, gj);
      if (d < 0) p = p.map((v, k) => v - (d / dot(gj, gj)) * gj[k]!);
    });
    return p;
  });
  return grads[0]!.map((_, k) => projected.reduce((s, p) => s + p[k]!, 0));
}

const combineOnce = async (grads: number[][]) => {
  const combiner = pcGradCombiner();
  const q = tf.tidy(() => {
    const taskGrads = grads.map((g) => tf.tensor2d(g, [1, g.length]));
    const losses = grads.map(() => tf.scalar(1));
    return combiner.combine({ taskGrads, losses, normalizedLosses: losses, step: 0 }).repGrad;
  });
  const out = Array.from(await q.data());
  q.dispose();
  return out;
};

describe('the README PCGrad example', () => {
  it('is the code this test runs, verbatim', () => {
    const source = readFileSync(new URL('./pcgrad-combiner.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(source.trim());
  });

  it('projects conflicting gradients (hand-computed)', async () => {
    // g0 · g1 = −1: p0 = g0 + ½ g1 = [0.5, 0.5], p1 = g1 + g0 = [0, 1].
    expect(
      await combineOnce([
        [1, 0],
        [-1, 1],
      ]),
    ).toEqual([0.5, 1.5]);
    // No conflict: the plain sum.
    expect(
      await combineOnce([
        [1, 0],
        [1, 1],
      ]),
    ).toEqual([2, 1]);
  });

  it('matches a float64 re-computation with three tasks', async () => {
    const grads = [
      [0.3, -0.2, 0.5, 0.1],
      [-0.4, 0.25, -0.1, -0.3],
      [0.6, 0.1, -0.7, 0.2],
    ];
    expect(compare(await combineOnce(grads), pcGrad64(grads)).ok).toBe(true);
  });

  it('trains a model through core, without leaking', async () => {
    const w = tf.variable(
      tf.tensor2d([
        [0.5, -0.3],
        [0.2, 0.4],
        [-0.6, 0.1],
      ]),
    );
    const h = [tf.variable(tf.tensor2d([[1], [0.5]])), tf.variable(tf.tensor2d([[-0.7], [0.9]]))];
    const backbone = {
      apply: (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w),
      trainableVariables: [w],
    };
    const heads = h.map((v) => ({
      apply: (z: tf.Tensor) => tf.matMul(z as tf.Tensor2D, v),
      trainableVariables: [v],
    }));
    const x = tf.tensor2d([
      [1, 0, 2],
      [0.5, -1, 0],
      [-0.3, 0.8, 1],
    ]);
    const y = [tf.tensor2d([[1], [0], [-1]]), tf.tensor2d([[0.5], [1], [0]])];
    const lossFn = (preds: tf.Tensor[]) =>
      preds.map((p, i) => tf.mean(tf.square(tf.sub(p, y[i]!))) as tf.Scalar);
    const model = new PCGrad(backbone, heads);
    const optimizer = tf.train.sgd(0.05);
    const first = cached(() => model.step(x, lossFn, { optimizer }));
    const initial = (await Promise.all(first.map((l) => l.data()))).map((d) => d[0]!);
    tf.dispose(first);
    await model.flush(); // reads in flight hold a tensor each on WebGPU
    const before = tf.memory().numTensors;
    let last: number[] = [];
    for (let i = 0; i < 30; i++) {
      const losses = cached(() => model.step(x, lossFn, { optimizer }));
      last = (await Promise.all(losses.map((l) => l.data()))).map((d) => d[0]!);
      tf.dispose(losses);
    }
    await model.flush();
    expect(tf.memory().numTensors).toBe(before);
    expect(last[0]! + last[1]!).toBeLessThan(initial[0]! + initial[1]!);
    model.dispose();
    tf.dispose([w, ...h, x, ...y]);
    optimizer.dispose();
  });
});
