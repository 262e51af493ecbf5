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
