import * as tf from '@tensorflow/tfjs-core';

/**
 * Checks that losses are finite without a synchronous read: each step's check is one boolean
 * tensor read back asynchronously. A failure is raised as an Error by the next call into the
 * model (or by {@link FiniteWatch.flush}), naming the step and the loss.
 */
export class FiniteWatch {
  private failure: Error | null = null;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly owner: string) {}

  /**
   * Watches `values` (a `[m]` tensor) for NaN or ±Infinity; `name(j)` says what entry j is.
   * The tensor may be disposed as soon as this returns.
   */
  watch(values: tf.Tensor1D, step: number, name: (j: number) => string): void {
    const flags = tf.tidy(() => tf.isFinite(values));
    const read = flags.data().then(
      (ok) => {
        if (this.failure) return;
        const j = (ok as Uint8Array).indexOf(0);
        if (j >= 0) {
          this.failure = new Error(
            `${this.owner}: ${name(j)} was not finite (NaN or ±Infinity) at step ${step}; the gradients of that step were not meaningful. Check the loss function and the learning rates.`,
          );
        }
      },
      () => {},
    );
    flags.dispose();
    const tracked = read.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Throws the first failure seen so far, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits for every pending check, then throws the first failure, if any. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
    this.throwIfFailed();
  }
}
