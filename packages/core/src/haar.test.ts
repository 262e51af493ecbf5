import { describe, expect, it } from 'vitest';
import { haarRotation, normalGenerator } from './haar';

const det3 = (q: Float64Array) =>
  q[0]! * (q[4]! * q[8]! - q[5]! * q[7]!) -
  q[1]! * (q[3]! * q[8]! - q[5]! * q[6]!) +
  q[2]! * (q[3]! * q[7]! - q[4]! * q[6]!);

describe('haarRotation', () => {
  it('draws orthogonal matrices with determinant +1', () => {
    const g = normalGenerator(1);
    for (const n of [1, 2, 3, 5, 16]) {
      const q = haarRotation(n, g);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let r = 0; r < n; r++) dot += q[r * n + i]! * q[r * n + j]!;
          expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12);
        }
      if (n === 3) expect(det3(q)).toBeCloseTo(1, 12);
    }
  });

  it('is Haar-uniform: 2-D angles uniform, 3-D entries with mean 0 and variance 1/3, E[trace] = 0', () => {
    const g = normalGenerator(2);
    const bins = new Array(8).fill(0);
    const N = 4000;
    for (let k = 0; k < N; k++) {
      const q = haarRotation(2, g);
      expect(q[0]).toBeCloseTo(q[3]!, 12); // a rotation, not a reflection
      const angle = Math.atan2(q[2]!, q[0]!);
      bins[Math.min(7, Math.floor(((angle + Math.PI) / (2 * Math.PI)) * 8))]++;
    }
    // Each bin holds N/8 = 500 ± 3σ (σ ≈ 21).
    for (const b of bins) expect(Math.abs(b - N / 8)).toBeLessThan(70);

    let mean = 0;
    let meanSq = 0;
    let trace = 0;
    const M = 3000;
    for (let k = 0; k < M; k++) {
      const q = haarRotation(3, g);
      expect(det3(q)).toBeCloseTo(1, 10);
      for (const v of q) {
        mean += v;
        meanSq += v * v;
      }
      trace += q[0]! + q[4]! + q[8]!;
    }
    expect(Math.abs(mean / (9 * M))).toBeLessThan(0.02);
    expect(Math.abs(meanSq / (9 * M) - 1 / 3)).toBeLessThan(0.01);
    // For Haar SO(3), E[trace] = 0 and Var[trace] = 1.
    expect(Math.abs(trace / M)).toBeLessThan(0.08);
  });

  it('is reproducible from a seed', () => {
    expect(haarRotation(4, normalGenerator(7))).toEqual(haarRotation(4, normalGenerator(7)));
    expect(haarRotation(4, normalGenerator(7))).not.toEqual(haarRotation(4, normalGenerator(8)));
  });
});
