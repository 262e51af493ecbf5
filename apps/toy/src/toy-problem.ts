/**
 * The RotoGrad paper's 2-D toy problem (the official `example/`: main.py, toy.yml, tasks.py),
 * as packages/testing/fixtures/FORMAT.md §6 describes it: a backbone `2 → 10 → 2` with ReLU, two
 * identity heads (so task i's prediction is the rotated representation `R_i z`), and two losses
 * whose optima sit at opposite corners, `(1.5, 1.5)` and `(−1.5, −1.5)`.
 *
 * Browser-safe (no Node imports): apps/web trains the same problem with it.
 */
import {
  type LossFn,
  type Module,
  type MultitaskModel,
  RotateOnly,
  RotoGrad,
  VanillaMTL,
} from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';

/** The methods compared. */
export const TOY_METHODS = ['VanillaMTL', 'RotateOnly', 'RotoGrad'] as const;
export type ToyMethod = (typeof TOY_METHODS)[number];

/** Task i's shift `s_i` in `toy_s`: task 0 uses −1, task 1 uses +1. */
export const TOY_SHIFTS = [-1, 1] as const;
/** Task i's optimum: `(−1.5 s_i, −1.5 s_i)`. */
export const TOY_OPTIMA: readonly [readonly [number, number], readonly [number, number]] = [
  [1.5, 1.5],
  [-1.5, -1.5],
];
/** A run succeeds when each task's mean prediction is within this distance of its optimum. */
export const SUCCESS_RADIUS = 0.1;

/** Settings of the official example (toy.yml). */
export interface ToySettings {
  /** Training steps. Default: 400. */
  steps: number;
  /** Rows of `x` (all zeros). Default: 256. */
  batch: number;
  /** SGD learning rate of the backbone. Default: 1e-3. */
  lrModel: number;
  /** Adam learning rate of the rotations at step 0. Default: 0.05. */
  lrRotation: number;
  /** The rotations' learning rate is multiplied by this after every step. Default: 0.99999. */
  lrDecay: number;
  /** Differentiate `L_i / L0_i` (RotateOnly, RotoGrad). Default: true. */
  normalizeLosses: boolean;
  /** Step at which the initial losses are recorded again. Default: 20. */
  burnInPeriod: number;
}

export const TOY_DEFAULTS: Readonly<ToySettings> = {
  steps: 400,
  batch: 256,
  lrModel: 1e-3,
  lrRotation: 0.05,
  lrDecay: 0.99999,
  normalizeLosses: true,
  burnInPeriod: 20,
};

/** `toy_s(p)` in plain numbers (for drawing the landscapes). */
export function toyLossValue(p0: number, p1: number, s: number): number {
  const term = (w: number) => {
    const u = w + 1.5 * s;
    return (Math.abs(u) < 1e-12 ? -3 : -Math.sin(3 * u) / u) + Math.abs(u);
  };
  return term(p0) + term(p1);
}

/**
 * `sin(3u)/u`, written so that float32 keeps its precision near u = 0 (where the optima are):
 * autodiff of the plain quotient subtracts two numbers of size 3/u there. Below |u| = 0.1 it uses
 * the Taylor series `3·Σ_k (−1)^k (3u)^{2k} / (2k+1)!` (error < 1e-10).
 */
function sinc3(u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    // 1 where |u| < 0.1, else 0; tf.step has a (zero) gradient, tf.less has none.
    const small = tf.step(tf.sub(0.1, tf.abs(u)));
    const safe = tf.add(tf.mul(u, tf.sub(1, small)), small);
    const far = tf.div(tf.sin(tf.mul(safe, 3)), safe);
    const w = tf.square(tf.mul(u, 3));
    let series = tf.add(tf.mul(w, 1 / 362880), -1 / 5040);
    series = tf.add(tf.mul(series, w), 1 / 120);
    series = tf.add(tf.mul(series, w), -1 / 6);
    series = tf.add(tf.mul(series, w), 1);
    return tf.add(tf.mul(small, tf.mul(series, 3)), tf.mul(tf.sub(1, small), far));
  });
}

/**
 * Task loss `L = mean_b toy_s(pred[b])` with `toy_s(p) = −(sin 3u/u + sin 3v/v) + |u| + |v|`,
 * `u = p0 + 1.5 s`, `v = p1 + 1.5 s`.
 *
 * ```js
 * const l = toyLoss(tf.tensor2d([[1.5, 1.5]]), -1); // −6, task 0's minimum
 * ```
 */
export function toyLoss(pred: tf.Tensor, s: number): tf.Scalar {
  return tf.tidy(() => {
    const shifted = tf.add(pred, 1.5 * s);
    const terms = tf.add(tf.neg(sinc3(shifted)), tf.abs(shifted));
    return tf.mean(tf.sum(terms, 1)) as tf.Scalar;
  });
}

/** Both tasks' losses, as `MultitaskModel.step` takes them. */
export const toyLossFn: LossFn = (preds) => [
  toyLoss(preds[0]!, TOY_SHIFTS[0]),
  toyLoss(preds[1]!, TOY_SHIFTS[1]),
];

/** A small deterministic generator (mulberry32): uniform numbers in [0, 1). */
export function uniformGenerator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The backbone `Linear(2,10) → ReLU → Linear(10,2)`; dispose it when done. */
export interface ToyBackbone extends Module {
  dispose(): void;
}

/**
 * The backbone with PyTorch's default `Linear` initialisation (weights and biases uniform in
 * `±1/√fan_in`), drawn from `seed`.
 */
export function toyBackbone(seed: number): ToyBackbone {
  const uniform = uniformGenerator(seed);
  const param = (shape: [number] | [number, number], fanIn: number, name: string) => {
    const bound = 1 / Math.sqrt(fanIn);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, () => (2 * uniform() - 1) * bound);
    const init = tf.tensor(values, shape);
    const v = tf.variable(init, true, `toy_${seed}_${toyIds++}/${name}`);
    init.dispose();
    return v;
  };
  const w1 = param([2, 10], 2, 'w1');
  const b1 = param([10], 2, 'b1');
  const w2 = param([10, 2], 10, 'w2');
  const b2 = param([2], 10, 'b2');
  const vars = [w1, b1, w2, b2];
  return {
    apply: (x) => tf.tidy(() => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)),
    trainableVariables: vars,
    dispose: () => tf.dispose(vars),
  };
}
let toyIds = 0;

const identity: Module = { apply: (z) => z, trainableVariables: [] };

/** The model of `method` on `backbone`, with rotations drawn from `seed`. */
export function toyModel(
  method: ToyMethod,
  backbone: Module,
  seed: number,
  settings: Pick<ToySettings, 'normalizeLosses' | 'burnInPeriod'> = TOY_DEFAULTS,
): MultitaskModel {
  const heads = [identity, identity];
  if (method === 'VanillaMTL') return new VanillaMTL(backbone, heads);
  const options = {
    rotationShape: 2,
    normalizeLosses: settings.normalizeLosses,
    burnInPeriod: settings.burnInPeriod,
    seed,
  };
  return method === 'RotoGrad'
    ? new RotoGrad(backbone, heads, options)
    : new RotateOnly(backbone, heads, options);
}

/** A 2-D point. */
export type Point = [number, number];

/** What one step saw (in its forward pass, before the update). */
export interface ToyStep {
  /** The step's index t (0-based). */
  t: number;
  /** Each task's mean prediction, i.e. the rotated representation `R_i z`. */
  preds: [Point, Point];
  /** The raw task losses. */
  losses: Point;
  /** The rotations' learning rate used in this step. */
  lrRotation: number;
}

/** Euclidean distance of each task's point to its optimum. */
export function distancesToOptima(preds: readonly [Point, Point]): Point {
  return [0, 1].map((i) =>
    Math.hypot(preds[i]![0] - TOY_OPTIMA[i]![0], preds[i]![1] - TOY_OPTIMA[i]![1]),
  ) as Point;
}

/** True when both tasks' points are within {@link SUCCESS_RADIUS} of their optima. */
export function reachedBothOptima(preds: readonly [Point, Point]): boolean {
  return distancesToOptima(preds).every((d) => d < SUCCESS_RADIUS);
}

/**
 * Trains one method on the toy problem, one step at a time (the web page animates it).
 * The backbone comes from `seed` (the same for every method), and so do the rotations.
 *
 * ```js
 * const trainer = new ToyTrainer('RotoGrad', 3);
 * for (let t = 0; t < 400; t++) await trainer.step();
 * const preds = await trainer.predict();
 * trainer.dispose();
 * ```
 */
export class ToyTrainer {
  readonly settings: ToySettings;
  /** Adam's learning rate for the next step (decays by `lrDecay` after each); may be changed. */
  lrRotation: number;
  /** Steps taken. */
  t = 0;
  private readonly backbone: ToyBackbone;
  private readonly model: MultitaskModel;
  private readonly x: tf.Tensor2D;
  private readonly sgd: tf.Optimizer;
  private readonly adam: tf.Optimizer;

  constructor(
    readonly method: ToyMethod,
    readonly seed: number,
    settings: Partial<ToySettings> = {},
  ) {
    this.settings = { ...TOY_DEFAULTS, ...settings };
    this.lrRotation = this.settings.lrRotation;
    this.backbone = toyBackbone(seed);
    this.model = toyModel(method, this.backbone, seed, this.settings);
    // The official example's data: x = 0, so z is the same for every row (the last bias, through
    // the ReLU layer); only the backbone's parameters move it.
    this.x = tf.zeros([this.settings.batch, 2]);
    this.sgd = tf.train.sgd(this.settings.lrModel);
    // PyTorch's Adam: β1 0.9, β2 0.999, ε 1e-8 (tf.train.adam's default ε is 1e-7).
    this.adam = tf.train.adam(this.lrRotation, 0.9, 0.999, 1e-8);
  }

  /** One training step; resolves with what it saw (reading it back also paces the device). */
  async step(): Promise<ToyStep> {
    return (await this.steps(1))[0]!;
  }

  /**
   * `n` training steps, read back together at the end: on a GPU one round trip for `n` steps
   * (the core plans its matrix exponential from norms read back asynchronously, so keep `n`
   * small, a few steps).
   */
  async steps(n: number): Promise<ToyStep[]> {
    const seen: tf.Tensor[] = [];
    const meta: { t: number; lr: number }[] = [];
    try {
      for (let k = 0; k < n; k++) {
        const r = this.model.computeGradients(this.x, (preds, extras, headExtras) => {
          const losses = toyLossFn(preds, extras, headExtras);
          seen.push(
            tf.keep(tf.concat([tf.mean(preds[0]!, 0), tf.mean(preds[1]!, 0), tf.stack(losses)])),
          );
          return losses;
        });
        const lr = this.lrRotation;
        try {
          this.sgd.applyGradients(r.modelGrads);
          if (Object.keys(r.rotogradGrads).length > 0) {
            (this.adam as unknown as { learningRate: number }).learningRate = lr;
            this.adam.applyGradients(r.rotogradGrads);
          }
        } finally {
          r.dispose();
        }
        this.lrRotation *= this.settings.lrDecay;
        meta.push({ t: this.t++, lr });
      }
      const all = tf.concat(seen);
      const v = await all.data();
      all.dispose();
      return meta.map(({ t, lr }, k) => ({
        t,
        preds: [
          [v[6 * k]!, v[6 * k + 1]!],
          [v[6 * k + 2]!, v[6 * k + 3]!],
        ],
        losses: [v[6 * k + 4]!, v[6 * k + 5]!],
        lrRotation: lr,
      }));
    } finally {
      tf.dispose(seen);
    }
  }

  /** Each task's mean prediction with the current parameters. */
  async predict(): Promise<[Point, Point]> {
    const preds = this.model.predict(this.x);
    const means = tf.tidy(() => tf.concat(preds.map((p) => tf.mean(p, 0))));
    tf.dispose(preds);
    const v = await means.data();
    means.dispose();
    return [
      [v[0]!, v[1]!],
      [v[2]!, v[3]!],
    ];
  }

  /** Frees every tensor of the run. */
  dispose(): void {
    this.model.dispose();
    this.backbone.dispose();
    this.x.dispose();
    this.sgd.dispose();
    this.adam.dispose();
  }
}

/** A whole run of one method from one seed. */
export interface ToyRun {
  method: ToyMethod;
  seed: number;
  /** Per task, its point at every step (t = 0 … steps−1) and after the last step. */
  trajectories: [Point[], Point[]];
  /** Per step, both raw losses. */
  losses: Point[];
  /** Both points after the last step. */
  final: [Point, Point];
  /** Their distances to the optima. */
  distances: Point;
  /** Both within {@link SUCCESS_RADIUS}. */
  success: boolean;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Trains `method` from `seed` for `settings.steps` steps and returns its trajectories. */
export async function trainToy(
  method: ToyMethod,
  seed: number,
  settings: Partial<ToySettings> = {},
  onStep?: (step: ToyStep) => void,
): Promise<ToyRun> {
  const started = performance.now();
  const trainer = new ToyTrainer(method, seed, settings);
  const trajectories: [Point[], Point[]] = [[], []];
  const losses: Point[] = [];
  try {
    for (let t = 0; t < trainer.settings.steps; t++) {
      const s = await trainer.step();
      trajectories[0].push(s.preds[0]);
      trajectories[1].push(s.preds[1]);
      losses.push(s.losses);
      onStep?.(s);
    }
    const final = await trainer.predict();
    trajectories[0].push(final[0]);
    trajectories[1].push(final[1]);
    return {
      method,
      seed,
      trajectories,
      losses,
      final,
      distances: distancesToOptima(final),
      success: reachedBothOptima(final),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    trainer.dispose();
  }
}

const LANDSCAPE_STOPS: [number, number, number][] = [
  [11, 29, 58],
  [22, 74, 116],
  [47, 127, 168],
  [111, 182, 201],
  [191, 227, 220],
  [246, 243, 228],
];

/**
 * The colour map of the loss-landscape pictures (the SVG figure and the web demo): `t ∈ [0, 1]`
 * from low (deep blue) to high (cream), as `[r, g, b]` in 0..255.
 *
 * ```ts
 * colormap(0); // [11, 29, 58]
 * ```
 */
export function colormap(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (LANDSCAPE_STOPS.length - 1);
  const k = Math.min(LANDSCAPE_STOPS.length - 2, Math.floor(x));
  const f = x - k;
  const a = LANDSCAPE_STOPS[k]!;
  const b = LANDSCAPE_STOPS[k + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}
