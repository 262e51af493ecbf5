import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';

/** True when the optional peer is importable in this install (it is not in this repo's CI). */
async function importable(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ `${pkg}`);
    return true;
  } catch {
    return false;
  }
}
const hasTfjsNode =
  (await importable('@tensorflow/tfjs-node')) || (await importable('@tensorflow/tfjs-node-gpu'));

describe('useNodeBackend', () => {
  it('picks the best available engine, says why, and prints nothing', async () => {
    const lines: unknown[] = [];
    const saved = { info: console.info, warn: console.warn, log: console.log };
    console.info = console.warn = console.log = (...a: unknown[]) => lines.push(a);
    let choice: Awaited<ReturnType<typeof useNodeBackend>>;
    try {
      choice = await useNodeBackend();
      tf.tensor1d([1, 2]).dispose();
    } finally {
      Object.assign(console, saved);
    }
    expect(lines).toEqual([]);
    expect(choice.backend).toBe(hasTfjsNode ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(choice.backend);
    expect(choice.attempts.at(-1)).toMatchObject({ backend: choice.backend, ok: true });
    if (!hasTfjsNode) {
      expect(choice.attempts[0]).toMatchObject({ backend: 'tensorflow', ok: false });
      // Not installed, or (in this repo) installed without its libtensorflow binary.
      expect(choice.reason).toMatch(/tensorflow skipped: .*@tensorflow\/tfjs-node/);
      expect(choice.reason).toMatch(/WebAssembly kernels \(SIMD/);
    }
  });

  it('computes on the selected engine', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });

  it('honours prefer and reports each attempt when asked', async () => {
    const lines: string[] = [];
    const choice = await useNodeBackend({ prefer: ['cpu'], log: (m) => lines.push(m) });
    expect(choice).toEqual({
      backend: 'cpu',
      reason: 'plain JavaScript kernels (the slowest engine)',
      attempts: [{ backend: 'cpu', ok: true, reason: choice.reason }],
    });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toEqual(['cpu: selected: plain JavaScript kernels (the slowest engine)']);
  });

  it.runIf(!hasTfjsNode)('throws with every reason when nothing can be selected', async () => {
    await expect(useNodeBackend({ prefer: ['tensorflow'] })).rejects.toThrow(
      /none of tensorflow could be selected\. tensorflow: .*@tensorflow\/tfjs-node/,
    );
  });

  it.runIf(hasTfjsNode)('selects tfjs-node when it is installed', async () => {
    const choice = await useNodeBackend({ prefer: ['tensorflow'] });
    expect(choice.backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
  });
});
