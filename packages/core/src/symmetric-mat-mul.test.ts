import './register-gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import type { Module } from './module';
import { RotoGrad } from './rotograd';
import { skewFromLower } from './skew';
import {
  hasSymmetricMatMulKernel,
  SYMMETRIC_MAT_MUL_KERNEL,
  symmetricMatMul,
} from './symmetric-mat-mul';

/** Runs `f` with the active backend's symmetric kernel unregistered (if it has one). */
function withoutKernel<T>(f: () => T): T {
  const config = tf.getKernel(SYMMETRIC_MAT_MUL_KERNEL, tf.getBackend());
  if (!config) return f();
  tf.unregisterKernel(SYMMETRIC_MAT_MUL_KERNEL, tf.getBackend());
  try {
    return f();
  } finally {
    tf.registerKernel(config);
  }
}

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
        r.weight.assign(tf.randomNormal([32, 32], 0, 0.07, 'float32', 20 + i) as tf.Tensor2D);
      });
      const plain = await grads(false);
      const fast = await grads(true);
      expect(plain.calls).toBe(0);
      // With the kernel: X², X⁴ per exponential, and the rotations' gradient.
      expect(fast.calls > 0).toBe(hasSymmetricMatMulKernel());
      expect(Object.keys(fast.values).length).toBe(1 + 3 + 3);
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
