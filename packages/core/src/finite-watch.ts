import * as tf from '@tensorflow/tfjs-core';
import { PendingReads } from './pending-reads';

/**
 * Checks that losses are finite without a synchronous read: each step's check is one boolean
 * tensor read back asynchronously. A failure is raised as an Error by the next call into the
 * model (or by {@link FiniteWatch.flush}), naming the step and the loss.
 */
export class FiniteWatch {
  private failure: Error | null = null;
  private readonly reads = new PendingReads();

  constructor(private readonly owner: string) {}

  /**
   * Watches `values` (a `[m]` tensor) for NaN or ±Infinity; `name(j)` says what entry j is.
   * The tensor may be disposed as soon as this returns.
   */
  watch(values: tf.Tensor1D, step: number, name: (j: number) => string): void {
    const flags = tf.tidy(() => tf.isFinite(values));
    this.reads.read(
      flags,
      (ok) => {
        if (this.failure) return;
        const j = (ok as Uint8Array).indexOf(0);
        if (j >= 0) {
          this.failure = new Error(
            `${this.owner}: ${name(j)} was not finite (NaN or ±Infinity) at step ${step}; the gradients of that step were not meaningful. Check the loss function and the learning rates.`,
          );
        }
      },
      (e) => {
        // A check that cannot run must not pass silently.
        this.failure ??= new Error(
          `${this.owner}: could not read back the finiteness check of step ${step}: ${e instanceof Error ? e.message : String(e)}`,
        );
      },
    );
    flags.dispose();
  }

  /** Throws the first failure seen so far, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits for every pending check (and the tensors they hold), then throws the first failure. */
  async flush(): Promise<void> {
    await this.reads.settled();
    this.throwIfFailed();
  }
}
