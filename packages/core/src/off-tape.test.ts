import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { offTape } from './off-tape';
import './register-gradients';

const engine = () => tf.engine() as unknown as { state: { gradientDepth: number } };

/** A chain of 6 kernels on x, each of which a recording tape saves inputs or outputs of. */
const chain = (x: tf.Tensor) =>
  tf.tidy(() => tf.sum(tf.exp(tf.mul(tf.square(tf.sin(x)), tf.add(x, 1)))));

describe('offTape', () => {
  it('records nothing on the enclosing tape: no saved tensors, no gradient through it', async () => {
    const x = tf.tensor1d([0.3, -0.7, 1.1]);
    let savedOn = -1;
    let savedOff = -1;
    const { value, grads } = tf.engine().gradients(() => {
      let n = tf.memory().numTensors;
      const on = chain(x); // recorded: the tape keeps copies of what its backward pass needs
      savedOn = tf.memory().numTensors - n - 1;
      n = tf.memory().numTensors;
      const off = offTape(() => chain(x));
      savedOff = tf.memory().numTensors - n - 1;
      // d/dx Σ x·c with c treated as a constant is c; through `on` it is the chain's gradient.
      return tf.add(on, tf.sum(tf.mul(x, off))) as tf.Scalar;
    }, [x]);
    expect(savedOn).toBeGreaterThan(3);
    expect(savedOff).toBe(0);
    // Reference: the same with `off` as a plain constant.
    const c = chain(x);
    const expected = tf.grads((v: tf.Tensor) => tf.add(chain(v), tf.sum(tf.mul(v, c))))([x]);
    const got = await grads[0]!.data();
    const want = await expected[0]!.data();
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    tf.dispose([x, value, ...grads, c, ...expected]);
  });

  it('computes a gradient inside as a top-level one and restores the outer tape', async () => {
    const x = tf.tensor1d([0.5, 2]);
    const w = tf.tensor1d([3, -1]);
    const before = tf.memory().numTensors;
    let inner: tf.Tensor | null = null;
    const { value, grads } = tf.engine().gradients(() => {
      const depth = engine().state.gradientDepth;
      const g = offTape(() => {
        expect(engine().state.gradientDepth).toBe(0);
        // d/dw Σ (w·x)² = 2·(w·x)·x
        return tf.grads((v: tf.Tensor) => tf.sum(tf.square(tf.mul(v, x))))([w])[0]!;
      });
      expect(engine().state.gradientDepth).toBe(depth);
      inner = tf.keep(g.clone());
      return tf.sum(tf.mul(tf.mul(x, x), g)) as tf.Scalar; // d/dx = 2x·g (g constant)
    }, [x]);
    expect(Array.from(await inner!.data())).toEqual([2 * 1.5 * 0.5, 2 * -2 * 2]);
    expect(Array.from(await grads[0]!.data())).toEqual([2 * 0.5 * 1.5, 2 * 2 * -8]);
    tf.dispose([value, ...grads, inner!]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('restores the enclosing tape when f throws, and just runs f outside any tape', async () => {
    const x = tf.scalar(2);
    const { value, grads } = tf.engine().gradients(() => {
      expect(() =>
        offTape(() => {
          throw new Error('inside');
        }),
      ).toThrow('inside');
      return tf.mul(x, x) as tf.Scalar;
    }, [x]);
    expect(await grads[0]!.data()).toEqual(new Float32Array([4]));
    expect(engine().state.gradientDepth).toBe(0);
    const y = offTape(() => tf.add(x, 1));
    expect(await y.data()).toEqual(new Float32Array([3]));
    tf.dispose([x, value, ...grads, y]);
  });
});
