import * as tf from '@tensorflow/tfjs-core';
import { addTranspose } from './add-transpose';
import { stableDivide } from './divide';
import { type ExpmPlan, expmFrechetRotated } from './expm';
import { FiniteWatch } from './finite-watch';
import type { GradientCombiner } from './gradient-combiner';
import { normalGenerator } from './haar';
import { innerProducts } from './inner-product';
import { hasLinearCombinationKernel, linearCombinations } from './linear-combination';
import { type ApplyOptions, type Module, type ModuleLike, outputsOf, toModule } from './module';
import { offTape } from './off-tape';
import {
  fromRows,
  type MatrixChunks,
  type RotationLayout,
  rotateRowsAll,
  rotateRowsBack,
  rotationLayout,
  toRows,
} from './rotate';
import type { RotationInit } from './rotation';
import {
  disposeRotationForward,
  type RotationForward,
  RotationGroup,
  type TaskRotation,
} from './rotation-group';
import { taskNorms } from './rotograd-scaling';
import { strictLower, transposeMatrices } from './skew';
import { stopGradient } from './stop-gradient';
import { sumAll } from './sum';
import { type CustomGradientFunc, tidy } from './tidy';
import { weightedSum } from './weighted-sum';

/**
 * The loss function of a multitask step: one scalar loss per task.
 * `preds[i]` is head i's prediction (its first output), `extras` the backbone's outputs after
 * the first, `headExtras[i]` head i's outputs after the first.
 */
export type LossFn = (
  preds: tf.Tensor[],
  extras: tf.Tensor[],
  headExtras: tf.Tensor[][],
) => tf.Tensor[];

/** A loss on the shared representation alone (for example a regularizer). */
export type BackboneLossFn = (z: tf.Tensor, extras: tf.Tensor[]) => tf.Tensor;

/** Options of `computeGradients`. */
export interface ComputeGradientsOptions {
  /** A loss on `z` whose gradient reaches only the backbone. Default: none. */
  backboneLoss?: BackboneLossFn;
  /** Also return the intermediate quantities in `details`. Default: false. */
  details?: boolean;
}

/** Options of `step`. */
export interface StepOptions extends ComputeGradientsOptions {
  /** Applies `modelGrads` (backbone and heads). */
  optimizer: tf.Optimizer;
  /** Applies `rotogradGrads` (rotations, task weights). Default: `optimizer`. */
  rotogradOptimizer?: tf.Optimizer;
}

/** Intermediate quantities of a step (`computeGradients(..., {details: true})`). */
export interface GradientsDetails {
  /** `z`. */
  rep: tf.Tensor;
  /** `g_i = ∂ℓ_i/∂z`. */
  taskGrads: tf.Tensor[];
  /** `h_i = ∂ℓ_i/∂z_i` on the rotated representations (null without rotations). */
  rotatedTaskGrads: tf.Tensor[] | null;
  /** `r`, the common direction the rotations align the task gradients with (or null). */
  rotationReference: tf.Tensor | null;
  /** `ρ_i` (or null). */
  rotationLosses: tf.Scalar[] | null;
  /** `∂ρ_i/∂R_i`, `[n, n]` each (or null). */
  rotationLossGrads: tf.Tensor2D[] | null;
  /** `q`, the gradient sent through the backbone. */
  repGrad: tf.Tensor;
  /** `L̃_i`. */
  normalizedLosses: tf.Scalar[];
  /** The combiner's diagnostics. */
  stats: Record<string, tf.Tensor>;
}

/**
 * Gradients keyed by variable name, as `tf.variableGrads` returns them. Typed so that every
 * `tf.Optimizer`'s `applyGradients` accepts it (tfjs types Adam's and others' parameter as a map of
 * variables although they read only the values); the values are plain gradient tensors.
 */
export type GradientMap = tf.NamedTensorMap & { [name: string]: tf.Variable };

/** The result of `computeGradients`. Dispose it when done. */
export interface Gradients {
  /** The raw task losses `L_i`. */
  losses: tf.Scalar[];
  /** The raw backbone loss, or null. */
  backboneLoss: tf.Scalar | null;
  /** Gradients of the backbone and head variables, keyed by variable name. */
  modelGrads: GradientMap;
  /** Gradients of the rotations (and any combiner variables), keyed by variable name. */
  rotogradGrads: GradientMap;
  /** Intermediates, when asked for. */
  details: GradientsDetails | null;
  /** Disposes every tensor above. */
  dispose(): void;
}

/** Configuration of a {@link MultitaskModel}; the concrete models fill it in. */
export interface MultitaskModelConfig {
  /** How task gradients on `z` are combined into the backbone's gradient. */
  combiner: GradientCombiner;
  /** Rotations, or null for none. */
  rotation: {
    shape: number[];
    postShape: number[];
    init: RotationInit;
    seed?: number;
    expmMaxNorm?: number;
  } | null;
  /** Keep `L0` (initial losses) and count iterations. False only for VanillaMTL. */
  trackLosses: boolean;
  /** Differentiate `L_i / L0_i` instead of `L_i`. */
  normalizeLosses: boolean;
  /** The step at which `L0` (and RotoGrad's `N0`) are recorded again. */
  burnInPeriod: number;
  /** `'async'`: non-finite losses raise an Error (a step late, without blocking). */
  checkFinite: 'async' | 'off';
  /** Name used in error messages. */
  name: string;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

let modelIds = 0;

/**
 * Makes tensors kept in an inner scope ordinary tensors of the current scope. One adopter per
 * step: a tensor carried out twice (a combiner may return the norms it was given among its stats,
 * or one tensor under two names) is adopted once, and every place gets the same copy.
 */
function adopter(): <T extends tf.Tensor | null>(t: T) => T {
  const adopted = new Map<tf.Tensor, tf.Tensor>();
  return <T extends tf.Tensor | null>(t: T): T => {
    if (t === null) return t;
    let c = adopted.get(t);
    if (!c) {
      c = t.clone();
      t.dispose();
      adopted.set(t, c);
    }
    return c as T;
  };
}

function collectTensors(x: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (x instanceof tf.Tensor) out.push(x);
  else if (Array.isArray(x)) for (const v of x) collectTensors(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) collectTensors(v, out);
  return out;
}

/**
 * A hard-parameter-sharing multitask model: a shared backbone `z = backbone(x)` and K heads
 * `y_i = head_i(R_i z)`, trained with one of RotoGrad's gradient treatments. The concrete
 * methods ({@link VanillaMTL}, {@link RotateOnly}, {@link RotoGrad}, and `@rotograd/gradnorm`'s)
 * are this class with a configuration; new methods plug in a {@link GradientCombiner}.
 *
 * ```js
 * const model = new MultitaskModel(backbone, heads, {
 *   combiner: sumCombiner(), rotation: null, trackLosses: false, normalizeLosses: false,
 *   burnInPeriod: 20, checkFinite: 'async', name: 'MyMethod',
 * });
 * ```
 */
export class MultitaskModel {
  /** The shared backbone. */
  readonly backbone: Module;
  /**
   * Per task: rotation i (if any), then head i, as one module. Its variables are the rotations'
   * W (`[K, n, n]`, see {@link rotations}) and head i's.
   */
  readonly heads: Module[];
  /**
   * The rotations, one per task (empty without rotations): views of rows of one `[K, n, n]`
   * trainable variable W (see {@link TaskRotation}).
   */
  readonly rotations: TaskRotation[];
  /** The number of tasks K. */
  readonly numTasks: number;
  /** The task heads as given (without rotations). */
  protected readonly rawHeads: Module[];
  protected readonly combiner: GradientCombiner;
  protected readonly config: MultitaskModelConfig;
  protected readonly rotationGroup: RotationGroup | null;
  protected readonly rotationSize: number;
  private iteration = 0;
  private steps = 0;
  private initialLosses: tf.Tensor1D | null = null;
  private initialBackboneLoss: tf.Scalar | null = null;
  private readonly finite: FiniteWatch;
  private disposed = false;

  constructor(backbone: ModuleLike, heads: ModuleLike[], config: MultitaskModelConfig) {
    try {
      config.combiner.variables(); // fails early on a malformed combiner
    } catch (err) {
      throw new Error(
        `${config?.name}: config.combiner must be a GradientCombiner (${String(err)})`,
      );
    }
    const name = config.name;
    // A failed construction frees the combiner it was given (it may own variables).
    const fail = (message: string): Error => {
      config.combiner.dispose();
      return new Error(message);
    };
    if (!Array.isArray(heads) || heads.length === 0) {
      throw fail(`${name}: heads must be a non-empty array of modules, one per task`);
    }
    if (!Number.isInteger(config.burnInPeriod) || config.burnInPeriod < 0) {
      throw fail(`${name}: burnInPeriod must be an integer ≥ 0, got ${config.burnInPeriod}`);
    }
    this.config = config;
    try {
      this.backbone = toModule(backbone, `${name}: backbone`);
      this.rawHeads = heads.map((h, i) => toModule(h, `${name}: heads[${i}]`));
    } catch (err) {
      throw fail((err as Error).message);
    }
    this.numTasks = heads.length;
    this.combiner = config.combiner;
    this.finite = new FiniteWatch(name);
    const id = modelIds++;
    if (config.rotation) {
      const { shape, init, seed } = config.rotation;
      this.rotationSize = prod(shape);
      const normal = normalGenerator(seed ?? (Math.random() * 2 ** 32) >>> 0);
      this.rotationGroup = new RotationGroup(this.rawHeads.length, this.rotationSize, {
        init,
        normal,
        name: `rotograd_${id}/rotations`,
        ...(config.rotation.expmMaxNorm === undefined
          ? {}
          : { maxNorm: config.rotation.expmMaxNorm }),
      });
      this.rotations = this.rotationGroup.rotations;
    } else {
      this.rotationSize = 0;
      this.rotations = [];
      this.rotationGroup = null;
    }
    this.heads = this.rawHeads.map((head, i) => this.rotatedHead(head, i));
  }

  private rotatedHead(head: Module, i: number): Module {
    const rotation = this.rotations[i];
    if (!rotation) return head;
    const weights = rotation.group.weights;
    const postShape = this.config.rotation!.postShape;
    return {
      apply: (z: tf.Tensor, options?: ApplyOptions) => {
        const r = rotation.matrix();
        try {
          const layout = rotationLayout(z.shape, this.rotationSize, postShape, 'z');
          const zr = tf.tidy(() =>
            fromRows(rotateRowsAll(toRows(z, layout), [r], layout)[0]!, layout),
          );
          return head.apply(zr, options);
        } finally {
          r.dispose();
        }
      },
      get trainableVariables() {
        return [weights, ...head.trainableVariables];
      },
    };
  }

  /**
   * Task i as one module: backbone, then rotation i, then head i. Its `apply` returns head i's
   * outputs; its variables are the backbone's, the rotations' W (one `[K, n, n]` variable, of
   * which only row i affects task i: its gradient is zero elsewhere) and head i's.
   *
   * ```js
   * const y0 = model.task(0).apply(x);
   * ```
   */
  task(i: number): Module {
    this.assertUsable();
    if (!Number.isInteger(i) || i < 0 || i >= this.numTasks) {
      throw new Error(
        `${this.config.name}: task index must be an integer in [0, ${this.numTasks}), got ${i}`,
      );
    }
    const head = this.heads[i]!;
    const backbone = this.backbone;
    return {
      apply: (x: tf.Tensor, options?: ApplyOptions) =>
        tf.tidy(() => head.apply(outputsOf(backbone.apply(x, options), 'backbone')[0], options)),
      get trainableVariables() {
        return [...backbone.trainableVariables, ...head.trainableVariables];
      },
    };
  }

  /** The backbone's and the heads' trainable variables. */
  modelVariables(): tf.Variable[] {
    return [
      ...this.backbone.trainableVariables,
      ...this.rawHeads.flatMap((h) => h.trainableVariables),
    ];
  }

  /** The rotations' trainable weights and the combiner's variables (task weights, say). */
  rotogradVariables(): tf.Variable[] {
    return [
      ...(this.rotationGroup ? [this.rotationGroup.weights] : []),
      ...this.combiner.variables(),
    ];
  }

  /**
   * Inference: one prediction (each head's first output) per task.
   *
   * ```js
   * const [y0, y1] = model.predict(x);
   * ```
   */
  predict(x: tf.Tensor): tf.Tensor[] {
    this.assertUsable();
    this.assertInput(x);
    return tf.tidy(() => {
      const [z] = outputsOf(this.backbone.apply(x, { training: false }), 'backbone');
      const inputs = this.taskInputs(z, null);
      return this.rawHeads.map(
        (h, i) => outputsOf(h.apply(inputs[i]!, { training: false }), `heads[${i}]`)[0],
      );
    });
  }

  /** The K inputs of the heads: `z` itself, or `z` rotated by each R_i. */
  private taskInputs(z: tf.Tensor, matrices: MatrixChunks | null): tf.Tensor[] {
    if (!this.rotationGroup) return this.rawHeads.map(() => z);
    const layout = this.layoutOf(z);
    const run = (m: MatrixChunks, transposed?: MatrixChunks) =>
      rotateRowsAll(toRows(z, layout), m, layout, transposed).map((r) => fromRows(r, layout));
    if (matrices) return run(matrices);
    const { value, owned } = this.rotationGroup.forward();
    try {
      return run(value.matrices, value.transposed);
    } finally {
      if (owned) disposeRotationForward(value);
    }
  }

  private layoutOf(z: tf.Tensor): RotationLayout {
    return rotationLayout(
      z.shape,
      this.rotationSize,
      this.config.rotation!.postShape,
      'the backbone output z',
    );
  }

  /**
   * One training step's gradients, exactly as the official implementation computes them
   * (FORMAT.md §4): the backbone runs forward once; heads get `∂ℓ_i/∂θ_i`; the backbone gets the
   * combined gradient `q` (plus the backbone loss's gradient); each rotation gets the gradient of
   * its rotation loss. Nothing is read back from the device synchronously.
   *
   * ```js
   * const r = model.computeGradients(x, ([p0, p1]) => [tf.losses.meanSquaredError(y0, p0), tf.losses.meanSquaredError(y1, p1)]);
   * optimizer.applyGradients(r.modelGrads);
   * rotogradOptimizer.applyGradients(r.rotogradGrads);
   * r.dispose();
   * ```
   */
  computeGradients(x: tf.Tensor, lossFn: LossFn, options: ComputeGradientsOptions = {}): Gradients {
    this.assertUsable();
    this.finite.throwIfFailed();
    this.assertInput(x);
    if (typeof lossFn !== 'function') {
      throw new Error(`${this.config.name}: lossFn must be a function (preds, extras) => losses`);
    }
    const { backboneLoss, details: wantDetails = false } = options;
    if (backboneLoss !== undefined && typeof backboneLoss !== 'function') {
      throw new Error(`${this.config.name}: backboneLoss must be a function (z) => scalar`);
    }
    const K = this.numTasks;
    const cfg = this.config;
    const step = this.steps;
    const reset = cfg.trackLosses && (this.iteration === 0 || this.iteration === cfg.burnInPeriod);
    const normalize = cfg.trackLosses && cfg.normalizeLosses;
    const group = this.rotationGroup;

    const out = tidy(() => {
      const rot = group ? group.forward() : null;
      const rotValue = rot?.value ?? null;
      const matrices: MatrixChunks | null = rotValue?.matrices ?? null;

      // Tensors created inside the tape scopes that are needed afterwards.
      let carried!: {
        z: tf.Tensor;
        losses: tf.Scalar[];
        backboneLoss: tf.Scalar | null;
        headGrads: tf.NamedTensorMap;
        /** `h_i` in rows form, carried only for `details`. */
        hRows: tf.Tensor2D[] | null;
        /** The task gradients rotated back, in rows form (`g_i = R_iᵀ h_i`). */
        gRows: tf.Tensor2D[] | null;
        taskGrads: tf.Tensor[];
        taskNorms: tf.Tensor1D | null;
        repGrad: tf.Tensor;
        combinerGrads: tf.NamedTensorMap;
        stats: Record<string, tf.Tensor>;
        normalizedLosses: tf.Scalar[];
      };
      let linkGrads: tf.Tensor[] = [];
      // Errors inside the tape scopes (bad losses, bad shapes, user code) are held and rethrown
      // after the scopes closed normally, so that the tape's saved tensors are released.
      let failure: unknown = null;
      // State recorded by this step, committed only when the whole step succeeded.
      const extraGradsKept: tf.Tensor[] = [];
      let newInitialLosses: tf.Tensor1D | null = null;
      let newInitialBackboneLoss: tf.Scalar | null = null;
      const keptHere: tf.Tensor[] = [];
      const keep = <T extends tf.Tensor>(t: T): T => {
        keptHere.push(t);
        return tf.keep(t);
      };
      const layoutHolder: { layout: RotationLayout | null } = { layout: null };

      // The backbone's gradient is not known until the heads have run. `link` is a node of the
      // backbone's tape whose gradient is that combined gradient, computed later in `forward`.
      const link = tf.customGrad((() => {
        return {
          value: tf.scalar(0),
          gradFunc: () => linkGrads.map((g) => g.clone()),
        };
      }) as unknown as CustomGradientFunc);

      const forward = (): tf.Scalar => {
        try {
          return forwardUnguarded();
        } catch (err) {
          failure = err;
          return tf.scalar(0);
        }
      };
      const forwardUnguarded = (): tf.Scalar => {
        const [z, ...extras] = outputsOf(this.backbone.apply(x, { training: true }), 'backbone');
        // The heads, their gradients and the task gradients rotated back only feed `link`'s
        // gradient: kept off the backbone's tape, which would otherwise save a copy of every
        // kernel input here until the backbone's gradient returns. The heads' own gradient is
        // then a top-level one, whose tape is released as soon as it returns.
        const headPart = offTape(() => {
          let inputs: tf.Tensor[];
          if (matrices) {
            const layout = this.layoutOf(z);
            layoutHolder.layout = layout;
            inputs = rotateRowsAll(toRows(z, layout), matrices, layout, rotValue?.transposed);
          } else {
            inputs = this.rawHeads.map(() => tf.clone(z));
          }
          const flatHeadVars = this.rawHeads.flatMap((h) => h.trainableVariables);

          let losses!: tf.Scalar[];
          let normalizedLosses!: tf.Scalar[];
          const lossesUnguarded = (): tf.Scalar => {
            const headOuts = this.rawHeads.map((h, i) => {
              const zi = matrices ? fromRows(inputs[i]!, layoutHolder.layout!) : inputs[i]!;
              return outputsOf(h.apply(zi, { training: true }), `heads[${i}]`);
            });
            const raw = lossFn(
              headOuts.map((o) => o[0]),
              extras,
              headOuts.map((o) => o.slice(1)),
            );
            losses = this.validateLosses(raw).map(keep);
            const stacked = tf.stack(losses) as tf.Tensor1D;
            if (cfg.trackLosses) {
              if (reset) newInitialLosses = tf.keep(stopGradient(stacked));
              const l0 = newInitialLosses ?? this.initialLosses!;
              normalizedLosses = (tf.unstack(tf.div(stacked, l0)) as tf.Scalar[]).map(keep);
            } else {
              normalizedLosses = losses;
            }
            const ells = normalize ? normalizedLosses : losses;
            return sumAll(ells);
          };
          const inner = tf.engine().gradients(
            () => {
              try {
                return lossesUnguarded();
              } catch (err) {
                failure = err;
                return tf.scalar(0);
              }
            },
            [...inputs, ...extras, ...flatHeadVars],
            undefined,
            true,
          );
          if (failure !== null) return null;
          const grads = inner.grads;
          const hs = inputs.map((zi, i) => grads[i] ?? tf.zerosLike(zi));
          // Kept: f's own tidy closes before the backbone's backward pass reads them through
          // `link`.
          const extraGrads = extras.map((e, j) => tf.keep(grads[K + j] ?? tf.zerosLike(e)));
          extraGradsKept.push(...extraGrads);
          const headGrads: tf.NamedTensorMap = {};
          flatHeadVars.forEach((v, j) => {
            const g = grads[K + extras.length + j];
            if (g) headGrads[v.name] = keep(g);
          });

          let taskGrads: tf.Tensor[];
          let hRows: tf.Tensor2D[] | null = null;
          let gRows: tf.Tensor2D[] | null = null;
          if (matrices) {
            const layout = layoutHolder.layout!;
            hRows = hs as tf.Tensor2D[];
            gRows = rotateRowsBack(hRows, matrices, layout);
            taskGrads = gRows.map((g) => fromRows(g, layout));
          } else {
            taskGrads = hs;
          }
          return { losses, normalizedLosses, extraGrads, headGrads, taskGrads, hRows, gRows };
        });
        if (headPart === null) return tf.scalar(0);
        const { losses, normalizedLosses, extraGrads, headGrads, taskGrads, hRows, gRows } =
          headPart;

        let bbLoss: tf.Scalar | null = null;
        let bbTerm: tf.Scalar | null = null;
        if (backboneLoss) {
          bbLoss = this.validateBackboneLoss(backboneLoss(z, extras));
          bbTerm = bbLoss;
          if (normalize) {
            if (reset) newInitialBackboneLoss = tf.keep(stopGradient(bbLoss));
            bbTerm = tf.div(
              bbLoss,
              newInitialBackboneLoss ?? this.initialBackboneLoss!,
            ) as tf.Scalar;
          }
        }

        // ‖g_i‖: the rotations' reference direction needs them, and so do most combiners.
        const norms = matrices ? offTape(() => taskNorms(taskGrads)) : undefined;
        const combined = offTape(() =>
          this.combiner.combine({
            taskGrads,
            losses,
            normalizedLosses,
            step,
            ...(norms && { taskNorms: norms }),
          }),
        );
        linkGrads = [combined.repGrad, ...extraGrads];
        const linked = link(z, ...extras) as tf.Scalar;
        const y = bbTerm ? (tf.add(linked, bbTerm) as tf.Scalar) : linked;

        const stats = combined.stats ?? {};
        carried = {
          z: keep(z),
          losses,
          backboneLoss: bbLoss ? keep(bbLoss) : null,
          headGrads,
          hRows: hRows && wantDetails ? hRows.map(keep) : null,
          gRows: gRows ? gRows.map(keep) : null,
          taskGrads: taskGrads.map(keep),
          taskNorms: norms ? keep(norms) : null,
          repGrad: keep(combined.repGrad),
          combinerGrads: Object.fromEntries(
            Object.entries(combined.grads ?? {}).map(([k, v]) => [k, keep(v)]),
          ),
          stats: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, keep(v)])),
          normalizedLosses,
        };
        return y;
      };

      const bbVars = this.backbone.trainableVariables;
      const modelGrads: tf.NamedTensorMap = {};
      if (bbVars.length > 0) {
        const { value, grads } = tf.engine().gradients(forward, bbVars, undefined, true);
        value.dispose();
        bbVars.forEach((v, j) => {
          if (grads[j]) modelGrads[v.name] = grads[j]!;
        });
      } else {
        forward();
      }
      if (failure !== null) {
        tf.dispose(
          [...keptHere, newInitialLosses, newInitialBackboneLoss].filter((t) => t !== null),
        );
        throw failure;
      }
      if (newInitialLosses) {
        this.initialLosses?.dispose();
        this.initialLosses = newInitialLosses;
      }
      if (newInitialBackboneLoss) {
        this.initialBackboneLoss?.dispose();
        this.initialBackboneLoss = newInitialBackboneLoss;
      }

      // Bring what the tape scopes kept into this tidy.
      const c = carried;
      const adopt = adopter();
      const z = adopt(c.z);
      const losses = c.losses.map(adopt);
      const bbLoss = adopt(c.backboneLoss);
      for (const [k, v] of Object.entries(c.headGrads)) modelGrads[k] = adopt(v);
      const hRows = c.hRows ? c.hRows.map(adopt) : null;
      const gRows = c.gRows ? c.gRows.map(adopt) : null;
      const taskGrads = c.taskGrads.map(adopt);
      const taskGradNorms = adopt(c.taskNorms);
      const repGrad = adopt(c.repGrad);
      const rotogradGrads: tf.NamedTensorMap = {};
      const stats: Record<string, tf.Tensor> = {};
      for (const [k, v] of Object.entries(c.stats)) stats[k] = adopt(v);
      const normalizedLosses = cfg.trackLosses ? c.normalizedLosses.map(adopt) : losses;

      if (cfg.checkFinite === 'async') {
        this.finite.watch(
          tf.stack(bbLoss ? [...losses, bbLoss] : losses) as tf.Tensor1D,
          step,
          (j) => (j < K ? `the loss of task ${j}` : 'the backbone loss'),
        );
      }

      let rotation: {
        reference: tf.Tensor;
        losses: tf.Scalar[];
        lossGrads: tf.Tensor2D[];
      } | null = null;
      if (matrices && rotValue && gRows && taskGradNorms) {
        const layout = layoutHolder.layout!;
        rotation = this.rotationGradients(
          taskGrads,
          taskGradNorms,
          gRows,
          rotValue,
          layout,
          rotogradGrads,
          wantDetails,
        );
      }
      const combinerGrads = Object.entries(c.combinerGrads);
      for (const [k, v] of combinerGrads) rotogradGrads[k] = adopt(v);
      if (rot?.owned && rotValue) disposeRotationForward(rotValue);

      const details: GradientsDetails | null = wantDetails
        ? {
            rep: z,
            taskGrads,
            rotatedTaskGrads: hRows ? hRows.map((h) => fromRows(h, layoutHolder.layout!)) : null,
            rotationReference: rotation?.reference ?? null,
            rotationLosses: rotation?.losses ?? null,
            rotationLossGrads: rotation?.lossGrads ?? null,
            repGrad,
            normalizedLosses: cfg.trackLosses ? normalizedLosses : losses.map((l) => l.clone()),
            stats,
          }
        : null;
      return {
        losses,
        backboneLoss: bbLoss,
        modelGrads: modelGrads as GradientMap,
        rotogradGrads: rotogradGrads as GradientMap,
        details,
      };
    });

    if (cfg.trackLosses) this.iteration++;
    this.steps++;
    const result: Gradients = {
      ...out,
      dispose: () => {
        tf.dispose(
          collectTensors([
            result.losses,
            result.backboneLoss,
            result.modelGrads,
            result.rotogradGrads,
            result.details,
          ]),
        );
      },
    };
    return result;
  }

  /**
   * Rotation losses and the exact gradients of the W_i (FORMAT.md §4.5 and §2), written into
   * `grads`. Uses the expm intermediates of the forward pass.
   *
   * With R_i orthogonal, `D_i = rotate(R_i, r) − h_i = R_i (r − g_i)` (rows: `(r − g_i) R_iᵀ`, and
   * `g_i = h_i` beyond the first n components), where `g_i = R_iᵀ h_i` is the task gradient the
   * heads' backward pass already rotated back. So ρ_i = c‖r − g_i‖², and with `T_i = 2c·rᵀ(r − g_i)`
   * (first n columns; `R_iᵀ G_i = T_iᵀ`): `G_i = R_i T_iᵀ`, and the gradient of W_i is
   * `strictLower(Ψ*(K_i))` with `K_i = T_iᵀ − T_i` and `Ψ*(K) = ∫₀¹ e^{sA} K e^{−sA} ds
   * = Lexp(A, K e^{−A}) = Lexp(A, K) e^{−A}` (FORMAT.md's `Ĝ − Ĝᵀ`). The symmetric `2c·rᵀr` in
   * T_i cancels from K_i: with `S_i = rᵀg_i`, `K_i = 2c·(S_i − S_iᵀ)`. No rotation of r, no `r − g_i`
   * (but for the reported losses), one `[n, B·P] × [B·P, n]` correlation per task.
   */
  private rotationGradients(
    taskGrads: tf.Tensor[],
    norms: tf.Tensor1D,
    gRows: tf.Tensor2D[],
    rotation: RotationForward,
    layout: RotationLayout,
    grads: tf.NamedTensorMap,
    wantDetails: boolean,
  ): { reference: tf.Tensor; losses: tf.Scalar[]; lossGrads: tf.Tensor2D[] } {
    const K = this.numTasks;
    const n = layout.n;
    // r = (1/K) Σ g_i · divide(‖ḡ‖, ‖g_i‖)
    const mean = hasLinearCombinationKernel()
      ? linearCombinations(taskGrads, new Array(K).fill(1 / K), 1)[0]!
      : tf.div(sumAll(taskGrads), K);
    const mu = tf.sqrt(innerProducts(mean, mean));
    // One divide for all K tasks (the same element-wise operations, a tenth of the kernel calls),
    // over the norms ‖g_i‖ the combiner was given, and the K terms in one weighted sum.
    const reference = weightedSum(taskGrads, stableDivide(mu, norms), K);
    const refRows = toRows(reference, layout);
    const c = this.config.rotation!.postShape.length === 0 ? 1 : 1 / layout.batch;
    // The rotation losses themselves are only reported (details): ρ_i = c‖r − g_i‖² (R_iᵀ D_i =
    // r − g_i).
    const losses = wantDetails
      ? gRows.map((g) => {
          const d = tf.sub(refRows, g);
          return tf.mul(innerProducts(d, d), c) as tf.Scalar;
        })
      : [];
    // S_i = rᵀ g_i over the first n columns: a 2-D product [n, B·P] × [B·P, n] per task
    // where the R_i are 2-D (cpu, wasm: as fast as one wide product over the gradients side by
    // side, without copying them there and the result back), else one [n, B·P] × [B·P, K·n]
    // (fewer kernels: a GPU pays per dispatch).
    const gHeads = gRows.map((g) => (layout.s === n ? g : tf.slice(g, [0, 0], [-1, n])));
    const rHead = layout.s === n ? refRows : tf.slice(refRows, [0, 0], [-1, n]);
    // rᵀ; the factor 2c joins K_i's α·x + β·xᵀ below (S_i here is rᵀg_i).
    const rT = tf.transpose(rHead);
    // rᵀr, for the reported G_i only: T_i = 2c·(rᵀr − S_i).
    const rr = wantDetails ? tf.matMul(rT, rHead) : null;
    const lossGrads: tf.Tensor2D[] = [];
    const dW: tf.Tensor[] = [];
    const perTask = rotation.matrices[0]!.rank === 2;
    // R_i one by one, for the reported G_i = R_i T_iᵀ.
    const rs = rr ? rotation.matrices.flatMap((m) => (m.rank === 2 ? [m] : tf.unstack(m))) : [];
    let i = 0;
    for (const state of rotation.expm) {
      const k = state.value.rank === 2 ? 1 : state.value.shape[0]!;
      const gs = gHeads.slice(i, i + k);
      let sg: tf.Tensor; // [n, n] or [k, n, n]
      if (state.value.rank === 2) sg = tf.matMul(rT, gs[0]!);
      else if (perTask) sg = tf.stack(gs.map((g) => tf.matMul(rT, g)));
      else {
        const wide = tf.matMul(rT, tf.concat(gs, 1)); // [n, k·n]
        sg = tf.transpose(tf.reshape(wide, [n, k, n]), [1, 0, 2]);
      }
      if (rr) {
        const ts = transposeMatrices(tf.mul(tf.sub(rr, sg), 2 * c));
        const tsList = k === 1 && ts.rank === 2 ? [ts] : tf.unstack(ts);
        tsList.forEach((t, j) => {
          lossGrads.push(tf.matMul(rs[i + j]! as tf.Tensor2D, t as tf.Tensor2D));
        });
      }
      i += k;
      const skew = addTranspose(sg, 2 * c, -2 * c); // K_i = T_iᵀ − T_i = 2c·(S_i − S_iᵀ)
      // Ψ*(K) = Lexp(A, K) e^{−A}: e^A commutes with e^{sA}. Both A and K are skew-symmetric,
      // which makes the derivative of squaring an even or odd power one product instead of two,
      // and lets Ψ* be carried through the squarings (each a product and a skew-symmetric one).
      // Only its strict lower triangle is used.
      const psi = expmFrechetRotated(state, skew);
      const d = strictLower(psi);
      dW.push(d);
    }
    const group = this.rotationGroup!;
    grads[group.weights.name] = group.stackGradients(dW);
    return { reference, losses, lossGrads };
  }

  /**
   * A whole training step: {@link computeGradients}, then `optimizer` applies the model's
   * gradients and `rotogradOptimizer` (default: `optimizer`) the rotations'. Returns the raw
   * task losses (the caller disposes them).
   *
   * ```js
   * const losses = model.step(x, lossFn, { optimizer: tf.train.adam(1e-3), rotogradOptimizer: tf.train.adam(1e-4) });
   * tf.dispose(losses);
   * ```
   */
  step(x: tf.Tensor, lossFn: LossFn, options: StepOptions): tf.Scalar[] {
    if (!options || typeof options.optimizer?.applyGradients !== 'function') {
      throw new Error(`${this.config.name}: step needs { optimizer } (a tf.Optimizer)`);
    }
    const r = this.computeGradients(x, lossFn, options);
    try {
      const rotogradOptimizer = options.rotogradOptimizer ?? options.optimizer;
      if (rotogradOptimizer === options.optimizer) {
        // One optimizer for everything: one update. (tfjs's Adam and others keep their slots by
        // position in the list of gradients, so two calls with different lists would mix them.)
        const all = { ...r.modelGrads, ...r.rotogradGrads };
        if (Object.keys(all).length > 0) options.optimizer.applyGradients(all);
      } else {
        if (Object.keys(r.modelGrads).length > 0) options.optimizer.applyGradients(r.modelGrads);
        if (Object.keys(r.rotogradGrads).length > 0)
          rotogradOptimizer.applyGradients(r.rotogradGrads);
      }
      const losses = r.losses;
      r.losses = [];
      return losses;
    } finally {
      r.dispose();
    }
  }

  /**
   * Waits for the asynchronous reads of earlier steps (the finite-loss checks, and the rotations'
   * norms that plan their matrix exponential) and throws the first failure, if any. Each read in
   * flight holds one small tensor, so count `tf.memory()` after this.
   *
   * ```js
   * await model.flush();
   * ```
   */
  async flush(): Promise<void> {
    await this.rotationGroup?.settled();
    await this.finite.flush();
  }

  /**
   * How the rotations' matrix exponential will be evaluated at the next step: a Taylor degree
   * and a number of squarings ({@link expmPlanProducts} gives its products), chosen from the
   * norms read back from earlier steps (or fixed by `expmMaxNorm`); `null` without rotations.
   *
   * ```js
   * model.rotationPlan;  // e.g. {degree: 8, squarings: 0} near A = 0, once two reads are back
   * ```
   */
  get rotationPlan(): ExpmPlan | null {
    return this.rotationGroup ? this.rotationGroup.plan() : null;
  }

  /** Disposes the rotations and the model's state. Backbone and heads stay the caller's. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rotationGroup?.dispose();
    this.initialLosses?.dispose();
    this.initialBackboneLoss?.dispose();
    this.combiner.dispose();
  }

  private validateLosses(raw: unknown): tf.Scalar[] {
    const name = this.config.name;
    if (!Array.isArray(raw)) {
      throw new Error(
        `${name}: lossFn must return an array of ${this.numTasks} scalar losses, got ${typeof raw}`,
      );
    }
    if (raw.length !== this.numTasks) {
      throw new Error(
        `${name}: lossFn returned ${raw.length} loss(es), but the model has ${this.numTasks} tasks (one scalar loss per head expected)`,
      );
    }
    raw.forEach((l, i) => {
      if (!(l instanceof tf.Tensor)) throw new Error(`${name}: loss ${i} is not a tf.Tensor`);
      if (l.rank !== 0) {
        throw new Error(
          `${name}: loss ${i} must be a scalar (shape []), got shape [${l.shape}]; reduce it, e.g. with tf.mean`,
        );
      }
      if (l.dtype !== 'float32')
        throw new Error(`${name}: loss ${i} must be float32, got ${l.dtype}`);
    });
    return raw as tf.Scalar[];
  }

  private validateBackboneLoss(l: unknown): tf.Scalar {
    const name = this.config.name;
    if (!(l instanceof tf.Tensor) || l.rank !== 0) {
      throw new Error(
        `${name}: backboneLoss must return a scalar tensor (shape []), got ${l instanceof tf.Tensor ? `shape [${l.shape}]` : typeof l}`,
      );
    }
    return l as tf.Scalar;
  }

  private assertInput(x: unknown): void {
    if (!(x instanceof tf.Tensor)) throw new Error(`${this.config.name}: x must be a tf.Tensor`);
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error(`${this.config.name}: used after dispose()`);
  }
}
