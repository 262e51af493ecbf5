import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { INNER_PRODUCT_KERNEL, innerProducts } from './inner-product';

describe('innerProducts', () => {
  it(`arithmetic on ${tf.getBackend()}: Σ a ⊙ b whole or per matrix, to float32 accuracy`, async () => {
    for (const [shape, batchDims] of [
      [[64, 64], 0],
      [[3, 32, 32], 1],
      [[5, 7], 0],
      [[2, 3], 1],
      [[0, 3], 0], // empty: 0
      [[0, 4], 1], // no matrices: []
    ] as [number[], 0 | 1][]) {
      const a = tf.randomNormal(shape, 0, 1, 'float32', 7);
      const b = tf.randomNormal(shape, 0, 1, 'float32', 8);
      for (const [x, y] of [
        [a, b],
        [a, a],
      ]) {
        const before = tf.memory().numTensors;
        const got = innerProducts(x!, y!, batchDims);
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(got.shape).toEqual(batchDims === 1 ? [shape[0]] : []);
        const [vx, vy, v] = (await Promise.all([
          x!.data(),
          y!.data(),
          got.data(),
        ])) as Float32Array[];
        const batch = batchDims === 1 ? shape[0]! : 1;
        const each = vx!.length / batch;
        for (let m = 0; m < batch; m++) {
          let exact = 0;
          let scale = 0;
          for (let i = m * each; i < (m + 1) * each; i++) {
            exact += vx![i]! * vy![i]!;
            scale += Math.abs(vx![i]! * vy![i]!);
          }
          expect(Math.abs(v![m]! - exact), `[${shape}] ${m}`).toBeLessThanOrEqual(1e-5 * scale);
        }
        // Without the kernel: tf.sum of the product (of tf.square for a with itself), exactly.
        // (tf.sum of an empty tensor fails on WebGL and WebGPU; innerProducts gives 0.)
        if (!tf.getKernel(INNER_PRODUCT_KERNEL, tf.getBackend()) && x!.size > 0) {
          const axes = shape.map((_, i) => i).slice(batchDims);
          const want = tf.sum(x === y ? tf.square(x!) : tf.mul(x!, y!), axes);
          expect(Array.from(v!)).toEqual(Array.from(await want.data()));
          want.dispose();
        }
        got.dispose();
      }
      tf.dispose([a, b]);
    }
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates as Σ a ⊙ b`, async () => {
    const a = tf.randomNormal([2, 4, 4], 0, 1, 'float32', 9);
    const b = tf.randomNormal([2, 4, 4], 0, 1, 'float32', 10);
    const w = tf.tensor1d([0.5, -3]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(innerProducts(x, y, 1), w)),
    )([a, b]);
    const spread = tf.reshape(w, [2, 1, 1]);
    const [wa, wb] = [tf.mul(spread, b), tf.mul(spread, a)];
    expect(Array.from(await ga!.data())).toEqual(Array.from(await wa.data()));
    expect(Array.from(await gb!.data())).toEqual(Array.from(await wb.data()));
    tf.dispose([a, b, w, ga!, gb!, spread, wa, wb]);
  });

  it('names the argument and the expected shape on bad input', () => {
    const a = tf.zeros([4, 3]);
    const b = tf.zeros([3, 4]);
    expect(() => innerProducts(a, b)).toThrow(
      /innerProducts: expected a and b float32 of one shape.*\[4,3\].*\[3,4\]/,
    );
    expect(() => innerProducts(a, a, 2 as 1)).toThrow(/batchDims must be 0, or 1/);
    tf.dispose([a, b]);
  });
});
