import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  disposeExpmState,
  type ExpmPlan,
  expm,
  expmForward,
  expmFrechet,
  expmFrechetAt,
  expmFrechetRotated,
  expmNormBound,
  expmNormBounds,
  expmPlan,
  expmPlanCoverage,
  expmPlanProducts,
  expmProgram,
} from './expm';
import { normalGenerator } from './haar';
import { SYMMETRIC_MAT_MUL_SUM_KERNEL } from './symmetric-mat-mul';

// An independent float64 reference: Taylor to 30 terms after scaling to ‖X‖₁ ≤ 1/4, then squaring.
type M = Float64Array;
const mm = (a: M, b: M, n: number): M => {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += aik * b[k * n + j]!;
    }
  return c;
};
function expm64(a: M, n: number): M {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    norm = Math.max(norm, s);
  }
  const sq = Math.max(0, Math.ceil(Math.log2(norm / 0.25)));
  const x = a.map((v) => v / 2 ** sq);
  let term: M = new Float64Array(n * n);
  for (let i = 0; i < n; i++) term[i * n + i] = 1;
  let sum: M = Float64Array.from(term);
  for (let k = 1; k <= 30; k++) {
    term = mm(term, x, n).map((v) => v / k);
    sum = sum.map((v, i) => v + term[i]!);
  }
  for (let j = 0; j < sq; j++) sum = mm(sum, sum, n);
  return sum;
}
const randomMatrix = (n: number, scale: number, seed: number): M => {
  const g = normalGenerator(seed);
  return Float64Array.from({ length: n * n }, () => g() * scale);
};
const skew = (w: M, n: number): M => {
  const a = new Float64Array(n * n);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < r; c++) {
      a[r * n + c] = w[r * n + c]!;
      a[c * n + r] = -w[r * n + c]!;
    }
  return a;
};
function maxRelErr(mine: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(mine[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return err / scale;
}
const t2 = (a: M, n: number) => tf.tensor2d(Float32Array.from(a), [n, n]);

/** The Fréchet derivative of the float64 expm in direction e, by central differences. */
const fd64 = (a: M, e: M, n: number): M => {
  const h = 1e-6;
  const p = expm64(
    a.map((v, i) => v + h * e[i]!),
    n,
  );
  const m = expm64(
    a.map((v, i) => v - h * e[i]!),
    n,
  );
  return p.map((v, i) => (v - m[i]!) / (2 * h));
};

/** A skew A (‖A‖₂ within every plan the tests run), a skew direction F, both as tensors, and Lexp(A, F) by finite differences. */
function skewCase(n: number, seed: number) {
  const a = skew(randomMatrix(n, 0.06, seed), n);
  const f = skew(randomMatrix(n, 1, seed + 1), n);
  return { a, f, at: t2(a, n), ft: t2(f, n), fd: fd64(a, f, n) };
}

/** ‖A‖₂ by power iteration on AᵀA (float64). */
function spectralNorm(a: M, n: number): number {
  let v: M = Float64Array.from(randomMatrix(n, 1, 14).slice(0, n));
  let sigma = 0;
  for (let it = 0; it < 500; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i]! += a[i * n + j]! * v[j]!;
    const u = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i]! += a[j * n + i]! * w[j]!;
    const norm = Math.hypot(...u);
    sigma = Math.sqrt(norm / Math.hypot(...v));
    v = u.map((x) => x / norm);
  }
  return sigma;
}

/**
 * Runs `plan` on A (`at`) and its derivative in direction `et`, and checks both against the
 * float64 references: e^A to 3e-6 and Lexp(A, E) to 2e-5, relative to their largest entries.
 */
async function expectAccurate(
  at: tf.Tensor,
  et: tf.Tensor,
  plan: ExpmPlan,
  want: M,
  fd: M,
  label: string,
): Promise<void> {
  const state = expmForward(at, plan);
  const l = expmFrechet(state, et);
  expect(maxRelErr(await state.value.data(), want), label).toBeLessThan(3e-6);
  expect(maxRelErr(await l.data(), fd), label).toBeLessThan(2e-5);
  disposeExpmState(state);
  l.dispose();
}

function frobenius(a: M): number {
  let sum = 0;
  for (const v of a) sum += v * v;
  return Math.sqrt(sum);
}

describe('expmPlan', () => {
  it('covers the norm it is asked for, with few products', () => {
    for (const bound of [0, 1e-6, 0.01, 0.3, 1, 4, 37, 1e4]) {
      const plan = expmPlan(bound);
      expect(expmPlanCoverage(plan)).toBeGreaterThanOrEqual(bound);
      expect(plan.degree - 1 + plan.squarings).toBeLessThanOrEqual(bound < 1 ? 8 : 30);
    }
    expect(expmPlan(0)).toEqual({ degree: 1, squarings: 0 });
  });
  it('counts products: degree 8 in 3, 12 in 4, 18 in 5; Paterson–Stockmeyer for the others', () => {
    expect(expmPlanProducts({ degree: 8, squarings: 0 })).toBe(3); // X², A4, A8
    expect(expmPlanProducts({ degree: 8, squarings: 3 })).toBe(6);
    expect(expmPlanProducts({ degree: 12, squarings: 0 })).toBe(4); // X², X³, B4², (B2 + A6)·A6
    expect(expmPlanProducts({ degree: 18, squarings: 0 })).toBe(5); // X², X³, X⁶, B1·B5, last
    expect(expmPlanProducts({ degree: 2, squarings: 0 })).toBe(1); // X² only
    expect(expmPlanProducts({ degree: 15, squarings: 0 })).toBe(6); // X²…X⁴, 3 Horner steps
    expect(expmPlanProducts({ degree: 20, squarings: 0 })).toBe(8); // X²…X⁵, 4 Horner steps
    // The plans for float32 near the bench's norms (‖A‖₂ ≈ 2, planned with a margin to ≈ 3).
    expect(expmPlan(1)).toEqual({ degree: 12, squarings: 0 });
    expect(expmPlanProducts(expmPlan(1))).toBe(4);
    expect(expmPlan(2.8)).toEqual({ degree: 12, squarings: 1 });
    // Degree 18 is charged half a product for its rounding: it wins only where it saves one.
    expect(expmPlan(2.82)).toEqual({ degree: 18, squarings: 0 });
    expect(expmPlan(3.2)).toEqual({ degree: 12, squarings: 2 });
    expect(expmPlanProducts(expmPlan(16))).toBe(8);
    // Skew-symmetric matrices (‖e^A‖₂ = 1) get the same accuracy from cheaper plans.
    expect(expmPlan(3, { skew: true })).toEqual({ degree: 12, squarings: 1 });
    expect(expmPlan(3.2, { skew: true })).toEqual({ degree: 18, squarings: 0 });
    expect(expmPlanCoverage({ degree: 12, squarings: 1 }, { skew: true })).toBeCloseTo(3.124, 3);
    expect(expmPlanCoverage({ degree: 12, squarings: 1 })).toBeCloseTo(2.807, 3);
    // Below n = 32 kernel calls cost more than products: Paterson–Stockmeyer at every degree.
    const tiny = expmPlan(0.5, { skew: true, size: 16 });
    expect(tiny).toEqual({ degree: 8, squarings: 0, patersonStockmeyer: true });
    expect(expmPlanProducts(tiny)).toBe(4);
    expect(expmPlan(0.5, { skew: true, size: 32 })).toEqual({ degree: 8, squarings: 0 });
  });

  it('with derivative, compares plans by the products of the exponential and its exact derivative', () => {
    const skew = { skew: true, size: 256 };
    const both = { ...skew, derivative: true };
    const halves = { ...both, triangular: true };
    // Full products everywhere (no symmetric kernels): per product of the program two for the
    // derivative, one for a square of an even or odd power, so the plans stay those of the
    // exponential alone (degree 12: 4 + 6, degree 18: 5 + 8 and its half-product penalty).
    for (const nu of [0.1, 1, 2, 3, 3.2, 4, 7])
      expect(expmPlan(nu, both), `${nu}`).toEqual(expmPlan(nu, skew));
    // With triangular products at half cost and sums of two at one: degree 18 (3.5 + 7) against
    // degree 12 with a squaring (3 + 6 and 1 + 1.5): 18 without squaring from 1.57 to 3.27.
    expect(expmPlan(1.5, halves)).toEqual({ degree: 12, squarings: 0 });
    expect(expmPlan(1.6, halves)).toEqual({ degree: 18, squarings: 0 });
    expect(expmPlan(3, halves)).toEqual({ degree: 18, squarings: 0 });
    expect(expmPlan(3.5, halves)).toEqual({ degree: 18, squarings: 1 });
    expect(expmPlan(1.6, skew)).toEqual({ degree: 12, squarings: 1 });
    expect(expmPlan(3.5, skew)).toEqual({ degree: 12, squarings: 2 });
    // Below degree 12's coverage nothing changes; without skew the options do nothing.
    expect(expmPlan(0.3, halves)).toEqual(expmPlan(0.3, skew));
    expect(expmPlan(3, { derivative: true, triangular: true })).toEqual(expmPlan(3));
  });

  it('runs programs that are exactly the Taylor polynomials (expanded in float64)', () => {
    // Each program evaluated on polynomials in x (coefficient arrays) instead of matrices.
    const mul = (a: number[], b: number[]) => {
      const c = new Array<number>(a.length + b.length - 1).fill(0);
      a.forEach((u, i) => {
        b.forEach((v, j) => {
          c[i + j]! += u * v;
        });
      });
      return c;
    };
    for (const [degree, patersonStockmeyer] of Array.from(
      { length: 48 },
      (_, i) => [(i % 24) + 1, i >= 24] as const,
    )) {
      const program = expmProgram({ degree, squarings: 0, patersonStockmeyer });
      const values: number[][] = [[0, 1]];
      for (const step of program.steps) {
        if ('product' in step) {
          values.push(mul(values[step.product[0]]!, values[step.product[1]]!));
          continue;
        }
        const sum = [step.identity];
        for (const [index, coefficient] of step.terms)
          values[index]!.forEach((v, k) => {
            sum[k] = (sum[k] ?? 0) + coefficient * v;
          });
        values.push(sum);
      }
      const d = values[values.length - 1]!;
      let factorial = 1;
      for (let k = 0; k < Math.max(d.length, degree + 1); k++) {
        if (k > 0) factorial *= k;
        const want = k === 0 || k > degree ? 0 : 1 / factorial;
        // e^x − 1 to 1e-12 relative (the constants carry 21 digits), nothing beyond the degree.
        expect(Math.abs((d[k] ?? 0) - want), `degree ${degree}, x^${k}`).toBeLessThanOrEqual(
          1e-12 / factorial,
        );
      }
      expect(program.products).toBe(program.steps.filter((s) => 'product' in s).length);
      const power = values[program.power.index]!;
      expect(power.map((v, k) => (k === program.power.exponent ? v - 1 : v))).toEqual(
        power.map(() => 0),
      );
    }
  });

  it('rejects a negative or non-finite bound', () => {
    expect(() => expmPlan(-1)).toThrow(/normBound/);
    expect(() => expmPlan(Number.NaN)).toThrow(/normBound/);
  });
});

describe('expm', () => {
  it('matches the closed form of a 2×2 rotation, for small and large angles', async () => {
    for (const theta of [1e-5, 0.3, 1, Math.PI / 2, 3, 10, 100]) {
      const a = tf.tensor2d([
        [0, -theta],
        [theta, 0],
      ]);
      for (const e of [expm(a), expm(a, { normBound: Math.SQRT2 * theta })]) {
        const got = await e.data();
        const want = [Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta)];
        expect(maxRelErr(got, want), `θ = ${theta}`).toBeLessThan(theta > 20 ? 2e-5 : 2e-6);
        e.dispose();
      }
      a.dispose();
    }
  });

  it('matches Rodrigues’ formula for 3×3 rotations', async () => {
    const axis = [1 / 3, 2 / 3, 2 / 3];
    for (const theta of [0.01, 0.7, 2.5]) {
      const [x, y, z] = axis.map((v) => v * theta) as [number, number, number];
      const a = tf.tensor2d([
        [0, -z, y],
        [z, 0, -x],
        [-y, x, 0],
      ]);
      const k = [
        [0, -axis[2]!, axis[1]!],
        [axis[2]!, 0, -axis[0]!],
        [-axis[1]!, axis[0]!, 0],
      ];
      const want: number[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          let k2 = 0;
          for (let l = 0; l < 3; l++) k2 += k[i]![l]! * k[l]![j]!;
          want.push((i === j ? 1 : 0) + Math.sin(theta) * k[i]![j]! + (1 - Math.cos(theta)) * k2);
        }
      const e = expm(a);
      expect(maxRelErr(await e.data(), want)).toBeLessThan(2e-6);
      tf.dispose([a, e]);
    }
  });

  it('matches a float64 reference on random general and skew matrices, batched', async () => {
    const n = 7;
    for (const scale of [1e-3, 0.1, 0.5, 2]) {
      const mats = [randomMatrix(n, scale, 1), skew(randomMatrix(n, scale * 3, 2), n)];
      const batch = tf.tensor3d(Float32Array.from(mats.flatMap((m) => [...m])), [2, n, n]);
      const got = await expm(batch).data();
      mats.forEach((m, b) => {
        const want = expm64(m, n);
        expect(
          maxRelErr(got.slice(b * n * n, (b + 1) * n * n), want),
          `scale ${scale}`,
        ).toBeLessThan(3e-6);
      });
      batch.dispose();
    }
  });

  it('is accurate at n = 128, where wasm sums the combinations by scaled additions', async () => {
    const n = 128;
    const a = skew(randomMatrix(n, 1, 17), n);
    const sigma = spectralNorm(a, n);
    const e = randomMatrix(n, 1, 18);
    for (const nu of [0.5, 2.5]) {
      const scaled = a.map((v) => (v * nu) / sigma);
      const at = t2(scaled, n);
      const et = t2(e, n);
      const plan = expmPlan(nu * 1.01, { skew: true });
      await expectAccurate(at, et, plan, expm64(scaled, n), fd64(scaled, e, n), `‖A‖₂ = ${nu}`);
      tf.dispose([at, et]);
    }
  });

  it('keeps full relative precision of e^A − I for tiny A (expm1 form)', async () => {
    const n = 4;
    const w = skew(randomMatrix(n, 1e-6, 3), n);
    const e = expm(t2(w, n), { normBound: 1e-5 });
    const got = await e.data();
    const ref = expm64(w, n);
    for (let i = 0; i < n; i++) ref[i * n + i]! -= 1;
    const minusI = got.map((v, i) => v - (i % (n + 1) === 0 ? 1 : 0));
    // e^A − I ≈ A: its off-diagonal entries survive although they are ~1e-6 next to the ones.
    expect(maxRelErr(minusI, ref)).toBeLessThan(1e-1);
    e.dispose();
  });

  it('is accurate for every degree and scheme, with and without squarings', async () => {
    const n = 6;
    const a = skew(randomMatrix(n, 0.3, 11), n);
    const e = randomMatrix(n, 1, 12);
    const want = expm64(a, n);
    const fd = fd64(a, e, n);
    const frob = frobenius(a);
    const at = t2(a, n);
    const et = t2(e, n);
    for (let degree = 1; degree <= 24; degree++)
      for (let squarings = 0; squarings <= 2; squarings++)
        for (const patersonStockmeyer of [false, true]) {
          const plan = { degree, squarings, patersonStockmeyer };
          // Only the plans accurate at this norm (the others are truncated on purpose).
          if (expmPlanCoverage(plan) < frob) continue;
          await expectAccurate(at, et, plan, want, fd, JSON.stringify(plan));
        }
    tf.dispose([at, et]);
  });

  it('is accurate for skew matrices at the edge of every plan expmPlan picks for them', async () => {
    const n = 24;
    const base = skew(randomMatrix(n, 1, 15), n);
    const sigma = spectralNorm(base, n);
    const e = randomMatrix(n, 1, 16);
    const et = t2(e, n);
    const plans = new Map<string, ExpmPlan>();
    for (let nu = 0.01; nu <= 12; nu *= 1.05) {
      const plan = expmPlan(nu, { skew: true });
      plans.set(JSON.stringify(plan), plan);
    }
    expect(plans.size).toBeGreaterThanOrEqual(6);
    for (const plan of plans.values()) {
      const nu = expmPlanCoverage(plan, { skew: true });
      const a = base.map((v) => (v * nu) / sigma);
      const at = t2(a, n);
      const label = `${JSON.stringify(plan)}, ‖A‖₂ = ${nu.toFixed(3)}`;
      await expectAccurate(at, et, plan, expm64(a, n), fd64(a, e, n), label);
      at.dispose();
    }
    et.dispose();
  });

  it('bounds ‖A‖₂ of a skew matrix from its powers, far below ‖A‖_F at n = 64', async () => {
    const n = 64;
    const a = skew(randomMatrix(n, 0.05, 13), n);
    const frob = frobenius(a);
    const sigma = spectralNorm(a, n);
    const at = t2(a, n);
    for (const plan of [
      expmPlan(frob),
      { degree: 8, squarings: 0 },
      { degree: 15, squarings: 1 },
    ]) {
      const state = expmForward(at, plan);
      const bound = (await expmNormBound(state).data())[0]!;
      const q = expmProgram(plan).power.exponent;
      expect(bound, `plan ${JSON.stringify(plan)}`).toBeGreaterThanOrEqual(sigma * (1 - 1e-5));
      expect(bound).toBeLessThanOrEqual(sigma * n ** (1 / (2 * q)) * (1 + 1e-5));
      expect(bound).toBeLessThan(frob / 2);
      disposeExpmState(state);
    }
    at.dispose();
  });

  it("bounds ‖A‖₂ of a skew matrix by degree 8's sixth moment, −⟨X², A4⟩ / x2 = Σ|λ|⁶", async () => {
    const n = 64;
    const a = skew(randomMatrix(n, 0.004, 17), n);
    const sigma = spectralNorm(a, n);
    const a2 = mm(a, a, n);
    const a6 = mm(mm(a2, a2, n), a2, n);
    let trace6 = 0;
    for (let i = 0; i < n; i++) trace6 += a6[i * n + i]!;
    // Eigenvalues ±iθ: tr(A⁶) = −Σθ⁶.
    const moment = (-trace6) ** (1 / 6);
    const at = t2(a, n);
    for (const squarings of [0, 1]) {
      const state = expmForward(at, { degree: 8, squarings });
      const skewBound = (await expmNormBound(state, { skew: true }).data())[0]!;
      const powerBound = (await expmNormBound(state).data())[0]!;
      const label = `${squarings} squarings, ‖A‖₂ = ${sigma.toFixed(3)}`;
      expect(Math.abs(skewBound / moment - 1), label).toBeLessThan(1e-4);
      expect(skewBound, label).toBeGreaterThanOrEqual(sigma);
      expect(skewBound, label).toBeLessThanOrEqual(sigma * n ** (1 / 6));
      // X² alone: ‖X²‖_F^{1/2}, up to n^{1/4}-loose; here ≈ 1.6·‖A‖₂ against ≈ 1.3.
      expect(skewBound, label).toBeLessThan(0.85 * powerBound);
      disposeExpmState(state);
    }
    // Degree 12 has no moment: the skew option changes nothing there.
    const state = expmForward(at, { degree: 12, squarings: 0 });
    const [b0, b1] = await Promise.all([
      expmNormBound(state).data(),
      expmNormBound(state, { skew: true }).data(),
    ]);
    expect(b1[0]).toBe(b0[0]);
    disposeExpmState(state);
    at.dispose();
  });

  it('bounds several states at once (expmNormBounds) exactly as one at a time', async () => {
    const n = 40;
    const read = async (t: tf.Tensor) => {
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    const as = [21, 22, 23].map((seed, i) => t2(skew(randomMatrix(n, 0.01 * (i + 1), seed), n), n));
    const before = tf.memory().numTensors;
    for (const plan of [
      { degree: 8, squarings: 1 },
      { degree: 12, squarings: 0 },
    ]) {
      const states = as.map((a) => expmForward(a, plan));
      for (const options of [{}, { skew: true }]) {
        const together = expmNormBounds(states, options);
        expect(together.shape).toEqual([3]);
        const alone = (
          await Promise.all(states.map((st) => read(expmNormBound(st, options))))
        ).flat();
        expect(await read(together)).toEqual(alone);
      }
      // Different plans (and a batched state) fall back to one at a time, concatenated.
      const pair = tf.stack(as.slice(0, 2));
      const other = expmForward(pair, { degree: 12, squarings: 2 });
      const mixed = expmNormBounds([states[0]!, other], { skew: true });
      const parts = [
        ...(await read(expmNormBound(states[0]!, { skew: true }))),
        ...(await read(expmNormBound(other, { skew: true }))),
      ];
      expect(await read(mixed)).toEqual(parts);
      tf.dispose(pair);
      disposeExpmState(other);
      for (const st of states) disposeExpmState(st);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => expmNormBounds([])).toThrow(/states must not be empty/);
    tf.dispose(as);
  });

  it('rejects non-square input', () => {
    const a = tf.zeros([2, 3]);
    expect(() => expm(a)).toThrow(/square/);
    a.dispose();
  });
});

describe('expmFrechet (the exact derivative of expm)', () => {
  it('matches central finite differences of a float64 expm', async () => {
    const n = 6;
    for (const [scale, seed] of [
      [0.05, 4],
      [0.4, 5],
      [1.5, 6],
    ] as const) {
      const a = skew(randomMatrix(n, scale, seed), n);
      const e = randomMatrix(n, 1, seed + 10);
      const got = expmFrechetAt(t2(a, n), t2(e, n));
      expect(maxRelErr(await got.data(), fd64(a, e, n)), `scale ${scale}`).toBeLessThan(5e-6);
      got.dispose();
    }
  });

  it('equals A·e^A in the direction of A (commuting case), with and without a plan', async () => {
    const n = 5;
    const a = skew(randomMatrix(n, 0.8, 7), n);
    const want = mm(a, expm64(a, n), n);
    for (const options of [{}, { normBound: 3 }]) {
      const got = expmFrechetAt(t2(a, n), t2(a, n), options);
      expect(maxRelErr(await got.data(), want)).toBeLessThan(5e-6);
      got.dispose();
    }
  });

  it('with skew A and F, derives squarings of even and odd powers in one product each', async () => {
    const n = 8;
    const { at, ft, fd } = skewCase(n, 17);
    // n×n products (the combinations are [g, t] × [t, n²] ones at this size).
    const products = async (run: () => tf.Tensor) =>
      (await tf.profile(() => run())).kernels.filter(
        (k) => k.name === 'BatchMatMul' && k.inputShapes.every((s) => s.join() === `${n},${n}`),
      ).length;
    // [plan, squarings of an even or odd power in its program]: X² everywhere, X⁴ = (X²)² in
    // degree 12's, X⁶ = (X³)² in degree 18's.
    for (const [plan, pure] of [
      [{ degree: 8, squarings: 0 }, 1],
      [{ degree: 12, squarings: 1 }, 2],
      [{ degree: 18, squarings: 0 }, 2],
      [{ degree: 15, squarings: 1 }, 1],
      [{ degree: 8, squarings: 1, patersonStockmeyer: true }, 1],
    ] as const) {
      const label = JSON.stringify(plan);
      const state = expmForward(at, plan);
      const general = await products(() => expmFrechet(state, ft));
      const skewed = await products(() => expmFrechet(state, ft, { skew: true }));
      expect(general, label).toBe(2 * expmPlanProducts(plan));
      expect(skewed, label).toBe(general - pure);
      const l = expmFrechet(state, ft, { skew: true });
      const lg = expmFrechet(state, ft);
      expect(maxRelErr(await l.data(), fd), label).toBeLessThan(2e-5);
      expect(maxRelErr(await l.data(), await lg.data()), label).toBeLessThan(1e-6);
      tf.dispose([l, lg]);
      disposeExpmState(state);
    }
    // The programs know which values are even or odd polynomials of X.
    expect(expmProgram({ degree: 18, squarings: 0 }).parity.slice(0, 4)).toEqual([1, 0, 1, 0]);
    expect(expmProgram({ degree: 12, squarings: 0 }).parity.slice(0, 3)).toEqual([1, 0, 0]);
    expect(expmProgram({ degree: 12, squarings: 0 }).parity.at(-1)).toBeNull();
    tf.dispose([at, ft]);
  });

  it('with skew A and F, derives other products of even or odd powers as one triangular sum (SYMMETRIC_MAT_MUL_SUM_KERNEL)', async () => {
    const n = 8;
    const { at, ft, fd } = skewCase(n, 19);
    const backend = tf.getBackend();
    const registered = tf.getKernel(SYMMETRIC_MAT_MUL_SUM_KERNEL, backend);
    // Where the backend has none, one that sums two full products: which steps reach it.
    if (!registered)
      tf.registerKernel({
        kernelName: SYMMETRIC_MAT_MUL_SUM_KERNEL,
        backendName: backend,
        kernelFunc: ({ inputs, backend: b }) => {
          const mm = tf.getKernel(tf.BatchMatMul, backend)!.kernelFunc;
          const attrs = { transposeA: false, transposeB: false };
          const [p, q] = [
            mm({ inputs: { a: inputs.a!, b: inputs.b! }, backend: b, attrs }),
            mm({ inputs: { a: inputs.a2!, b: inputs.b2! }, backend: b, attrs }),
          ] as tf.TensorInfo[];
          const sum = tf
            .getKernel(tf.Add, backend)!
            .kernelFunc({ inputs: { a: p!, b: q! }, backend: b });
          (b as tf.KernelBackend).disposeData(p!.dataId);
          (b as tf.KernelBackend).disposeData(q!.dataId);
          return sum;
        },
      });
    try {
      // [plan, products of even or odd powers that are not squares]: X³ = X²·X in degree 18's
      // program, X³ and X⁴ = X³·X in Paterson–Stockmeyer's degree 15, X³ in its degree 8.
      for (const [plan, mixed] of [
        [{ degree: 8, squarings: 0 }, 0],
        [{ degree: 12, squarings: 1 }, 0],
        [{ degree: 18, squarings: 0 }, 1],
        [{ degree: 15, squarings: 1 }, 2],
        [{ degree: 8, squarings: 1, patersonStockmeyer: true }, 1],
      ] as const) {
        const label = JSON.stringify(plan);
        const state = expmForward(at, plan);
        const info = await tf.profile(() => expmFrechet(state, ft, { skew: true }));
        const calls = info.kernels.filter((k) => k.name === SYMMETRIC_MAT_MUL_SUM_KERNEL).length;
        expect(calls, label).toBe(mixed);
        const l = expmFrechet(state, ft, { skew: true });
        expect(maxRelErr(await l.data(), fd), label).toBeLessThan(2e-5);
        tf.dispose(l);
        disposeExpmState(state);
        // Not without skew: the general derivative makes no such assumption.
        const general = expmForward(at, plan);
        const plain = await tf.profile(() => expmFrechet(general, ft));
        expect(
          plain.kernels.some((k) => k.name === SYMMETRIC_MAT_MUL_SUM_KERNEL),
          label,
        ).toBe(false);
        disposeExpmState(general);
      }
    } finally {
      if (!registered) tf.unregisterKernel(SYMMETRIC_MAT_MUL_SUM_KERNEL, backend);
    }
    tf.dispose([at, ft]);
  });

  it('carries Ψ*(F) = Lexp(A, F)·e^{−A} through the squarings (expmFrechetRotated)', async () => {
    const n = 8;
    const { a, at, ft, fd } = skewCase(n, 21);
    const ea = expm64(a, n);
    // Ψ* in float64: Lexp(A, F) by central differences, times (e^A)ᵀ = e^{−A}.
    const want = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++)
        for (let j = 0; j < n; j++) want[i * n + j]! += fd[i * n + k]! * ea[j * n + k]!;
    const products = async (run: () => tf.Tensor) =>
      (await tf.profile(() => run())).kernels.filter((k) =>
        ['BatchMatMul', 'RotogradSymmetricMatMul'].includes(k.name),
      ).length;
    for (const plan of [
      { degree: 8, squarings: 0 },
      { degree: 12, squarings: 1 },
      { degree: 12, squarings: 2 },
      { degree: 18, squarings: 1 },
      { degree: 8, squarings: 3, patersonStockmeyer: true },
      undefined,
    ] as const) {
      const label = JSON.stringify(plan ?? 'dynamic');
      const state = expmForward(at, plan, { skew: true });
      const psi = expmFrechetRotated(state, ft);
      const after = tf.matMul(expmFrechet(state, ft, { skew: true }), state.value, false, true);
      const got = await psi.data();
      expect(maxRelErr(got, want), label).toBeLessThan(2e-5);
      expect(maxRelErr(got, await after.data()), label).toBeLessThan(1e-6);
      // Skew-symmetric, as Ψ* of a skew direction is.
      const transposed = await tf.transpose(psi).data();
      expect(
        maxRelErr(
          got,
          transposed.map((v) => -v),
        ),
        label,
      ).toBeLessThan(1e-6);
      // As many products as the derivative followed by ·e^{−A}.
      if (plan) {
        const rotated = await products(() => expmFrechetRotated(state, ft));
        const then = await products(() =>
          tf.matMul(expmFrechet(state, ft, { skew: true }), state.value, false, true),
        );
        expect(rotated, label).toBe(then);
      }
      tf.dispose([psi, after]);
      disposeExpmState(state);
    }
    const before = tf.memory().numTensors;
    const state = expmForward(at, { degree: 12, squarings: 2 }, { skew: true });
    tf.dispose(expmFrechetRotated(state, ft));
    disposeExpmState(state);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([at, ft]);
  });

  it('reuses the forward intermediates without leaking', () => {
    const a = tf.randomNormal([3, 4, 4], 0, 0.3, 'float32', 1);
    const f = tf.randomNormal([3, 4, 4], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const state = expmForward(a, expmPlan(2));
    const l1 = expmFrechet(state, f);
    const l2 = expmFrechet(state, f);
    disposeExpmState(state);
    tf.dispose([l1, l2]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, f]);
  });

  it('gives the gradient of W in FORMAT.md §2, checked against finite differences of ⟨G, B·expm(L − Lᵀ)⟩', async () => {
    // ρ(W) = Σ G ⊙ (B expm(A(W))): ∂ρ/∂W = strictLower(Ĝ − Ĝᵀ), Ĝ = Lexp(Aᵀ, BᵀG).
    const n = 4;
    const w = randomMatrix(n, 0.6, 8);
    const b = expm64(skew(randomMatrix(n, 1, 9), n), n);
    const g = randomMatrix(n, 1, 10);
    const rho = (wv: M) => {
      const r = mm(b, expm64(skew(wv, n), n), n);
      return r.reduce((s, v, i) => s + v * g[i]!, 0);
    };
    const a = skew(w, n);
    const at = t2(a, n);
    const bt = t2(b, n);
    const gt = t2(g, n);
    const ehat = expmFrechetAt(tf.transpose(at), tf.matMul(bt, gt, true, false));
    const dW = await tf.sub(ehat, tf.transpose(ehat)).data();
    for (let r = 0; r < n; r++)
      for (let c = 0; c < r; c++) {
        const h = 1e-6;
        const wp = Float64Array.from(w);
        const wm = Float64Array.from(w);
        wp[r * n + c]! += h;
        wm[r * n + c]! -= h;
        const fd = (rho(wp) - rho(wm)) / (2 * h);
        expect(Math.abs(dW[r * n + c]! - fd)).toBeLessThan(2e-5 * Math.max(1, Math.abs(fd)));
      }
    tf.dispose([at, bt, gt, ehat]);
  });
});
