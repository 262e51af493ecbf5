import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { withoutKernels } from '../test/helpers';
import { ADD_TRANSPOSE_KERNEL, addTranspose } from './add-transpose';

/** Runs `f` with the active backend's kernel unregistered (if it has one). */
const withoutKernel = <T>(f: () => T): T => withoutKernels([ADD_TRANSPOSE_KERNEL], f);

/** α·x + β·xᵀ on the host, in float32 as the contract rounds it. */
function reference(x: Float32Array, shape: number[], alpha: number, beta: number): number[] {
  const n = shape[shape.length - 1]!;
  const out: number[] = [];
  for (let base = 0; base < x.length; base += n * n)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        out.push(
          Math.fround(
            Math.fround(alpha * x[base + i * n + j]!) + Math.fround(beta * x[base + j * n + i]!),
          ),
        );
  return out;
}

describe('addTranspose', () => {
  it(`arithmetic on ${tf.getBackend()}: α·x + β·xᵀ to the last bit, with or without the kernel`, async () => {
    for (const shape of [
      [64, 64],
      [3, 32, 32],
      [5, 5],
      [2, 24, 24],
    ]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', shape.length + shape[0]!);
      const v = (await x.data()) as Float32Array;
      for (const [alpha, beta] of [
        [1, -1],
        [-1, 1],
        [1, 1],
        [-1, -1],
        [0.5, 2],
      ] as const) {
        const label = `[${shape}] ${alpha}, ${beta}`;
        const before = tf.memory().numTensors;
        const got = addTranspose(x, alpha, beta);
        expect(tf.memory().numTensors, label).toBe(before + 1);
        expect(got.shape).toEqual(shape);
        const want = reference(v, shape, alpha, beta);
        expect(Array.from(await got.data()), label).toEqual(want);
        const plain = withoutKernel(() => addTranspose(x, alpha, beta));
        expect(Array.from(await plain.data()), label).toEqual(want);
        tf.dispose([got, plain]);
      }
      x.dispose();
    }
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates as α·dy + β·dyᵀ`, async () => {
    const x = tf.randomNormal([32, 32], 0, 1, 'float32', 3);
    const weights = tf.randomNormal([32, 32], 0, 1, 'float32', 4);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(addTranspose(t, 0.5, -2), weights)));
    const g = grad(x);
    const w = (await weights.data()) as Float32Array;
    expect(Array.from(await g.data())).toEqual(reference(w, [32, 32], 0.5, -2));
    tf.dispose([x, weights, g]);
  });

  it('names the argument and the expected shape on bad input', () => {
    const x = tf.zeros([4, 3]);
    expect(() => addTranspose(x, 1, 1)).toThrow(
      /addTranspose: expected x float32 \[n, n\].*\[4,3\]/,
    );
    const y = tf.zeros([4, 4]);
    expect(() => addTranspose(y, Number.NaN, 1)).toThrow(/alpha and beta must be finite/);
    tf.dispose([x, y]);
  });
});
