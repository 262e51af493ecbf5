import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { relativePower } from './relative-power';

const at = async (values: number[], alpha: number) => {
  const r = tf.tensor1d(values);
  const p = relativePower(r, alpha);
  const out = Array.from(await p.data());
  tf.dispose([r, p]);
  return out;
};

describe('relativePower', () => {
  it('is exactly r^α for integer α, negative r included', async () => {
    expect(await at([-2, -0.5, 0, 3], 1)).toEqual([-2, -0.5, 0, 3]);
    expect(await at([-2, -0.5, 0, 3], 2)).toEqual([4, 0.25, 0, 9]);
    expect(await at([-2, 3], 3)).toEqual([-8, 27]);
    expect(await at([-2, 0, 3], 0)).toEqual([1, 1, 1]);
    expect(await at([-2, 1.5], 5)).toEqual([-32, 7.59375]);
    expect(await at([-2, 1.5], 8)).toEqual([256, 25.62890625]);
    expect(await at([-2, 0.5, 4], -1)).toEqual([-0.5, 2, 0.25]);
    expect(await at([-2, 4], -2)).toEqual([0.25, 0.0625]);
    // Beyond |α| = 8, pow: close, and still odd for odd α.
    const high = await at([-2, 1.5], 9);
    expect(high[0]! / -512).toBeCloseTo(1, 5);
    expect(high[1]! / 1.5 ** 9).toBeCloseTo(1, 5);
  });

  it('returns a tensor of its own at α = 1 (disposing it leaves r intact)', async () => {
    const r = tf.tensor1d([-1.25, 2]);
    const before = tf.memory().numTensors;
    const p = relativePower(r, 1);
    expect(p).not.toBe(r);
    p.dispose();
    expect(Array.from(await r.data())).toEqual([-1.25, 2]);
    expect(tf.memory().numTensors).toBe(before);
    r.dispose();
  });

  it('is sign(r)·|r|^α for fractional α: finite where the reference fails', async () => {
    const out = await at([-4, -0.25, 0, 0.25, 4], 0.5);
    expect(out).toEqual([-2, -0.5, 0, 0.5, 2]);
    const odd = await at([-1.5, 1.5], 1.5);
    expect(odd[0]).toBeCloseTo(-(1.5 ** 1.5), 5);
    expect(odd[1]).toBeCloseTo(1.5 ** 1.5, 5);
  });

  it('is non-decreasing in r for every α but the even integers (where it is r^α)', async () => {
    const rs = [-3, -1, -0.2, 0, 0.2, 1, 3];
    for (const alpha of [0.3, 1, 1.5, 2.5, 3]) {
      const out = await at(rs, alpha);
      for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]!);
    }
  });
});
