import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { SYMMETRIC_MAT_MUL } from './symmetric-product';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

const run = (a: tf.Tensor, b: tf.Tensor, sign: number) =>
  tf.engine().runKernel(SYMMETRIC_MAT_MUL, { a, b }, { sign }) as tf.Tensor;

/** A random skew-symmetric `[..., n, n]`. */
function skew(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => {
    const w = tf.randomNormal(shape, 0, 1, 'float32', seed);
    const perm = shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm.length - 1, perm.length - 2];
    return tf.sub(w, tf.transpose(w, perm));
  });
}

/** Row `i`, column `j` of matrix `m` of a row-major `[batch, n, n]`. */
const at = (v: Float32Array, n: number, m: number, i: number, j: number) =>
  v[m * n * n + i * n + j]!;

/** Expects `got`'s lower triangle to be `full`'s to the last bit, and above it `sign` × the mirror. */
function expectTriangle(
  got: Float32Array,
  full: Float32Array,
  n: number,
  batch: number,
  sign: 1 | -1,
) {
  for (let m = 0; m < batch; m++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const want = j <= i ? at(full, n, m, i, j) : sign * at(full, n, m, j, i);
        if (at(got, n, m, i, j) !== want)
          throw new Error(
            `sign ${sign}: [${m}, ${i}, ${j}] is ${at(got, n, m, i, j)}, not ${want}`,
          );
      }
}

describe('SYMMETRIC_MAT_MUL on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => useWasmFastKernels());

  it('gives X² and X⁴ of a skew X exactly as the full product, X·X² as its lower triangle, batched or not', async () => {
    for (const shape of [
      [64, 64],
      [3, 32, 32],
      [256, 256],
      [2, 48, 48],
    ]) {
      const n = shape[shape.length - 1]!;
      const batch = shape.length === 3 ? shape[0]! : 1;
      const x = skew(shape, shape[0]!);
      const x2 = tf.matMul(x, x);
      const cases: [tf.Tensor, tf.Tensor, 1 | -1][] = [
        [x, x, 1],
        [x2, x2, 1],
        [x, x2, -1],
      ];
      for (const [a, b, sign] of cases) {
        const before = tf.memory().numTensors;
        const got = run(a, b, sign);
        const full = tf.matMul(a, b);
        expect(got.shape).toEqual(full.shape);
        const [v, f] = (await Promise.all([got.data(), full.data()])) as Float32Array[];
        if (sign === 1) {
          // Squares of a symmetric or skew X multiply the same pairs in the same order on both
          // sides of the diagonal: the full product is exactly symmetric, and equal to the last bit.
          expect(Array.from(v!), `[${shape}]`).toEqual(Array.from(f!));
        } else {
          // X·X² is skew only up to rounding (X·Y and Y·X round differently).
          expectTriangle(v!, f!, n, batch, sign);
        }
        tf.dispose([got, full]);
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose([x, x2]);
    }
  });

  it('computes the lower triangle of any product and mirrors it above with the sign', async () => {
    // Not symmetric at all: what is above the diagonal shows where the kernel wrote.
    const n = 48;
    const a = tf.randomNormal([2, n, 40], 0, 1, 'float32', 7);
    const b = tf.randomNormal([2, 40, n], 0, 1, 'float32', 8);
    const full = (await tf.matMul(a, b).data()) as Float32Array;
    for (const sign of [1, -1] as const) {
      const got = run(a, b, sign);
      expectTriangle((await got.data()) as Float32Array, full, n, 2, sign);
      got.dispose();
    }
    tf.dispose([a, b]);
  });

  it('runs shapes the triangle does not fit (n not a multiple of 16, wide b) as full products', async () => {
    for (const [shape, k] of [
      [[24, 24], 24],
      [[16, 16], 16], // one row block: the full product
      [[2, 20, 20], 20],
      [[272, 272], 272], // k·n over the SIMD kernel's panel
    ] as [number[], number][]) {
      const lead = shape.slice(0, -2);
      const n = shape[shape.length - 1]!;
      const a = tf.randomNormal([...lead, n, k], 0, 1, 'float32', 3);
      const b = tf.randomNormal([...lead, k, n], 0, 1, 'float32', 4);
      const got = run(a, b, -1);
      const full = tf.matMul(a, b);
      expect(Array.from(await got.data()), `[${shape}]`).toEqual(Array.from(await full.data()));
      tf.dispose([a, b, got, full]);
    }
  });

  it('with symmetricProducts: false, runs every one as a full product', async () => {
    useWasmFastKernels({ symmetricProducts: false });
    const a = tf.randomNormal([32, 32], 0, 1, 'float32', 5);
    const b = tf.randomNormal([32, 32], 0, 1, 'float32', 6);
    const got = run(a, b, 1);
    const full = tf.matMul(a, b);
    expect(Array.from(await got.data())).toEqual(Array.from(await full.data()));
    tf.dispose([a, b, got, full]);
    useWasmFastKernels();
  });

  it('names the argument and the expected shapes on bad input', () => {
    const a = tf.zeros([4, 3]);
    const b = tf.zeros([3, 5]);
    expect(() => run(a, b, 1)).toThrow(
      /expected a \[m, k\] and b \[k, m\].*got a \[4,3\] and b \[3,5\]/,
    );
    expect(() => run(a, tf.zeros([3, 4]), 0)).toThrow(/attr sign must be 1 or -1, got 0/);
    tf.dispose([a, b]);
  });

  it('is unregistered by restoreWasmKernels and registered again by useWasmFastKernels', () => {
    restoreWasmKernels();
    expect(tf.getKernel(SYMMETRIC_MAT_MUL, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(SYMMETRIC_MAT_MUL, 'wasm')).toBeDefined();
  });
});
