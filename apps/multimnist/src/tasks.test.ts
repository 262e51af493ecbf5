import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { makePairs } from './dataset';
import { splitDigits } from './digits';
import { ALL_TASKS, makeTasks } from './tasks';

const pairs = makePairs(splitDigits().train, 500, 2);
const tasks = makeTasks(ALL_TASKS, pairs);
const indices = Int32Array.from({ length: 64 }, (_, i) => i * 3);

/** What a perfect head outputs for each task on `indices`. */
function perfect(name: string): Float32Array {
  const pick = (v: Int32Array) => Array.from(indices, (i) => v[i]!);
  switch (name) {
    case 'left':
    case 'right': {
      const out = new Float32Array(indices.length * 10);
      pick(name === 'left' ? pairs.left : pairs.right).forEach((d, j) => {
        out[j * 10 + d] = 5;
      });
      return out;
    }
    case 'sum':
      return Float32Array.from(pick(pairs.sum), (s) => (s - 9) / 4);
    case 'parity':
      return Float32Array.from(pick(pairs.productEven), (p) => (p ? 3 : -3));
    default: {
      const v = Array.from(pairs.activePixels);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      return Float32Array.from(pick(pairs.activePixels), (p) => (p - m) / s);
    }
  }
}

describe('tasks', () => {
  it('score a perfect prediction as 100% accuracy or zero error', () => {
    for (const task of tasks) {
      const score = task.score(perfect(task.name), pairs, indices) / indices.length;
      expect(score, task.name).toBeCloseTo(task.higherIsBetter ? 100 : 0, 3);
    }
  });

  it('have targets and losses that agree with a perfect prediction', () => {
    const before = tf.memory().numTensors;
    for (const task of tasks) {
      const target = task.target(pairs, indices);
      const good = tf.tensor(perfect(task.name), [indices.length, task.outputs]);
      const bad = tf.zerosLike(good);
      const losses = [task.loss(good, target), task.loss(bad, target)];
      const [lGood, lBad] = losses.map((l) => l.dataSync()[0]!);
      expect(lGood, task.name).toBeLessThan(lBad!);
      if (task.name === 'sum' || task.name === 'pixels') expect(lGood).toBeCloseTo(0, 5);
      tf.dispose([target, good, bad, ...losses]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('know what guessing scores', () => {
    const chance = Object.fromEntries(tasks.map((t) => [t.name, t.chance(pairs)]));
    expect(chance.left).toBeGreaterThan(8);
    expect(chance.left).toBeLessThan(16);
    // The product is odd only when both digits are: about 1/4 of the pairs.
    expect(chance.parity).toBeGreaterThan(68);
    expect(chance.parity).toBeLessThan(82);
    expect(chance.sum).toBeGreaterThan(2.5);
  });
});
