import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { withoutKernels } from '../test/helpers';
import type { Module } from './module';
import { RotoGrad } from './rotograd';
import { skewFromLower } from './skew';
import {
  hasSymmetricMatMulKernel,
  SYMMETRIC_MAT_MUL_KERNEL,
  SYMMETRIC_MAT_MUL_SUM_KERNEL,
  symmetricMatMul,
  symmetricMatMulSum,
} from './symmetric-mat-mul';

/** Runs `f` with the active backend's symmetric kernels unregistered (if it has them). */
const withoutKernel = <T>(f: () => T): T =>
  withoutKernels([SYMMETRIC_MAT_MUL_KERNEL, SYMMETRIC_MAT_MUL_SUM_KERNEL], f);

function problem(n: number, k: number) {
  const w = tf.variable(tf.randomNormal([4, n], 0, 0.5, 'float32', 1));
  const backbone: Module = {
    apply: (x) => tf.matMul(x as tf.Tensor2D, w),
    trainableVariables: [w],
  };
  const heads = Array.from({ length: k }, (_, i) => {
    const h = tf.variable(tf.randomNormal([n, 1], 0, 0.5, 'float32', 10 + i));
    return { apply: (z: tf.Tensor) => tf.matMul(z as tf.Tensor2D, h), trainableVariables: [h] };
  });
  const x = tf.randomNormal([16, 4], 0, 1, 'float32', 2);
  const lossFn = (preds: tf.Tensor[]) => preds.map((p) => tf.mean(tf.square(p)) as tf.Scalar);
  const dispose = () => tf.dispose([w, x, ...heads.flatMap((h) => h.trainableVariables)]);
  return { backbone, heads, x, lossFn, dispose };
}

describe('symmetricMatMul', () => {
  it(`arithmetic on ${tf.getBackend()}: X², X⁴ of a skew X exactly as matMul, X·X² in its lower triangle`, async () => {
    for (const shape of [
      [32, 32],
      [2, 48, 48],
      [5, 5],
    ]) {
      const x = skewFromLower(tf.randomNormal(shape, 0, 1, 'float32', 3));
      const x2 = tf.matMul(x, x);
      const n = shape[shape.length - 1]!;
      for (const [a, b, sign] of [
        [x, x, 1],
        [x2, x2, 1],
        [x, x2, -1],
      ] as const) {
        const before = tf.memory().numTensors;
        const got = symmetricMatMul(a, b, sign);
        const full = tf.matMul(a, b);
        expect(got.shape).toEqual(full.shape);
        const [v, f] = (await Promise.all([got.data(), full.data()])) as Float32Array[];
        // Squares multiply the same pairs on both sides of the diagonal: exactly symmetric.
        if (sign === 1) expect(Array.from(v!)).toEqual(Array.from(f!));
        // Above the diagonal, the mirror of an entry that rounds differently (X·Y against Y·X).
        const scale = f!.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
        for (let i = 0; i < v!.length; i++) {
          const [r, c] = [Math.floor(i / n) % n, i % n];
          if (c <= r) expect(v![i], `lower [${r}, ${c}]`).toBe(f![i]);
          else expect(Math.abs(v![i]! - f![i]!), `upper [${r}, ${c}]`).toBeLessThan(1e-5 * scale);
        }
        tf.dispose([got, full]);
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose([x, x2]);
    }
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates as the plain product`, async () => {
    const a = tf.randomNormal([16, 8], 0, 1, 'float32', 4);
    const b = tf.randomNormal([8, 16], 0, 1, 'float32', 5);
    const weights = tf.randomNormal([16, 16], 0, 1, 'float32', 6);
    // The lower triangle only: where the two agree for any a, b.
    const mask = tf.linalg.bandPart(tf.onesLike(weights), -1, 0);
    const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(tf.mul(f(x, y), mask), weights));
    const got = tf.grads(loss((x, y) => symmetricMatMul(x, y, 1)))([a, b]);
    const want = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    for (let i = 0; i < 2; i++) {
      const [g, w] = await Promise.all([got[i]!.data(), want[i]!.data()]);
      expect(Array.from(g)).toEqual(Array.from(w));
    }
    tf.dispose([a, b, weights, mask, ...got, ...want]);
  });

  it(`arithmetic on ${tf.getBackend()}: RotoGrad's gradients to the last bit as with plain products (n = 32, K = 3), to rounding with squarings`, async () => {
    // Without squarings only lower triangles of symmetric products reach W's gradient, so the
    // kernel changes no bit. A squaring multiplies Ψ*'s whole matrix again: the kernel's mirrored
    // upper triangle (−Ψᵀ exactly) against the plain product's own (−Ψᵀ up to rounding).
    for (const [expmMaxNorm, exact] of [
      [1.5, true], // degree 12, no squaring
      [3, false], // degree 12, one squaring
    ] as const) {
      const p = problem(32, 3);
      const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 32, seed: 0, expmMaxNorm });
      const grads = async (useKernel: boolean) => {
        const spy = vi.spyOn(tf.engine(), 'runKernel');
        const g = useKernel
          ? model.computeGradients(p.x, p.lossFn)
          : withoutKernel(() => model.computeGradients(p.x, p.lossFn));
        const calls = spy.mock.calls.filter(([name]) => name === SYMMETRIC_MAT_MUL_KERNEL).length;
        spy.mockRestore();
        const values: Record<string, number[]> = {};
        for (const [k, v] of Object.entries({ ...g.modelGrads, ...g.rotogradGrads }))
          values[k] = Array.from(await v.data());
        g.dispose();
        return { values, calls };
      };
      // Rotations away from the identity (‖A_i‖₂ ≈ 0.6–1): W starts at zero, where every power
      // vanishes.
      model.rotations.forEach((r, i) => {
        tf.tidy(() => r.assign({ weight: tf.randomNormal([32, 32], 0, 0.07, 'float32', 20 + i) }));
      });
      const plain = await grads(false);
      const fast = await grads(true);
      expect(plain.calls).toBe(0);
      // With the kernel: X², X⁴ per exponential, and the rotations' gradient.
      expect(fast.calls > 0).toBe(hasSymmetricMatMulKernel());
      expect(Object.keys(fast.values).length).toBe(1 + 3 + 1); // backbone, heads, W
      if (exact || !hasSymmetricMatMulKernel()) expect(fast.values).toEqual(plain.values);
      else
        for (const [k, v] of Object.entries(plain.values)) {
          const scale = v.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
          for (const [i, e] of fast.values[k]!.entries())
            expect(Math.abs(e - v[i]!), `${k}[${i}]`).toBeLessThanOrEqual(1e-5 * scale);
        }
      model.dispose();
      p.dispose();
    }
  });

  it('names the argument and the expected shapes on bad input', () => {
    const a = tf.zeros([4, 3]);
    expect(() => symmetricMatMul(a, tf.zeros([3, 5]), 1)).toThrow(
      /expected a \[m, k\] and b \[k, m\].*got a \[4,3\] and b \[3,5\]/,
    );
    expect(() => symmetricMatMul(a, tf.zeros([3, 4]), 0 as 1)).toThrow(/sign must be 1 or -1/);
    a.dispose();
  });
});

describe('symmetricMatMulSum', () => {
  /** X, E skew; the derivative of X³ = X²·X in direction E: dX²·X + X²·E, skew-symmetric. */
  function derivativeOfCube(shape: number[], seed: number) {
    return tf.tidy(() => {
      const x = skewFromLower(tf.randomNormal(shape, 0, 1, 'float32', seed));
      const e = skewFromLower(tf.randomNormal(shape, 0, 1, 'float32', seed + 1));
      const x2 = tf.matMul(x, x);
      const dx2 = tf.add(tf.matMul(e, x), tf.matMul(x, e));
      return { x, e, x2, dx2 };
    });
  }

  it(`arithmetic on ${tf.getBackend()}: dX²·X + X²·dX of a skew X, lower triangle to rounding, above it the exact mirror`, async () => {
    for (const shape of [
      [64, 64],
      [3, 32, 32],
      [5, 5],
    ]) {
      const n = shape[shape.length - 1]!;
      const { x, e, x2, dx2 } = derivativeOfCube(shape, 7);
      const before = tf.memory().numTensors;
      const got = symmetricMatMulSum(dx2, x, x2, e, -1);
      expect(tf.memory().numTensors).toBe(before + 1);
      const full = tf.add(tf.matMul(dx2, x), tf.matMul(x2, e));
      const plain = withoutKernel(() => symmetricMatMulSum(dx2, x, x2, e, -1));
      const [v, f, p] = (await Promise.all([
        got.data(),
        full.data(),
        plain.data(),
      ])) as Float32Array[];
      // Without the kernel: two products and an add, to the last bit.
      expect(Array.from(p!)).toEqual(Array.from(f!));
      const scale = f!.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
      expect(scale).toBeGreaterThan(1);
      if (!tf.getKernel(SYMMETRIC_MAT_MUL_SUM_KERNEL, tf.getBackend()))
        expect(Array.from(v!)).toEqual(Array.from(f!));
      for (let i = 0; i < v!.length; i++) {
        const base = i - (i % (n * n));
        const [r, c] = [Math.floor((i % (n * n)) / n), i % n];
        // The full sum is skew only to rounding; the kernel sums the two products into one
        // accumulator, so its lower triangle rounds differently from the add.
        expect(Math.abs(v![i]! - f![i]!), `[${shape}] [${r}, ${c}]`).toBeLessThan(1e-5 * scale);
        // Above the diagonal: the exact mirror, or (where the kernel falls back to full
        // products, n = 5) the sum's own entry.
        if (c > r)
          expect(v![i] === -v![base + c * n + r]! || v![i] === f![i], `mirror [${r}, ${c}]`).toBe(
            true,
          );
      }
      tf.dispose([x, e, x2, dx2, got, full, plain]);
    }
  });

  it(`arithmetic on ${tf.getBackend()}: differentiates as the sum of plain products`, async () => {
    const xs = [4, 5, 6, 7].map((s, i) =>
      tf.randomNormal(i % 2 === 0 ? [16, 8] : [8, 16], 0, 1, 'float32', s),
    );
    const weights = tf.randomNormal([16, 16], 0, 1, 'float32', 8);
    const mask = tf.linalg.bandPart(tf.onesLike(weights), -1, 0);
    const loss =
      (f: (...t: tf.Tensor[]) => tf.Tensor) =>
      (...t: tf.Tensor[]) =>
        tf.sum(tf.mul(tf.mul(f(...t), mask), weights));
    const got = tf.grads(loss((a, b, a2, b2) => symmetricMatMulSum(a!, b!, a2!, b2!, 1)))(xs);
    const want = tf.grads(loss((a, b, a2, b2) => tf.add(tf.matMul(a!, b!), tf.matMul(a2!, b2!))))(
      xs,
    );
    for (let i = 0; i < 4; i++) {
      const [g, w] = await Promise.all([got[i]!.data(), want[i]!.data()]);
      expect(Array.from(g)).toEqual(Array.from(w));
    }
    tf.dispose([...xs, weights, mask, ...got, ...want]);
  });

  it('names the argument and the expected shapes on bad input', () => {
    const [a, b] = [tf.zeros([4, 3]), tf.zeros([3, 4])];
    expect(() => symmetricMatMulSum(a, b, a, tf.zeros([3, 5]), 1)).toThrow(
      /symmetricMatMulSum: expected a2 \[m, k\] and b2 \[k, m\].*m = 4.*got a2 \[4,3\] and b2 \[3,5\]/,
    );
    expect(() => symmetricMatMulSum(a, b, tf.zeros([1, 4, 3]), tf.zeros([1, 3, 4]), 1)).toThrow(
      /batched as a, got a2 \[1,4,3\]/,
    );
    expect(() => symmetricMatMulSum(a, b, a, b, 2 as 1)).toThrow(/sign must be 1 or -1/);
    tf.dispose([a, b]);
  });
});
