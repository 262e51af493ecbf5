import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../../core/src/index';

/** A tensor as stored in a fixture: row-major data. */
export interface StoredTensor {
  shape: number[];
  data: number[];
}

export interface Layer {
  type: 'linear' | 'relu' | 'tanh' | 'reshape' | 'flatten' | 'identity';
  weight?: string;
  bias?: string;
  shape?: number[];
}

export interface CaseFixture {
  kind: 'case';
  name: string;
  config: {
    method: 'VanillaMTL' | 'RotateOnly' | 'RotoGrad' | 'RotoGradNorm';
    K: number;
    batch: number;
    losses: Array<'mse' | 'bce_logits'>;
    rotation_shape: number[] | null;
    post_shape: number[];
    rotation_shape_as_int: boolean | null;
    normalize_losses: boolean | null;
    burn_in_period: number | null;
    alpha: number | null;
    lr_model: number;
    lr_rotograd: number | null;
    backbone_loss: { kind: 'l2_mean'; coef: number } | null;
    steps: number;
  };
  architecture: {
    backbone: { layers: Layer[] };
    heads: Array<{ layers: Layer[] }>;
  };
  initial: {
    params: Record<string, StoredTensor>;
    buffers: Record<string, StoredTensor>;
    derived: Record<string, StoredTensor>;
  };
  data: { x: StoredTensor; targets: StoredTensor[] };
  steps: Array<{
    step: number;
    rep: StoredTensor;
    rotated_reps?: StoredTensor[];
    preds: StoredTensor[];
    losses: number[];
    backbone_loss: number | null;
    task_grads_wrt_rep: StoredTensor[];
    task_grads_wrt_rotated_rep?: StoredTensor[];
    rotation_reference?: StoredTensor;
    rotation_loss?: number[];
    rotation_loss_grad_R?: StoredTensor[];
    rotograd?: Record<string, unknown>;
    gradnorm?: {
      weights: number[];
      task_grad_norms: number[];
      mean_weighted_grad_norm: number;
      targets: number[];
    };
    state_after_backward: Record<string, unknown>;
    rep_grad: StoredTensor;
    grads: Record<string, StoredTensor>;
    params_after: Record<string, StoredTensor>;
    derived_after: Record<string, StoredTensor>;
  }>;
}

export interface TrajectoryFixture {
  kind: 'trajectory';
  config: Record<string, unknown>;
  initial: CaseFixture['initial'];
  data: { x: StoredTensor };
  per_step: {
    losses: number[][];
    normalized_losses: number[][];
    lr_rotograd_used: number[];
    lr_model_used: number[];
  };
  snapshots: Array<{
    step: number;
    rep_mean: number[] | StoredTensor;
    pred_means: Array<number[] | StoredTensor>;
    R_used: Array<number[][] | StoredTensor>;
    rep_grad_mean: number[] | StoredTensor;
  }>;
  final: {
    params: Record<string, StoredTensor>;
    derived: Record<string, StoredTensor>;
    rep_mean: number[] | StoredTensor;
  };
}

declare global {
  // The one Vite API used here (this package is only ever loaded by vitest).
  interface ImportMeta {
    glob<T>(pattern: string, options: { eager: true; import: 'default' }): Record<string, T>;
  }
}

/**
 * Every fixture, bundled by Vite (vitest in Node and in the browser) as parsed JSON, so that
 * the suites run unchanged in headless Chromium where there is no file system.
 */
const FIXTURES = import.meta.glob<unknown>('../fixtures/*.json', {
  eager: true,
  import: 'default',
});

/** The folder of the fixture files (a path in Node, a URL path in the browser). */
export const FIXTURE_DIR = decodeURIComponent(new URL('../fixtures', import.meta.url).pathname);

/** The case fixtures of each method. */
export const CASES = {
  VanillaMTL: ['a1_vanilla_k2'],
  RotateOnly: ['a2_rotateonly_k2', 'd1_rotateonly_backbone_loss'],
  RotoGrad: ['a3_rotograd_k2', 'c1_rotograd_k2_normalized', 'e1_rotograd_multidim_3x2x5'],
  RotoGradNorm: ['a4_rotogradnorm_k2'],
} as const;

/** The fixture `fixtures/<name>.json`, parsed; a fresh copy on every call. */
export function loadFixture<T = CaseFixture>(name: string): T {
  const fixture = FIXTURES[`../fixtures/${name}.json`];
  if (fixture === undefined)
    throw new Error(`loadFixture: no fixture ${name} (have ${Object.keys(FIXTURES).join(', ')})`);
  return structuredClone(fixture) as T;
}

export function toTensor(t: StoredTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, 'float32');
}

/** Flattens a stored value (tensor object, nested arrays or a number) to numbers. */
export function flat(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.flatMap(flat);
  if (v && typeof v === 'object' && 'data' in v) return (v as StoredTensor).data;
  throw new Error(`flat: cannot read ${JSON.stringify(v).slice(0, 80)}`);
}

/** The relative error measure of the parity suites: max|mine − ref| and the allowed bound. */
export function compare(
  mine: ArrayLike<number>,
  ref: ArrayLike<number>,
  /** Multiplies the bound; > 1 only where an engine is measured coarser (see tolerance.ts). */
  slack = 1,
): { err: number; bound: number; ok: boolean } {
  if (mine.length !== ref.length) return { err: Number.POSITIVE_INFINITY, bound: 0, ok: false };
  let err = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(mine[i]! - ref[i]!));
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  }
  if (Number.isNaN(err) || Array.from(mine).some((v) => Number.isNaN(v)))
    err = Number.POSITIVE_INFINITY;
  const bound = slack * (1e-3 * maxRef + 1e-6);
  return { err, bound, ok: err <= bound };
}

/** Variables named after a fixture's parameters, made unique with a prefix. */
export class FixtureParams {
  readonly vars = new Map<string, tf.Variable>();
  private static ids = 0;
  readonly prefix = `fx${FixtureParams.ids++}`;

  constructor(params: Record<string, StoredTensor>, filter: (name: string) => boolean) {
    for (const [name, t] of Object.entries(params)) {
      if (!filter(name)) continue;
      const init = toTensor(t);
      this.vars.set(name, tf.variable(init, true, `${this.prefix}/${name}`));
      init.dispose();
    }
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`fixture parameter ${name} missing`);
    return v;
  }

  /** The fixture name of an engine variable name, or null. */
  nameOf(varName: string): string | null {
    const p = `${this.prefix}/`;
    return varName.startsWith(p) ? varName.slice(p.length) : null;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }
}

/** A module applying a fixture's layer list. */
export function layersModule(layers: Layer[], params: FixtureParams): Module {
  const vars = layers.flatMap((l) =>
    l.type === 'linear' ? [params.get(l.weight!), params.get(l.bias!)] : [],
  );
  return {
    trainableVariables: vars,
    apply(x: tf.Tensor) {
      return tf.tidy(() => {
        let h = x;
        for (const l of layers) {
          const batch = h.shape[0]!;
          switch (l.type) {
            case 'linear':
              h = tf.add(
                tf.matMul(h as tf.Tensor2D, params.get(l.weight!) as tf.Tensor2D, false, true),
                params.get(l.bias!),
              );
              break;
            case 'relu':
              h = tf.relu(h);
              break;
            case 'tanh':
              h = tf.tanh(h);
              break;
            case 'reshape':
              h = tf.reshape(h, [batch, ...l.shape!]);
              break;
            case 'flatten':
              h = tf.reshape(h, [batch, -1]);
              break;
            case 'identity':
              break;
          }
        }
        return h;
      });
    },
  };
}

/** A fixture's loss of one task. */
export function taskLoss(
  kind: 'mse' | 'bce_logits',
  pred: tf.Tensor,
  target: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    if (kind === 'mse') return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
    const a = pred;
    return tf.mean(
      tf.add(tf.sub(tf.relu(a), tf.mul(a, target)), tf.log1p(tf.exp(tf.neg(tf.abs(a))))),
    ) as tf.Scalar;
  });
}

/** The backbone loss of a fixture config, or undefined. */
export function backboneLossOf(
  cfg: CaseFixture['config'],
): ((z: tf.Tensor) => tf.Scalar) | undefined {
  const bl = cfg.backbone_loss;
  if (!bl) return undefined;
  return (z) => tf.tidy(() => tf.mul(tf.mean(tf.square(z)), bl.coef) as tf.Scalar);
}

/** The library options a rotating case fixture was run with (RotateOnly, RotoGrad, RotoGradNorm). */
export function rotationOptionsOf(cfg: CaseFixture['config']) {
  return {
    rotationShape: cfg.rotation_shape_as_int
      ? cfg.rotation_shape!.reduce((a, b) => a * b, 1)
      : cfg.rotation_shape!,
    postShape: cfg.post_shape,
    normalizeLosses: cfg.normalize_losses!,
    burnInPeriod: cfg.burn_in_period!,
  };
}
