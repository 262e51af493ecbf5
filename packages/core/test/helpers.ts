import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../src/index';

/** A small dense layer as a Module. */
export function dense(
  inp: number,
  out: number,
  seed: number,
  act?: 'relu',
): Module & { dispose(): void } {
  const w = tf.variable(tf.randomNormal([inp, out], 0, 1 / Math.sqrt(inp), 'float32', seed));
  const b = tf.variable(tf.zeros([out]));
  return {
    apply: (x) =>
      tf.tidy(() => {
        const y = tf.add(tf.matMul(x as tf.Tensor2D, w), b);
        return act === 'relu' ? tf.relu(y) : y;
      }),
    trainableVariables: [w, b],
    dispose: () => tf.dispose([w, b]),
  };
}

/** A backbone (input → hidden → rep) and K linear heads with the data of a regression problem. */
export function problem(options: { k?: number; rep?: number; seed?: number } = {}) {
  const k = options.k ?? 2;
  const rep = options.rep ?? 6;
  const seed = options.seed ?? 0;
  const l1 = dense(5, 12, seed + 1, 'relu');
  const l2 = dense(12, rep, seed + 2);
  const backbone: Module = {
    apply: (x) => tf.tidy(() => l2.apply(l1.apply(x) as tf.Tensor) as tf.Tensor),
    trainableVariables: [...l1.trainableVariables, ...l2.trainableVariables],
  };
  const heads = Array.from({ length: k }, (_, i) => dense(rep, 1, seed + 10 + i));
  const x = tf.randomNormal([16, 5], 0, 1, 'float32', seed + 100);
  const ys = heads.map((_, i) =>
    tf.tidy(() => tf.mul(tf.sum(tf.sin(tf.mul(x, i + 1)), 1, true), i % 2 ? -1 : 1)),
  );
  const lossFn = (preds: tf.Tensor[]) =>
    preds.map((p, i) => tf.tidy(() => tf.mean(tf.square(tf.sub(p, ys[i]!))) as tf.Scalar));
  return {
    backbone,
    heads,
    x,
    ys,
    lossFn,
    dispose: () => {
      l1.dispose();
      l2.dispose();
      for (const h of heads) h.dispose();
      tf.dispose([x, ...ys]);
    },
  };
}

export async function values(ts: tf.Tensor[]): Promise<number[]> {
  return Promise.all(ts.map(async (t) => (await t.data())[0]!));
}

/**
 * Runs `f` with the active backend's registrations of the optional kernels `names` removed (those
 * it has), so that the ops fall back to standard kernels; restores them afterwards.
 */
export function withoutKernels<T>(names: readonly string[], f: () => T): T {
  const configs = names.flatMap((name) => {
    const config = tf.getKernel(name, tf.getBackend());
    if (config) tf.unregisterKernel(name, tf.getBackend());
    return config ? [config] : [];
  });
  try {
    return f();
  } finally {
    for (const config of configs) tf.registerKernel(config);
  }
}
