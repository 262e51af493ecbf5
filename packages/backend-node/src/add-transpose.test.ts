import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_TRANSPOSE } from './add-transpose';
import { useNodeBackend } from './index';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

const run = (x: tf.Tensor, alpha: number, beta: number) =>
  tf.engine().runKernel(ADD_TRANSPOSE, { x }, { alpha, beta }) as tf.Tensor;

describe('ADD_TRANSPOSE on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => useWasmFastKernels());

  it('gives α·x + β·xᵀ exactly as tf.add of the scaled tensors, on the SIMD module or not', async () => {
    // n a multiple of 32 on the SIMD module (the bench's 256 among them), others in a loop.
    for (const shape of [
      [256, 256],
      [64, 64],
      [3, 32, 32],
      [24, 24],
      [2, 5, 5],
    ]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', shape[0]!);
      const perm = shape.length === 3 ? [0, 2, 1] : [1, 0];
      for (const [alpha, beta] of [
        [1, -1],
        [-1, 1],
        [1, 1],
        [0.3, -1.7],
      ]) {
        const before = tf.memory().numTensors;
        const got = run(x, alpha!, beta!);
        expect(tf.memory().numTensors).toBe(before + 1);
        const want = tf.tidy(() => tf.add(tf.mul(x, alpha!), tf.mul(tf.transpose(x, perm), beta!)));
        expect(Array.from(await got.data()), `[${shape}] ${alpha}, ${beta}`).toEqual(
          Array.from(await want.data()),
        );
        tf.dispose([got, want]);
      }
      x.dispose();
    }
  });

  it('names the argument and the expected shape on bad input', () => {
    const x = tf.zeros([4, 3]);
    expect(() => run(x, 1, 1)).toThrow(
      /expected x float32 \[n, n\] or \[batch, n, n\], got float32 \[4,3\]/,
    );
    const y = tf.zeros([4, 4]);
    expect(() => run(y, 1, Number.POSITIVE_INFINITY)).toThrow(/alpha and beta must be finite/);
    tf.dispose([x, y]);
  });

  it('is unregistered by restoreWasmKernels and registered again by useWasmFastKernels', () => {
    restoreWasmKernels();
    expect(tf.getKernel(ADD_TRANSPOSE, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(ADD_TRANSPOSE, 'wasm')).toBeDefined();
  });
});
