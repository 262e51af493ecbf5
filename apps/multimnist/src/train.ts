import { cached } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Pairs } from './dataset';
import { type MethodName, makeModel } from './methods';
import { type Architecture, makeNetwork } from './network';
import { Random } from './random';
import type { Task } from './tasks';

/** Hyper-parameters of one training run. */
export interface TrainConfig {
  steps: number;
  batchSize: number;
  /** Adam's learning rate for the backbone and the heads. */
  learningRate: number;
  /** Adam's learning rate for the rotations and GradNorm's task weights. */
  rotationLearningRate: number;
  alpha: number;
  burnInPeriod: number;
  architecture: Architecture;
  /** Evaluate on the test pairs this many times during training (and once at the end). */
  checkpoints: number;
  /** The number of test pairs evaluated at each checkpoint (the final evaluation uses all). */
  checkpointPairs: number;
}

/** The result of training one method from one seed. */
export interface RunResult {
  method: MethodName;
  seed: number;
  /** The final test metric of each task. */
  metrics: number[];
  /** `losses[t][s]`: task t's training loss at step s. */
  losses: number[][];
  /** `[step, metrics per task]` at each checkpoint, on the first `checkpointPairs` test pairs. */
  checkpoints: { step: number; metrics: number[] }[];
  seconds: number;
  /**
   * Tensors alive after the last step minus those alive after the first (when the optimizers
   * have created their slots): 0 unless the training loop leaks.
   */
  leakedTensors: number;
}

/** The metric of every task on the first `limit` pairs, in batches of `batchSize`. */
export async function evaluate(
  predict: (x: tf.Tensor) => tf.Tensor[],
  tasks: readonly Task[],
  pairs: Pairs,
  limit = pairs.count,
  batchSize = 1000,
): Promise<number[]> {
  const count = Math.min(limit, pairs.count);
  const sums = tasks.map(() => 0);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const indices = Int32Array.from({ length: end - start }, (_, j) => start + j);
    const x = tf.tensor2d(pairs.x.subarray(start * pairs.features, end * pairs.features), [
      end - start,
      pairs.features,
    ]);
    const preds = predict(x);
    x.dispose();
    const values = await Promise.all(preds.map((p) => p.data() as Promise<Float32Array>));
    tf.dispose(preds);
    tasks.forEach((task, t) => {
      sums[t] = sums[t]! + task.score(values[t]!, pairs, indices);
    });
  }
  return sums.map((s) => s / count);
}

/** A batch of training inputs: `[batch, features]`. */
function batchInput(pairs: Pairs, indices: Int32Array): tf.Tensor2D {
  const x = new Float32Array(indices.length * pairs.features);
  indices.forEach((p, j) => {
    x.set(pairs.x.subarray(p * pairs.features, (p + 1) * pairs.features), j * pairs.features);
  });
  return tf.tensor2d(x, [indices.length, pairs.features]);
}

/**
 * Trains `method` from `seed`: the initial weights, the initial rotations and the batches
 * depend on the seed only, so every method of a seed sees the same start and the same data.
 * Every tensor it creates is disposed before it returns.
 */
export async function trainRun(
  method: MethodName,
  seed: number,
  tasks: readonly Task[],
  data: { train: Pairs; test: Pairs },
  config: TrainConfig,
  onStep: (step: number) => void = () => {},
): Promise<RunResult> {
  const started = performance.now();
  const net = makeNetwork(
    config.architecture,
    tasks.map((t) => t.outputs),
    seed,
  );
  const model = makeModel(method, net, {
    rotationShape: config.architecture.representation,
    alpha: config.alpha,
    burnInPeriod: config.burnInPeriod,
    seed,
  });
  const optimizer = tf.train.adam(config.learningRate);
  const rotogradOptimizer = tf.train.adam(config.rotationLearningRate);
  const random = new Random(seed ^ 0x5eed);
  const losses: number[][] = tasks.map(() => []);
  const checkpoints: RunResult['checkpoints'] = [];
  const every = Math.max(1, Math.floor(config.steps / Math.max(1, config.checkpoints)));
  const predict = (x: tf.Tensor) => model.predict(x);
  let afterFirstStep = 0;
  try {
    for (let step = 0; step < config.steps; step++) {
      const indices = Int32Array.from({ length: config.batchSize }, () =>
        random.int(data.train.count),
      );
      const x = batchInput(data.train, indices);
      const targets = tasks.map((t) => t.target(data.train, indices));
      let stepLosses: tf.Scalar[];
      try {
        stepLosses = cached(() =>
          model.step(x, (preds) => tasks.map((t, i) => t.loss(preds[i]!, targets[i]!)), {
            optimizer,
            rotogradOptimizer,
          }),
        );
      } finally {
        tf.dispose([x, ...targets]);
      }
      // Reading the losses back every step also feeds core the rotation norms it plans from.
      const values = await Promise.all(stepLosses.map((l) => l.data()));
      tf.dispose(stepLosses);
      for (const [t, v] of values.entries()) losses[t]!.push(v[0]!);
      if (step === 0) afterFirstStep = tf.memory().numTensors;
      if ((step + 1) % every === 0 && step + 1 < config.steps) {
        checkpoints.push({
          step: step + 1,
          metrics: await evaluate(predict, tasks, data.test, config.checkpointPairs),
        });
      }
      onStep(step + 1);
    }
    await model.flush();
    const leakedTensors = tf.memory().numTensors - afterFirstStep;
    const metrics = await evaluate(predict, tasks, data.test);
    checkpoints.push({
      step: config.steps,
      metrics: await evaluate(predict, tasks, data.test, config.checkpointPairs),
    });
    return {
      method,
      seed,
      metrics,
      losses,
      checkpoints,
      seconds: (performance.now() - started) / 1000,
      leakedTensors,
    };
  } finally {
    model.dispose();
    net.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
  }
}
