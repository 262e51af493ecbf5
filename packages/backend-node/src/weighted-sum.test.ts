import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { INNER_PRODUCT } from './inner-product';
import { LINEAR_COMBINATION } from './linear-combination';
import { SQUARED_NORMS } from './squared-norms';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';
import { WEIGHTED_SUM } from './weighted-sum';

const run = (name: string, inputs: tf.Tensor[], attrs: Record<string, unknown> = {}) =>
  tf
    .engine()
    .runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);

describe('WEIGHTED_SUM and SQUARED_NORMS on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => useWasmFastKernels());

  it('WEIGHTED_SUM is LINEAR_COMBINATION with the coefficients w[j] / divisor, read from the device', async () => {
    for (const [k, shape, divisor] of [
      [8, [256, 64], 8],
      [5, [3, 7], 1], // 21 elements: a tail of 1 after the SIMD part
      [1, [4], -2],
    ] as [number, number[], number][]) {
      const xs = Array.from({ length: k }, (_, j) =>
        tf.randomNormal(shape, 0, 1, 'float32', 10 + j),
      );
      const w = tf.randomNormal([k], 0, 1, 'float32', 20);
      const before = tf.memory().numTensors;
      const got = run(WEIGHTED_SUM, [...xs, w], { divisor }) as tf.Tensor;
      expect(tf.memory().numTensors).toBe(before + 1);
      const coefficients = Array.from(await w.data(), (v) => v / divisor);
      const [want] = run(LINEAR_COMBINATION, xs, { coefficients, rows: 1 }) as tf.Tensor[];
      expect(got.shape).toEqual(shape);
      expect(Array.from(await got.data())).toEqual(Array.from(await want!.data()));
      tf.dispose([...xs, w, got, want!]);
    }
  });

  it('SQUARED_NORMS gives each tensor’s INNER_PRODUCT with itself, bit for bit', async () => {
    const xs = [[256, 64], [3, 7, 5], [10], [0, 4]].map((shape, j) =>
      tf.randomNormal(shape, 0, 1, 'float32', 30 + j),
    );
    const got = run(SQUARED_NORMS, xs) as tf.Tensor;
    expect(got.shape).toEqual([4]);
    const v = await got.data();
    for (const [j, x] of xs.entries()) {
      const one = tf
        .engine()
        .runKernel(INNER_PRODUCT, { a: x, b: x }, { batchDims: 0 }) as tf.Tensor;
      expect(v[j]).toBe((await one.data())[0]);
      one.dispose();
    }
    tf.dispose([...xs, got]);
  });

  it('names the argument and the expected shape on bad input', () => {
    const a = tf.zeros([4, 3]);
    const w = tf.ones([3]);
    const i = tf.zeros([2], 'int32');
    const w1 = tf.ones([1]);
    expect(() => run(WEIGHTED_SUM, [a, a, w], { divisor: 1 })).toThrow(
      /the last input, the weights, must be float32 of shape \[2\], got float32 \[3\]/,
    );
    expect(() => run(WEIGHTED_SUM, [a, w1], { divisor: 0 })).toThrow(
      /attr divisor must be a finite non-zero number/,
    );
    expect(() => run(SQUARED_NORMS, [a, i])).toThrow(/input 1 must be float32, got int32/);
    tf.dispose([a, w, i, w1]);
  });

  it('are unregistered by restoreWasmKernels and registered again by useWasmFastKernels', () => {
    restoreWasmKernels();
    expect(tf.getKernel(WEIGHTED_SUM, 'wasm')).toBeUndefined();
    expect(tf.getKernel(SQUARED_NORMS, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(WEIGHTED_SUM, 'wasm')).toBeDefined();
    expect(tf.getKernel(SQUARED_NORMS, 'wasm')).toBeDefined();
  });
});
