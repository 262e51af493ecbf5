import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeExpmState, expmForward, expmFrechet } from './expm';
import { hasLinearCombinationKernel, LINEAR_COMBINATION_KERNEL } from './linear-combination';

/** A skew-symmetric n×n matrix with entries of size `scale`. */
function skew(n: number, scale: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const w = tf.randomNormal([n, n], 0, scale, 'float32', seed);
    return tf.sub(w, tf.transpose(w)) as tf.Tensor2D;
  });
}

describe('the fused linear-combination kernel', () => {
  it('carries the exponential’s sums where the backend registers it (wasm here), with the values of scalings and additions, and leaks no tensor', async () => {
    const backend = tf.getBackend();
    const config = tf.getKernel(LINEAR_COMBINATION_KERNEL, backend);
    // @rotograd/backend-node registers it on wasm; no other backend here has one.
    expect(hasLinearCombinationKernel()).toBe(backend === 'wasm');
    if (!config) return;
    let calls = 0;
    tf.unregisterKernel(LINEAR_COMBINATION_KERNEL, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        calls++;
        return config.kernelFunc(args);
      },
    });
    const a = skew(48, 0.05, 1);
    const k = skew(48, 1, 2);
    const run = () => {
      const state = expmForward(a, { degree: 12, squarings: 1 });
      const out = [tf.keep(state.value), expmFrechet(state, k, { skew: true })];
      disposeExpmState(state, true);
      return out;
    };
    const before = tf.memory().numTensors;
    const fused = run();
    // Degree 12: its five combinations in one run (B, C, R, Q, F), then P, Q + P and D; the same
    // four runs in the derivative.
    expect(calls).toBe(8);
    tf.unregisterKernel(LINEAR_COMBINATION_KERNEL, backend);
    expect(hasLinearCombinationKernel()).toBe(false);
    const plain = run();
    tf.registerKernel(config);
    for (const [i, f] of fused.entries()) {
      const [fv, pv] = await Promise.all([f.data(), plain[i]!.data()]);
      let worst = 0;
      let scale = 0;
      pv.forEach((p, j) => {
        worst = Math.max(worst, Math.abs(fv[j]! - p));
        scale = Math.max(scale, Math.abs(p));
      });
      // The same sums in another order: a few float32 roundings.
      expect(worst, i ? 'derivative' : 'value').toBeLessThan(1e-6 * scale);
    }
    tf.dispose([...fused, ...plain]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, k]);
  });
});
