import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { withoutKernels } from '../test/helpers';
import { innerProducts } from './inner-product';
import { SQUARED_NORMS_KERNEL, squaredNorms } from './squared-norms';

const withoutKernel = <T>(f: () => T): T => withoutKernels([SQUARED_NORMS_KERNEL], f);

describe('squaredNorms', () => {
  it(`arithmetic on ${tf.getBackend()}: the K squared norms, each as innerProducts(x, x) gives it`, async () => {
    const xs = [[256, 64], [5, 7], [35], [2, 3, 4], [0, 3]].map((shape, j) =>
      tf.randomNormal(shape, 0, 1, 'float32', 70 + j),
    );
    const before = tf.memory().numTensors;
    const got = squaredNorms(xs);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(got.shape).toEqual([5]);
    const v = await got.data();
    for (const [j, x] of xs.entries()) {
      const one = innerProducts(x, x);
      expect(v[j], `${j}`).toBe((await one.data())[0]);
      one.dispose();
      const xv = (await x.data()) as Float32Array;
      const exact = xv.reduce((s: number, e: number) => s + e * e, 0);
      expect(Math.abs(v[j]! - exact)).toBeLessThanOrEqual(1e-6 * exact);
    }
    const plain = withoutKernel(() => squaredNorms(xs));
    expect(Array.from(await plain.data())).toEqual(Array.from(v));
    tf.dispose([...xs, got, plain]);
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates as Σ x²`, async () => {
    const xs = [
      tf.randomNormal([3, 4], 0, 1, 'float32', 80),
      tf.randomNormal([6], 0, 1, 'float32', 81),
    ];
    const w = tf.tensor1d([0.5, -3]);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(squaredNorms([a, b]), w));
    for (const [ga, gb] of [tf.grads(f)(xs), withoutKernel(() => tf.grads(f)(xs))]) {
      const [wa, wb] = [tf.mul(xs[0]!, 1), tf.mul(xs[1]!, -6)];
      expect(Array.from(await ga!.data())).toEqual(Array.from(await wa.data()));
      expect(Array.from(await gb!.data())).toEqual(Array.from(await wb.data()));
      tf.dispose([ga!, gb!, wa, wb]);
    }
    tf.dispose([...xs, w]);
  });

  it('names the argument on bad input', () => {
    const i = tf.zeros([2], 'int32');
    expect(() => squaredNorms([])).toThrow(/squaredNorms: tensors must hold at least one tensor/);
    expect(() => squaredNorms([i])).toThrow(
      /squaredNorms: tensors\[0\] must be float32, got int32/,
    );
    i.dispose();
  });
});
