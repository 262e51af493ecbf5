import type { Module } from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from './random';

/** A fully connected layer `y = x W + b`, He-initialised from `random`. */
interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

function dense(inputs: number, outputs: number, random: Random, name: string): Dense {
  const scale = Math.sqrt(2 / inputs);
  const values = Float32Array.from({ length: inputs * outputs }, () => random.normal() * scale);
  // tf.variable keeps its own reference to the data: the initial tensors are disposed here.
  const w0 = tf.tensor2d(values, [inputs, outputs]);
  const b0 = tf.zeros([outputs]);
  const layer = { w: tf.variable(w0, true, `${name}/w`), b: tf.variable(b0, true, `${name}/b`) };
  tf.dispose([w0, b0]);
  return layer;
}

function applyDense(layer: Dense, x: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x as tf.Tensor2D, layer.w as tf.Tensor2D), layer.b);
}

/** A multi-layer perceptron module; ReLU after every layer but the last unless `reluLast`. */
export interface Mlp extends Module {
  dispose(): void;
}

/** An MLP `sizes[0] → … → sizes[n]`, its variables named `name/…`. */
export function mlp(
  sizes: readonly number[],
  random: Random,
  name: string,
  reluLast: boolean,
): Mlp {
  const layers = sizes.slice(1).map((out, i) => dense(sizes[i]!, out, random, `${name}/dense${i}`));
  return {
    apply: (x) =>
      tf.tidy(() => {
        let h: tf.Tensor = x;
        layers.forEach((layer, i) => {
          h = applyDense(layer, h);
          if (reluLast || i < layers.length - 1) h = tf.relu(h);
        });
        return h;
      }),
    trainableVariables: layers.flatMap((l) => [l.w, l.b]),
    dispose: () => {
      for (const l of layers) tf.dispose([l.w, l.b]);
    },
  };
}

/** Sizes of the shared backbone and of the heads. */
export interface Architecture {
  inputs: number;
  /** Hidden widths of the backbone, before the representation. */
  hidden: number[];
  /** The width of the shared representation `z` (all of it is rotated). */
  representation: number;
  /** Hidden widths of each head. */
  headHidden: number[];
}

/** The backbone (ending in a ReLU representation `z`) and one head per task. */
export interface Network {
  backbone: Mlp;
  heads: Mlp[];
  dispose(): void;
}

let counter = 0;

/**
 * A fresh network whose initial weights depend on `seed` only: every method of one seed starts
 * from the same weights.
 */
export function makeNetwork(arch: Architecture, outputs: readonly number[], seed: number): Network {
  const random = new Random(seed);
  const id = `net${counter++}`;
  const backbone = mlp(
    [arch.inputs, ...arch.hidden, arch.representation],
    random,
    `${id}/backbone`,
    true,
  );
  const heads = outputs.map((out, i) =>
    mlp([arch.representation, ...arch.headHidden, out], random, `${id}/head${i}`, false),
  );
  return {
    backbone,
    heads,
    dispose: () => {
      backbone.dispose();
      for (const h of heads) h.dispose();
    },
  };
}
