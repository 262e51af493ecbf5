import * as tf from '@tensorflow/tfjs-core';
import type { Pairs } from './dataset';

/** The benchmark's tasks, as the paper's multi-MNIST: the digits, and optionally three more. */
export type TaskName = 'left' | 'right' | 'sum' | 'parity' | 'pixels';

export const DIGIT_TASKS: readonly TaskName[] = ['left', 'right'];
export const ALL_TASKS: readonly TaskName[] = ['left', 'right', 'sum', 'parity', 'pixels'];

/** One task: its head's output size, its training loss, and its test metric. */
export interface Task {
  name: TaskName;
  /** What the task predicts, for the README and the table. */
  description: string;
  /** The head's output width. */
  outputs: number;
  /** The test metric's name, e.g. `accuracy %` or `MAE`. */
  metric: string;
  /** Whether a larger metric is better (accuracy) or worse (an error). */
  higherIsBetter: boolean;
  /** What guessing gets on this metric (the majority class, or predicting the mean). */
  chance: (pairs: Pairs) => number;
  /** The training target of the pairs `indices`, a tensor the caller disposes. */
  target: (pairs: Pairs, indices: Int32Array) => tf.Tensor;
  /** The training loss of a batch of predictions. */
  loss: (pred: tf.Tensor, target: tf.Tensor) => tf.Scalar;
  /** The metric's sum over a batch (divided by the count at the end), from the head's outputs. */
  score: (pred: Float32Array, pairs: Pairs, indices: Int32Array) => number;
}

const SUM_MEAN = 9;
const SUM_SCALE = 4;

function gather(values: Int32Array, indices: Int32Array): Int32Array {
  return indices.map((i) => values[i]!);
}

function argmax(row: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (row[offset + k]! > row[offset + best]!) best = k;
  return best;
}

function classification(name: 'left' | 'right', description: string): Task {
  return {
    name,
    description,
    outputs: 10,
    metric: 'accuracy %',
    higherIsBetter: true,
    chance: (pairs) => (100 * Math.max(...counts(pairs[name], 10))) / pairs.count,
    target: (pairs, indices) => tf.tensor1d(gather(pairs[name], indices), 'int32'),
    loss: (pred, target) =>
      tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(target as tf.Tensor1D, 10), pred)),
    score: (pred, pairs, indices) => {
      let correct = 0;
      indices.forEach((p, j) => {
        if (argmax(pred, j * 10, 10) === pairs[name][p]) correct++;
      });
      return 100 * correct;
    },
  };
}

function counts(values: Int32Array, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const v of values) c[v] = c[v]! + 1;
  return c;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

function std(values: ArrayLike<number>): number {
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return Math.sqrt(s / values.length);
}

/** A regression on `(value − center) / scale`, reported as the mean absolute error in `value`. */
function regression(
  name: 'sum' | 'pixels',
  description: string,
  values: (pairs: Pairs) => Int32Array,
  center: number,
  scale: number,
): Task {
  return {
    name,
    description,
    outputs: 1,
    metric: 'MAE',
    higherIsBetter: false,
    chance: (pairs) => {
      // The error of always predicting the (test-set) median.
      const v = Array.from(values(pairs)).sort((a, b) => a - b);
      const median = v[Math.floor(v.length / 2)]!;
      return mean(v.map((x) => Math.abs(x - median)));
    },
    target: (pairs, indices) => {
      const v = values(pairs);
      return tf.tensor2d(
        Float32Array.from(indices, (i) => (v[i]! - center) / scale),
        [indices.length, 1],
      );
    },
    loss: (pred, target) => tf.losses.meanSquaredError(target, pred) as tf.Scalar,
    score: (pred, pairs, indices) => {
      const v = values(pairs);
      let s = 0;
      indices.forEach((p, j) => {
        s += Math.abs(pred[j]! * scale + center - v[p]!);
      });
      return s;
    },
  };
}

/** Whether the product of the two digits is even: a binary classification on one logit. */
function parity(): Task {
  return {
    name: 'parity',
    description: 'whether left · right is even (binary)',
    outputs: 1,
    metric: 'accuracy %',
    higherIsBetter: true,
    chance: (pairs) => (100 * Math.max(...counts(pairs.productEven, 2))) / pairs.count,
    target: (pairs, indices) =>
      tf.tensor2d(
        Float32Array.from(indices, (i) => pairs.productEven[i]!),
        [indices.length, 1],
      ),
    loss: (pred, target) => tf.losses.sigmoidCrossEntropy(target, pred) as tf.Scalar,
    score: (pred, pairs, indices) => {
      let correct = 0;
      indices.forEach((p, j) => {
        if ((pred[j]! > 0 ? 1 : 0) === pairs.productEven[p]) correct++;
      });
      return 100 * correct;
    },
  };
}

/**
 * The tasks by name. The active-pixel regression is standardised with the training pairs'
 * mean and standard deviation; the sum with the fixed `(s − 9) / 4`.
 */
export function makeTasks(names: readonly TaskName[], train: Pairs): Task[] {
  const factories: Record<TaskName, () => Task> = {
    left: () => classification('left', 'the left digit (10 classes)'),
    right: () => classification('right', 'the right digit (10 classes)'),
    sum: () => regression('sum', 'left + right (regression)', (p) => p.sum, SUM_MEAN, SUM_SCALE),
    parity,
    pixels: () =>
      regression(
        'pixels',
        'the number of active pixels (regression)',
        (p) => p.activePixels,
        mean(train.activePixels),
        std(train.activePixels),
      ),
  };
  return names.map((name) => factories[name]());
}
