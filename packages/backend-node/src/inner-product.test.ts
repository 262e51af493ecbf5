import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { INNER_PRODUCT } from './inner-product';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

const run = (a: tf.Tensor, b: tf.Tensor, batchDims: number) =>
  tf.engine().runKernel(INNER_PRODUCT, { a, b }, { batchDims }) as tf.Tensor;

/** `Σ a[i]·b[i]` in float32 in the SIMD module's order: sixteen partial sums, then the rest. */
function simdOrder(a: Float32Array, b: Float32Array): number {
  const f = Math.fround;
  const acc = Array.from({ length: 16 }, () => 0);
  const vec = a.length - (a.length % 16);
  for (let i = 0; i < vec; i++) acc[i % 16] = f(acc[i % 16]! + f(a[i]! * b[i]!));
  let tail = 0;
  for (let i = vec; i < a.length; i++) tail = f(tail + f(a[i]! * b[i]!));
  const lane = (l: number) => f(f(acc[l]! + acc[4 + l]!) + f(acc[8 + l]! + acc[12 + l]!));
  return f(f(f(lane(0) + lane(1)) + f(lane(2) + lane(3))) + tail);
}

describe('INNER_PRODUCT on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => useWasmFastKernels());

  it('sums a ⊙ b in sixteen partial sums, per matrix of a batch, to float32 accuracy', async () => {
    for (const [shape, batchDims] of [
      [[256, 256], 0],
      [[8, 64, 64], 1],
      [[3, 7, 5], 1], // 35 per matrix: two blocks of 16 and a tail of 3
      [[10], 0],
      [[0, 4], 1],
    ] as [number[], 0 | 1][]) {
      const a = tf.randomNormal(shape, 0, 1, 'float32', 5);
      const b = tf.randomNormal(shape, 0, 1, 'float32', 6);
      const before = tf.memory().numTensors;
      const got = run(a, b, batchDims);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(got.shape).toEqual(batchDims === 1 ? [shape[0]] : []);
      const [va, vb, v] = (await Promise.all([a.data(), b.data(), got.data()])) as Float32Array[];
      const batch = batchDims === 1 ? shape[0]! : 1;
      const each = batch === 0 ? 0 : va!.length / batch;
      for (let m = 0; m < batch; m++) {
        const [x, y] = [va!, vb!].map((t) => t.subarray(m * each, (m + 1) * each)) as [
          Float32Array,
          Float32Array,
        ];
        expect(v![m], `[${shape}] ${m}`).toBe(simdOrder(x, y));
        let exact = 0;
        let scale = 0;
        for (let i = 0; i < each; i++) {
          exact += x[i]! * y[i]!;
          scale += Math.abs(x[i]! * y[i]!);
        }
        expect(Math.abs(v![m]! - exact), `[${shape}] ${m}`).toBeLessThanOrEqual(
          1e-6 * scale + 1e-30,
        );
      }
      tf.dispose([a, b, got]);
    }
  });

  it('names the argument and the expected shape on bad input', () => {
    const a = tf.zeros([4, 3]);
    expect(() => run(a, tf.zeros([3, 4]), 0)).toThrow(
      /a and b float32 of one shape, got float32 \[4,3\] and float32 \[3,4\]/,
    );
    expect(() => run(a, a, 2)).toThrow(/batchDims must be 0, or 1/);
    a.dispose();
  });

  it('is unregistered by restoreWasmKernels and registered again by useWasmFastKernels', () => {
    restoreWasmKernels();
    expect(tf.getKernel(INNER_PRODUCT, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(INNER_PRODUCT, 'wasm')).toBeDefined();
  });
});
