import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { LINEAR_COMBINATION } from './linear-combination';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

const run = (terms: tf.Tensor[], coefficients: number[], rows: number) =>
  tf
    .engine()
    .runKernel(
      LINEAR_COMBINATION,
      terms as unknown as tf.NamedTensorMap,
      { coefficients, rows } as unknown as tf.NamedAttrMap,
    ) as unknown as tf.Tensor[];

/** Σ_j c_j·x_j in float64, per row. */
function reference(values: Float32Array[], coefficients: number[], rows: number): number[][] {
  const t = values.length;
  return Array.from({ length: rows }, (_, r) =>
    Array.from(values[0]!, (_, i) =>
      values.reduce((s, v, j) => s + coefficients[r * t + j]! * v[i]!, 0),
    ),
  );
}

describe('the RotogradLinearCombination kernel on wasm', () => {
  beforeAll(async () => {
    await useNodeBackend({ prefer: ['wasm'] });
  });
  afterAll(() => restoreWasmKernels());

  it('is registered by useWasmFastKernels and removed by restoreWasmKernels', () => {
    expect(tf.getKernel(LINEAR_COMBINATION, 'wasm')).toBeDefined();
    restoreWasmKernels();
    expect(tf.getKernel(LINEAR_COMBINATION, 'wasm')).toBeUndefined();
    useWasmFastKernels();
    expect(tf.getKernel(LINEAR_COMBINATION, 'wasm')).toBeDefined();
  });

  it('sums scaled inputs per row to float32 accuracy: 1–9 terms, a tail of size mod 4, zero coefficients and rows, without leaking', async () => {
    const before = tf.memory().numTensors;
    // 7·9 = 63 elements: 60 in SIMD lanes, 3 in the scalar tail.
    for (const [shape, t] of [
      [[7, 9], 9],
      [[256, 256], 5],
      [[64, 64], 4],
      [[3], 1],
      [[2, 2], 2],
    ] as [number[], number][]) {
      const terms = Array.from({ length: t }, (_, j) =>
        tf.randomNormal(shape, 0, 1, 'float32', 10 + j),
      );
      const values = (await Promise.all(terms.map((x) => x.data()))) as Float32Array[];
      // Row 0 every term; row 1 with zeros (a zero coefficient is skipped); row 2 all zero.
      const coefficients = [
        ...terms.map((_, j) => (j % 2 ? -1 : 1) / (j + 1)),
        ...terms.map((_, j) => (j % 3 === 1 ? 0 : 0.5 * (j + 1))),
        ...terms.map(() => 0),
      ];
      const outs = run(terms, coefficients, 3);
      expect(outs).toHaveLength(3);
      const want = reference(values, coefficients, 3);
      for (const [r, out] of outs.entries()) {
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe('float32');
        const got = await out.data();
        const scale = Math.max(1, ...want[r]!.map(Math.abs));
        let worst = 0;
        got.forEach((g, i) => {
          worst = Math.max(worst, Math.abs(g - want[r]![i]!));
        });
        // float32 rounding of ≤ 9 terms of magnitude ≤ 4.5·|x|.
        expect(worst, `shape [${shape}], ${t} terms, row ${r}`).toBeLessThan(4e-6 * t * scale);
        if (r === 2) expect(Array.from(got).every((g) => g === 0)).toBe(true);
      }
      tf.dispose([...terms, ...outs]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('never multiplies a skipped term: an infinity with coefficient 0 leaves no NaN', async () => {
    const inf = tf.fill([4, 4], Number.POSITIVE_INFINITY);
    const one = tf.ones([4, 4]);
    const [out] = run([inf, one], [0, 2], 1);
    expect(Array.from(await out!.data())).toEqual(new Array(16).fill(2));
    tf.dispose([inf, one, out!]);
  });

  it('keeps working when the heap grows between calls (inputs addressed by offset)', async () => {
    const a = tf.randomNormal([128, 128], 0, 1, 'float32', 1);
    const b = tf.randomNormal([128, 128], 0, 1, 'float32', 2);
    const big = tf.zeros([(64 * 1024 * 1024) / 4]); // 64 MiB: grows the wasm memory
    const [out] = run([a, b], [2, -3], 1);
    const [av, bv, got] = await Promise.all([a.data(), b.data(), out!.data()]);
    let worst = 0;
    got.forEach((g, i) => {
      worst = Math.max(worst, Math.abs(g - (2 * av[i]! - 3 * bv[i]!)));
    });
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([a, b, big, out!]);
  });

  it('rejects inputs of other sizes or dtypes, and a wrong number of coefficients', () => {
    const a = tf.ones([2, 2]);
    const b = tf.ones([3]);
    const i = tf.ones([2, 2], 'int32');
    expect(() => run([a, b], [1, 1], 1)).toThrow(/shape \[2,2\], got float32 \[3\]/);
    expect(() => run([a, i], [1, 1], 1)).toThrow(/got int32/);
    expect(() => run([a, a], [1, 1, 1], 1)).toThrow(/rows·t coefficients/);
    tf.dispose([a, b, i]);
  });

  it('embeds exactly the module scripts/simd-wasm.mjs builds from its text format', () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'simd-wasm.mjs');
    expect(() =>
      execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
