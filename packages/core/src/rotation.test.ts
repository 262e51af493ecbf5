import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expmPlanCoverage, expmPlanProducts } from './expm';
import { disposeRotationForward, Rotation, RotationGroup } from './rotation';

/** Sets W so that A = t·(e₁e₀ᵀ − e₀e₁ᵀ): ‖A‖₂ = t exactly. */
function setNorm(rotation: Rotation, t: number): void {
  const w = tf.buffer([rotation.size, rotation.size], 'float32');
  w.set(t, 1, 0);
  const values = w.toTensor();
  rotation.weight.assign(values as tf.Tensor2D);
  values.dispose();
}

describe('RotationGroup plans', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('cover a steadily growing ‖A‖₂ with a margin of two steps’ growth, without warnings', async () => {
    const n = 32;
    const rotations = [0, 1].map((seed) => new Rotation(n, { seed }));
    const group = new RotationGroup(rotations);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const before = tf.memory().numTensors;
    const step = 0.1;
    let lastPlan = group.plan();
    for (let k = 0; k <= 25; k++) {
      const t = k * step;
      for (const r of rotations) setNorm(r, t);
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
    for (const r of rotations) r.dispose();
  });

  it('forget growth that has stopped: held rotations get the plan of their norm', async () => {
    const n = 32;
    const rotations = [0, 1].map((seed) => new Rotation(n, { seed }));
    const group = new RotationGroup(rotations);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const evaluate = async (t: number) => {
      for (const r of rotations) setNorm(r, t);
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
    for (const r of rotations) r.dispose();
  });

  it('warns once when the norm jumps past the plan, and covers it afterwards', async () => {
    const n = 8;
    const rotation = new Rotation(n, { seed: 3 });
    const group = new RotationGroup([rotation]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const evaluate = async () => {
      const { value, owned } = group.forward();
      await value.norms.data();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (owned) disposeRotationForward(value);
    };
    for (const t of [0.1, 0.2, 0.3]) {
      setNorm(rotation, t);
      await evaluate();
    }
    setNorm(rotation, 6);
    await evaluate();
    await evaluate();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/exceeded/);
    expect(expmPlanCoverage(group.plan(), { skew: true })).toBeGreaterThanOrEqual(6);
    rotation.dispose();
  });
});
