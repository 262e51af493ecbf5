import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PendingReads } from './pending-reads';

describe('PendingReads', () => {
  it('reads back a tensor disposed right after the read started, then releases it', async () => {
    const reads = new PendingReads();
    const before = tf.memory().numTensors;
    const seen: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const t = tf.tidy(() => tf.mul(tf.tensor1d([1, 2, 3]), i + 1));
      reads.read(t, (v) => seen.push(Array.from(v)));
      t.dispose();
    }
    // A read in flight holds one tensor until it completes, but where reads are safe anyway.
    const safe = ['cpu', 'wasm', 'tensorflow', 'webgl'].includes(tf.getBackend());
    expect(tf.memory().numTensors - before).toBe(safe ? 0 : reads.size);
    await reads.settled();
    expect(reads.size).toBe(0);
    expect(seen).toEqual([
      [1, 2, 3],
      [2, 4, 6],
      [3, 6, 9],
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads back a tensor made inside the caller’s tidy, held outside it', async () => {
    const reads = new PendingReads();
    const before = tf.memory().numTensors;
    let seen: number[] = [];
    tf.tidy(() => {
      reads.read(tf.tensor1d([4, 5]), (v) => {
        seen = Array.from(v);
      });
    });
    await reads.settled();
    expect(seen).toEqual([4, 5]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads back, passes a failing callback’s error to onError, and releases the tensor', async () => {
    const reads = new PendingReads();
    const before = tf.memory().numTensors;
    const errors: unknown[] = [];
    const t = tf.scalar(1);
    reads.read(
      t,
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    t.dispose();
    await reads.settled();
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    expect(tf.memory().numTensors).toBe(before);
  });
});
