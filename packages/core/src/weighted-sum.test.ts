import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { withoutKernels } from '../test/helpers';
import { sumAll } from './sum';
import { WEIGHTED_SUM_KERNEL, weightedSum } from './weighted-sum';

const withoutKernel = <T>(f: () => T): T => withoutKernels([WEIGHTED_SUM_KERNEL], f);

describe('weightedSum', () => {
  it(`arithmetic on ${tf.getBackend()}: Σ w[j]·x_j / divisor to float32 accuracy, the fallback to the last bit`, async () => {
    for (const [k, shape, divisor] of [
      [8, [256, 64], 8],
      [3, [5, 7], 1],
      [1, [6], 3],
      [5, [2, 3, 4], -2.5],
    ] as [number, number[], number][]) {
      const xs = Array.from({ length: k }, (_, j) =>
        tf.randomNormal(shape, 0, 1, 'float32', 30 + j),
      );
      const w = tf.randomNormal([k], 0, 2, 'float32', 40);
      const before = tf.memory().numTensors;
      const got = weightedSum(xs, w, divisor);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(got.shape).toEqual(shape);
      const [v, wv, ...xv] = (await Promise.all(
        [got, w, ...xs].map((t) => t.data()),
      )) as Float32Array[];
      for (let i = 0; i < v!.length; i++) {
        let exact = 0;
        let scale = 0;
        for (let j = 0; j < k; j++) {
          exact += wv![j]! * xv[j]![i]!;
          scale += Math.abs(wv![j]! * xv[j]![i]!);
        }
        exact /= divisor;
        scale /= Math.abs(divisor);
        expect(Math.abs(v![i]! - exact), `k ${k} [${shape}] ${i}`).toBeLessThanOrEqual(
          3e-7 * k * scale + 1e-30,
        );
      }
      // Without the kernel: K products, sumAll and a division, exactly the expression it replaced.
      const plain = withoutKernel(() => weightedSum(xs, w, divisor));
      const old = tf.tidy(() => {
        const ws = tf.unstack(w);
        const s = sumAll(xs.map((x, j) => tf.mul(x, ws[j]!)));
        return divisor === 1 ? s : tf.div(s, divisor);
      });
      expect(Array.from(await plain.data())).toEqual(Array.from(await old.data()));
      tf.dispose([...xs, w, got, plain, old]);
    }
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates in the terms and the weights, with or without the kernel`, async () => {
    const xs = [0, 1, 2].map((j) => tf.randomNormal([4, 5], 0, 1, 'float32', 50 + j));
    const w = tf.tensor1d([0.5, -3, 2]);
    const probe = tf.randomNormal([4, 5], 0, 1, 'float32', 60);
    const f = (...args: tf.Tensor[]) =>
      tf.sum(tf.mul(weightedSum(args.slice(0, 3), args[3]!, 4), probe));
    for (const grads of [tf.grads(f)([...xs, w]), withoutKernel(() => tf.grads(f)([...xs, w]))]) {
      // d/dx_j = probe·w[j]/4, d/dw[j] = ⟨probe, x_j⟩/4.
      const wv = await w.data();
      for (let j = 0; j < 3; j++) {
        const want = tf.mul(probe, wv[j]! / 4);
        const [g, e] = await Promise.all([grads[j]!.data(), want.data()]);
        for (let i = 0; i < g.length; i++) expect(g[i]!).toBeCloseTo(e[i]!, 6);
        want.dispose();
      }
      const dw = await grads[3]!.data();
      for (let j = 0; j < 3; j++) {
        const want = (await tf.sum(tf.mul(probe, xs[j]!)).data())[0]! / 4;
        expect(dw[j]!).toBeCloseTo(want, 5);
      }
      tf.dispose(grads);
    }
    tf.dispose([...xs, w, probe]);
  });

  it('names the argument and the expected shape on bad input', () => {
    const a = tf.zeros([4, 3]);
    const b = tf.zeros([3, 4]);
    const w2 = tf.ones([2]);
    const w3 = tf.ones([3]);
    expect(() => weightedSum([], w2)).toThrow(/weightedSum: terms must hold at least one tensor/);
    expect(() => weightedSum([a, b], w2)).toThrow(
      /weightedSum: terms\[1\] must be float32 of shape \[4,3\] \(that of terms\[0\]\), got float32 \[3,4\]/,
    );
    expect(() => weightedSum([a, a], w3)).toThrow(
      /weightedSum: weights must be float32 of shape \[2\] \(one per term\), got float32 \[3\]/,
    );
    expect(() => weightedSum([a, a], w2, 0)).toThrow(/divisor must be a finite non-zero number/);
    tf.dispose([a, b, w2, w3]);
  });
});
