import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { SYMMETRIC_MAT_MUL, SYMMETRIC_MAT_MUL_SUM } from './symmetric-product';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

const run = (a: tf.Tensor, b: tf.Tensor, sign: number) =>
  tf.engine().runKernel(SYMMETRIC_MAT_MUL, { a, b }, { sign }) as tf.Tensor;

const runSum = (inputs: Record<string, tf.Tensor>, sign: number) =>
  tf.engine().runKernel(SYMMETRIC_MAT_MUL_SUM, inputs, { sign }) as tf.Tensor;

/**
 * Entry [i, j] of matrix m of `a·b + a2·b2` as the SIMD kernels sum it in float32: one
 * accumulator, a's k terms in order, then a2's.
 */
function float32Sum(
  pairs: [Float32Array, Float32Array, number][],
  n: number,
  m: number,
  i: number,
  j: number,
): number {
  let c = 0;
  for (const [a, b, k] of pairs)
    for (let t = 0; t < k; t++)
      c = Math.fround(c + Math.fround(a[m * n * k + i * k + t]! * b[m * k * n + t * n + j]!));
  return c;
}

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

describe('SYMMETRIC_MAT_MUL_SUM on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => useWasmFastKernels());

  it('sums a·b and a2·b2 into one lower triangle, in float32 as one accumulator would, the mirror above', async () => {
    for (const [shape, k, k2] of [
      [[64, 64], 64, 32],
      [[2, 32, 32], 32, 32],
      [[256, 256], 256, 256],
    ] as [number[], number, number][]) {
      const lead = shape.slice(0, -2);
      const n = shape[shape.length - 1]!;
      const batch = lead[0] ?? 1;
      const inputs = {
        a: tf.randomNormal([...lead, n, k], 0, 1, 'float32', 11),
        b: tf.randomNormal([...lead, k, n], 0, 1, 'float32', 12),
        a2: tf.randomNormal([...lead, n, k2], 0, 1, 'float32', 13),
        b2: tf.randomNormal([...lead, k2, n], 0, 1, 'float32', 14),
      };
      const before = tf.memory().numTensors;
      const got = runSum(inputs, -1);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(got.shape).toEqual([...lead, n, n]);
      const v = (await got.data()) as Float32Array;
      const [a, b, a2, b2] = (await Promise.all(
        Object.values(inputs).map((t) => t.data()),
      )) as Float32Array[];
      const pairs: [Float32Array, Float32Array, number][] = [
        [a!, b!, k],
        [a2!, b2!, k2],
      ];
      // Every entry at n ≤ 64; at n = 256 a sample of rows.
      const rows = n <= 64 ? [...Array(n).keys()] : [0, 1, 15, 16, 17, 100, 255];
      for (let m = 0; m < batch; m++)
        for (const i of rows)
          for (let j = 0; j < n; j++) {
            const want = j <= i ? float32Sum(pairs, n, m, i, j) : -at(v, n, m, j, i);
            if (at(v, n, m, i, j) !== want)
              throw new Error(`[${shape}] [${m}, ${i}, ${j}] is ${at(v, n, m, i, j)}, not ${want}`);
          }
      tf.dispose([got, ...Object.values(inputs)]);
    }
  });

  it('runs shapes the triangle does not fit as two full products and an add', async () => {
    for (const [shape, k] of [
      [[24, 24], 24],
      [[272, 272], 272],
    ] as [number[], number][]) {
      const n = shape[shape.length - 1]!;
      const a = tf.randomNormal([n, k], 0, 1, 'float32', 3);
      const b = tf.randomNormal([k, n], 0, 1, 'float32', 4);
      const before = tf.memory().numTensors;
      const got = runSum({ a, b, a2: b, b2: a }, 1);
      expect(tf.memory().numTensors).toBe(before + 1);
      const full = tf.add(tf.matMul(a, b), tf.matMul(b, a));
      expect(Array.from(await got.data()), `[${shape}]`).toEqual(Array.from(await full.data()));
      tf.dispose([a, b, got, full]);
    }
  });

  it('names the argument and the expected shapes on bad input', () => {
    const [a, b] = [tf.zeros([4, 3]), tf.zeros([3, 4])];
    expect(() => runSum({ a, b, a2: a }, 1)).toThrow(/inputs a2 and b2 come together/);
    expect(() => runSum({ a, b, a2: a, b2: tf.zeros([3, 5]) }, 1)).toThrow(
      /expected a2 \[m, k\] and b2 \[k, m\].*with m = 4, got a2 \[4,3\] and b2 \[3,5\]/,
    );
    tf.dispose([a, b]);
  });

  it('is unregistered by restoreWasmKernels and registered again by useWasmFastKernels', () => {
    restoreWasmKernels();
    expect(tf.getKernel(SYMMETRIC_MAT_MUL_SUM, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(SYMMETRIC_MAT_MUL_SUM, 'wasm')).toBeDefined();
  });
});
