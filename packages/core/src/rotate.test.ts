import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rotate, rotateBack, rotationLayout } from './rotate';
import { Rotation } from './rotation';

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

describe('rotate / rotateBack', () => {
  it.each([
    ['full rotation', [8, 6], 6, [] as number[]],
    ['partial rotation of the first 4 of 10', [5, 10], 4, []],
    ['channels of a feature map (postShape)', [3, 6, 2, 2], 6, [2, 2]],
    ['multi-axis (FORMAT.md case e1)', [6, 3, 2, 5], 6, [5]],
  ])('%s: rotateBack(R, rotate(R, z)) = z', async (_name, shape, n, post) => {
    const rot = new Rotation(n, { seed: 3 });
    rot.weight.assign(tf.randomNormal([n, n], 0, 0.5, 'float32', 1));
    const r = rot.matrix();
    const z = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const zr = rotate(r, z, post);
    const back = rotateBack(r, zr, post);
    expect(await maxAbsDiff(back, z)).toBeLessThan(1e-5);
    // Rotation preserves each sample's norm over the rotated components.
    const norm = async (t: tf.Tensor) => (await tf.norm(t).data())[0]!;
    expect(await norm(zr)).toBeCloseTo(await norm(z), 4);
    tf.dispose([r, z, zr, back]);
    rot.dispose();
  });

  it('rotates the first n components and leaves the rest (partial rotation)', async () => {
    const r = tf.tensor2d([
      [0, -1],
      [1, 0],
    ]);
    const z = tf.tensor2d([[1, 2, 3, 4]]);
    expect(Array.from(await rotate(r, z).data())).toEqual([-2, 1, 3, 4]);
    tf.dispose([r, z]);
  });

  it('explains shapes that do not fit', () => {
    expect(() => rotationLayout([4, 3], 5, [])).toThrow(/rotationShape \(n = 5\) is larger than z/);
    expect(() => rotationLayout([4, 6, 3], 6, [2])).toThrow(/does not fit postShape \[2\]/);
    expect(() => rotationLayout([4, 5], 5, [5])).toThrow(/at least one rotated axis/);
    expect(() => rotationLayout([6], 2, [])).toThrow(/must be batched/);
  });
});

describe('Rotation', () => {
  it('leaves no tensor behind after dispose()', () => {
    const before = tf.memory().numTensors;
    const rot = new Rotation(4, { seed: 1 });
    tf.dispose(rot.matrix());
    rot.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts at R = B (W = 0), Haar-random or the identity', async () => {
    const rot = new Rotation(5, { seed: 1 });
    const r = rot.matrix();
    expect(await maxAbsDiff(r, rot.base)).toBe(0);
    const id = new Rotation(3, { init: 'identity' });
    const ri = id.matrix();
    expect(await maxAbsDiff(ri, tf.eye(3))).toBe(0);
    tf.dispose([r, ri]);
    rot.dispose();
    id.dispose();
  });

  it('ignores W on and above the diagonal, and stays in SO(n) for large W', async () => {
    const rot = new Rotation(6, { seed: 2 });
    rot.weight.assign(tf.mul(tf.randomNormal([6, 6], 0, 1, 'float32', 4), 5));
    const r1 = rot.matrix();
    rot.weight.assign(tf.add(rot.weight, tf.linalg.bandPart(tf.ones([6, 6]), 0, -1)));
    const r2 = rot.matrix();
    expect(await maxAbsDiff(r1, r2)).toBeLessThan(1e-6);
    const rrt = tf.matMul(r1, r1, false, true);
    expect(await maxAbsDiff(rrt, tf.eye(6))).toBeLessThan(2e-5);
    tf.dispose([r1, r2, rrt]);
    rot.dispose();
  });
});
