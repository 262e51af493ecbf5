import * as tf from '@tensorflow/tfjs-core';

/**
 * Backends whose read survives the tensor's disposal: cpu, wasm and tfjs-node copy the values
 * before `data()` returns its promise, and WebGL defers the disposal of a tensor being read.
 */
const SAFE_READS = new Set(['cpu', 'wasm', 'tensorflow', 'webgl']);

/**
 * Reads small tensors back to the host without blocking a training step, and lets the caller
 * dispose them at once. WebGPU fails a read whose tensor was disposed while it was in flight
 * ("Cannot read properties of undefined"), which would silently drop every such read; there (and
 * on any backend not known to be safe) each read holds its own reference to the data, a clone
 * kept out of any `tidy`, until it completes, so `tf.memory()` counts one tensor per read in
 * flight until {@link PendingReads.settled}. On cpu, wasm, tfjs-node and WebGL nothing is held.
 *
 * ```js
 * const reads = new PendingReads();
 * const t = tf.tensor1d([1, 2]);
 * reads.read(t, (v) => console.log(v));  // Float32Array [1, 2], later
 * t.dispose();
 * await reads.settled();
 * ```
 */
export class PendingReads {
  private readonly pending = new Set<Promise<void>>();

  /**
   * Reads `t` asynchronously and calls `onValues` with its values, or `onError` if the read (or
   * `onValues`) fails. `t` may be disposed as soon as this returns.
   */
  read(
    t: tf.Tensor,
    onValues: (values: tf.TypedArray) => void,
    onError: (error: unknown) => void = () => {},
  ): void {
    const held = SAFE_READS.has(tf.getBackend()) ? null : tf.keep(t.clone());
    const done: Promise<void> = (held ?? t)
      .data()
      .then((values) => onValues(values as tf.TypedArray))
      .catch(onError)
      .finally(() => {
        held?.dispose();
        this.pending.delete(done);
      });
    this.pending.add(done);
  }

  /** How many reads are in flight. */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every read started so far has completed and released its tensor. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
