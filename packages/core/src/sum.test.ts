import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { sumAll } from './sum';

describe('sumAll', () => {
  it('equals the sum for 1 to 11 tensors, with no leak', async () => {
    for (let k = 1; k <= 11; k++) {
      const ts = Array.from({ length: k }, (_, i) => tf.fill([3], i + 1));
      const before = tf.memory().numTensors;
      const s = sumAll(ts);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(Array.from(await s.data())).toEqual([0, 1, 2].map(() => (k * (k + 1)) / 2));
      tf.dispose([s, ...ts]);
    }
    expect(() => sumAll([])).toThrow(/at least one/);
  });
});
