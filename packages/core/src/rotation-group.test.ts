import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cached } from './cached';
import { expmPlanCoverage, expmPlanProducts } from './expm';
import { normalGenerator } from './haar';
import { Rotation } from './rotation';
import { disposeRotationForward, RotationGroup } from './rotation-group';

/** Sets every W_i so that A_i = t·(e₁e₀ᵀ − e₀e₁ᵀ): ‖A_i‖₂ = t exactly. */
function setNorm(group: RotationGroup, t: number): void {
  const w = tf.buffer([group.count, group.size, group.size], 'float32');
  for (let i = 0; i < group.count; i++) w.set(t, i, 1, 0);
  const values = w.toTensor();
  group.weights.assign(values as tf.Tensor3D);
  values.dispose();
}

describe('RotationGroup plans', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('cover a steadily growing ‖A‖₂ with a margin of two steps’ growth, without warnings', async () => {
    const n = 32;
    const group = new RotationGroup(2, n, { seed: 0 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const before = tf.memory().numTensors;
    const step = 0.1;
    let lastPlan = group.plan();
    for (let k = 0; k <= 25; k++) {
      const t = k * step;
      setNorm(group, t);
      lastPlan = group.plan();
      expect(expmPlanCoverage(lastPlan, { skew: true }), `step ${k}`).toBeGreaterThanOrEqual(t);
      const { value, owned } = group.forward();
      // The loop awaits each step, as a training loop reading its losses; then lets the group's
      // own read of the same norms (another promise) settle.
      await value.norms.data();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (owned) disposeRotationForward(value);
    }
    expect(warn).not.toHaveBeenCalled();
    // At ‖A‖₂ = 2.5 the last read is the bound ‖A^q‖_F^{1/q} = 2^{1/(2q)}·2.4 = 2.62 (degree 12's
    // q = 4). The largest rate read between two reads of one program is 2^{1/8}·0.1 = 0.109 (a
    // jump where the plan changes program, from one bound to another, is not growth). 1.1 × 2.62
    // + 2 × 0.109 = 3.10: within degree 12 with a squaring (3.12), 5 products. (A 1.25× margin
    // plus four reads' growth would need 6.)
    expect(lastPlan).toEqual({ degree: 12, squarings: 1 });
    expect(expmPlanProducts(lastPlan)).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    group.dispose();
  });

  it('forget growth that has stopped: held rotations get the plan of their norm', async () => {
    const n = 32;
    const group = new RotationGroup(2, n, { seed: 0 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const evaluate = async (t: number) => {
      setNorm(group, t);
      const { value, owned } = group.forward();
      await value.norms.data();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (owned) disposeRotationForward(value);
    };
    for (let k = 0; k <= 25; k++) await evaluate(k * 0.1);
    // Held at 2.65: the bound read is 2^{1/8}·2.65 = 2.89 (degree 12's ‖A⁴‖_F^{1/4}) or 2^{1/12}·2.65 =
    // 2.81 (degree 18's sixth power). With the growth of the climb still counted (0.109 per step,
    // two steps), 1.1 × 2.81 + 0.22 = 3.31 would need degree 12 with two squarings, 6 products; once
    // it has faded (0.9 per read), 1.1 × 2.81 = 3.09 and 1.1 × 2.89 = 3.18 are covered by 5
    // (degree 12 with a squaring, 3.12; degree 18 without, 3.27). The two bounds of one A that
    // alternating plans read are not counted as growth.
    for (let k = 0; k < 40; k++) await evaluate(2.65);
    const plan = group.plan();
    expect(expmPlanProducts(plan)).toBe(5);
    expect(expmPlanCoverage(plan, { skew: true })).toBeGreaterThanOrEqual(1.1 * 2.65);
    expect(warn).not.toHaveBeenCalled();
    group.dispose();
  });

  it('warns once when the norm jumps past the plan, and covers it afterwards', async () => {
    const n = 8;
    const group = new RotationGroup(1, n, { seed: 3 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const evaluate = async () => {
      const { value, owned } = group.forward();
      await value.norms.data();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (owned) disposeRotationForward(value);
    };
    for (const t of [0.1, 0.2, 0.3]) {
      setNorm(group, t);
      await evaluate();
    }
    setNorm(group, 6);
    await evaluate();
    await evaluate();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/exceeded/);
    expect(expmPlanCoverage(group.plan(), { skew: true })).toBeGreaterThanOrEqual(6);
    group.dispose();
  });
});

describe('RotationGroup variables', () => {
  it('hold the K rotations in one [K, n, n] W and B, with the Haar bases K Rotations would draw', async () => {
    const before = tf.memory().numTensors;
    const group = new RotationGroup(3, 5, { normal: normalGenerator(7), name: 'g' });
    expect(group.weights.shape).toEqual([3, 5, 5]);
    expect(group.weights.trainable).toBe(true);
    expect(group.bases.trainable).toBe(false);
    expect(group.weights.name).toBe('g/weight');
    const normal = normalGenerator(7);
    const singles = [0, 1, 2].map(() => new Rotation(5, { normal }));
    for (let i = 0; i < 3; i++) {
      const [b, w] = [group.rotations[i]!.base(), group.rotations[i]!.weight()];
      expect(Array.from(await b.data())).toEqual(Array.from(await singles[i]!.base.data()));
      expect(Array.from(await w.data())).toEqual(new Array(25).fill(0));
      tf.dispose([b, w]);
    }
    for (const s of singles) s.dispose();
    group.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('read and write row i through rotations[i], and compute R_i alone or from the cached group', async () => {
    const n = 6;
    const group = new RotationGroup(3, n, { seed: 2 });
    const single = new Rotation(n, { init: 'identity' });
    const w1 = tf.randomNormal([n, n], 0, 0.5, 'float32', 11) as tf.Tensor2D;
    const b1 = tf.tidy(() => group.rotations[2]!.base());
    group.rotations[1]!.assign({ weight: w1, base: b1 });
    single.weight.assign(w1);
    single.base.assign(b1);
    const before = tf.memory().numTensors;
    // Row 1 holds the values; rows 0 and 2 kept theirs.
    const all = await group.weights.array();
    expect(all[0]!.flat().every((v) => v === 0)).toBe(true);
    expect(all[2]!.flat().every((v) => v === 0)).toBe(true);
    expect(all[1]!.flat()).toEqual(Array.from(await w1.data()));
    // R_1 = B_1 · expm(A_1), the same as one Rotation with those variables.
    const alone = group.rotations[1]!.matrix();
    const want = single.matrix();
    const fromGroup = cached(() => group.rotations[1]!.matrix());
    const [a, f, e] = await Promise.all([alone.data(), fromGroup.data(), want.data()]);
    for (let j = 0; j < n * n; j++) {
      expect(a[j]!).toBeCloseTo(e[j]!, 5);
      expect(f[j]!).toBeCloseTo(e[j]!, 5);
    }
    tf.dispose([alone, want, fromGroup]);
    await group.settled();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w1, b1]);
    single.dispose();
    group.dispose();
  });

  it('reject values of the wrong shape, naming the argument and the expected shape', () => {
    const group = new RotationGroup(2, 4, { seed: 1 });
    const bad = tf.zeros([4, 3]);
    expect(() => group.rotations[1]!.assign({ weight: bad })).toThrow(
      /rotations\[1\]\.assign: weight must be a tf\.Tensor of shape \[4, 4\], got shape \[4,3\]/,
    );
    expect(() => new RotationGroup(0, 4)).toThrow(/count must be a positive integer, got 0/);
    expect(() => new RotationGroup(2, 4, { maxNorm: -1 })).toThrow(/maxNorm must be a number ≥ 0/);
    bad.dispose();
    group.dispose();
    expect(() => group.rotations[0]!.matrix()).toThrow(/used after dispose/);
  });

  it('stack per-task gradients into W’s shape', async () => {
    const group = new RotationGroup(2, 3, { init: 'identity' });
    const g3 = tf.ones([2, 3, 3]);
    expect(group.stackGradients([g3])).toBe(g3);
    const parts = [tf.fill([3, 3], 1), tf.fill([3, 3], 2)];
    const stacked = group.stackGradients(parts);
    expect(stacked.shape).toEqual([2, 3, 3]);
    expect(Array.from(await stacked.data())).toEqual([
      ...new Array(9).fill(1),
      ...new Array(9).fill(2),
    ]);
    tf.dispose([g3, stacked, ...parts]);
    group.dispose();
  });
});
