import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './mat-mul';
import { tidy } from './tidy';

/**
 * How a matrix exponential is evaluated: a Taylor polynomial of degree `degree` of `A / 2^s`,
 * then `s = squarings` squarings. Pick one with {@link expmPlan}.
 */
export interface ExpmPlan {
  readonly degree: number;
  readonly squarings: number;
}

/** float32 unit roundoff. */
const UNIT_ROUNDOFF = 2 ** -24;
const MAX_DEGREE = 12;
/**
 * The most squarings a plan may use, and the number of masked squarings `expm` runs without a
 * norm bound: that covers ‖A‖_F up to 0.6 · 2^24 ≈ 1e7, far beyond any useful rotation.
 */
export const MAX_SQUARINGS = 24;

/** Bound on the Taylor remainder Σ_{k>m} ν^k / k! (valid for ν < m + 2). */
function taylorRemainder(m: number, nu: number): number {
  let term = 1;
  for (let k = 1; k <= m + 1; k++) term *= nu / k;
  return term / (1 - nu / (m + 2));
}

/**
 * THETA[m]: the largest norm ν for which the degree-m Taylor remainder is at most one float32
 * unit roundoff (relative to ‖e^X‖ ≥ e^{-ν}; for the skew-symmetric matrices RotoGrad uses,
 * ‖e^X‖₂ = 1). Found by bisection once at load time.
 */
const THETA: readonly number[] = (() => {
  const out = [0];
  for (let m = 1; m <= MAX_DEGREE; m++) {
    let lo = 0;
    let hi = Math.min(m + 1, 8);
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (taylorRemainder(m, mid) <= UNIT_ROUNDOFF * Math.exp(-mid)) lo = mid;
      else hi = mid;
    }
    out.push(lo);
  }
  return out;
})();

/**
 * The cheapest plan (fewest matrix products: `degree − 1 + squarings`) that evaluates `expm(A)`
 * to float32 accuracy for every `A` whose Frobenius norm is at most `normBound`.
 *
 * ```js
 * expmPlan(0.1);  // {degree: 5, squarings: 0}
 * expmPlan(8);    // {degree: 8, squarings: 4}
 * ```
 */
export function expmPlan(normBound: number): ExpmPlan {
  if (!(normBound >= 0) || !Number.isFinite(normBound)) {
    throw new Error(`expmPlan: normBound must be a finite number ≥ 0, got ${normBound}`);
  }
  let best: ExpmPlan = { degree: MAX_DEGREE, squarings: MAX_SQUARINGS };
  let bestCost = Number.POSITIVE_INFINITY;
  for (let m = 1; m <= MAX_DEGREE; m++) {
    const theta = THETA[m]!;
    const s = normBound <= theta ? 0 : Math.ceil(Math.log2(normBound / theta));
    const cost = m - 1 + s;
    // On a tie prefer the higher degree: fewer squarings accumulate less rounding.
    if (cost <= bestCost && s <= MAX_SQUARINGS) {
      best = { degree: m, squarings: s };
      bestCost = cost;
    }
  }
  return best;
}

/** The largest Frobenius norm a plan is accurate for. */
export function expmPlanCoverage(plan: ExpmPlan): number {
  return THETA[plan.degree]! * 2 ** plan.squarings;
}

/**
 * Everything the forward pass of {@link expmForward} computed that the Fréchet derivative
 * reuses. Owned by the caller: dispose it with {@link disposeExpmState}.
 */
export interface ExpmState {
  readonly plan: ExpmPlan;
  /** `A` scaled: `X = A · scale` (scale is a number, or a `[..., 1, 1]` tensor when dynamic). */
  readonly x: tf.Tensor;
  readonly scale: number | tf.Tensor;
  /** Horner factors `P_k = I + Q_k`, in the order the Fréchet recursion consumes them. */
  readonly hornerFactors: tf.Tensor[];
  /** `I + D_j` before squaring `j`. */
  readonly squaringFactors: tf.Tensor[];
  /** 0/1 per matrix: whether squaring `j` was applied (dynamic scaling only). */
  readonly squaringMasks: tf.Tensor[] | null;
  /** `expm(A)`. */
  readonly value: tf.Tensor;
}

function identityLike(a: tf.Tensor): tf.Tensor {
  const n = a.shape[a.rank - 1]!;
  const batch = a.shape.slice(0, -2);
  return batch.length === 0 ? tf.eye(n) : tf.eye(n, n, batch as [number]);
}

function assertSquare(a: tf.Tensor, fn: string): void {
  if (a.rank < 2 || a.rank > 3 || a.shape[a.rank - 1] !== a.shape[a.rank - 2]) {
    throw new Error(
      `${fn}: a must be a square matrix [n, n] or a batch [k, n, n], got [${a.shape}]`,
    );
  }
}

/**
 * Matrix exponential by Taylor expansion with scaling and squaring, kept in "expm1" form
 * (`D = e^X − I`) so small arguments lose no precision. With a `plan` the number of products
 * is fixed on the host; without one the scaling is chosen on the device from `‖A‖_F` and up to
 * {@link MAX_SQUARINGS} masked squarings are run (always accurate, slower).
 *
 * Returns the value and the intermediates {@link expmFrechet} reuses. Not differentiable by
 * tf.grads on purpose: use {@link expmFrechet} for exact derivatives.
 */
export function expmForward(a: tf.Tensor, plan?: ExpmPlan): ExpmState {
  assertSquare(a, 'expm');
  return tidy(() => {
    const eye = identityLike(a);
    let x: tf.Tensor;
    let scale: number | tf.Tensor;
    let squaringMasks: tf.Tensor[] | null = null;
    let degree: number;
    let squarings: number;
    if (plan) {
      degree = plan.degree;
      squarings = plan.squarings;
      scale = 2 ** -squarings;
      x = squarings === 0 ? a.clone() : tf.mul(a, scale);
    } else {
      degree = 8;
      squarings = MAX_SQUARINGS;
      const norms = tf.sqrt(tf.sum(tf.square(a), [-2, -1], true));
      // s = clamp(ceil(log2(ν / θ)), 0, MAX_SQUARINGS), per matrix.
      const s = tf.clipByValue(
        tf.ceil(tf.div(tf.log(tf.div(tf.maximum(norms, 1e-30), THETA[degree]!)), Math.LN2)),
        0,
        MAX_SQUARINGS,
      );
      scale = tf.pow(tf.scalar(2), tf.neg(s));
      x = tf.mul(a, scale);
      squaringMasks = [];
      for (let j = 0; j < MAX_SQUARINGS; j++)
        squaringMasks.push(tf.cast(tf.greater(s, j), 'float32'));
    }
    // Horner in expm1 form: Q_{m-1} = X/m, Q_k = (X + X·Q_{k+1}) / (k+1).
    let q = tf.div(x, degree);
    const hornerFactors: tf.Tensor[] = [];
    for (let k = degree - 2; k >= 0; k--) {
      hornerFactors.push(tf.add(q, eye));
      q = tf.div(tf.add(x, matMul(x, q)), k + 1);
    }
    // Squarings: (I + D)² = I + (2D + D²).
    let d = q;
    const squaringFactors: tf.Tensor[] = [];
    for (let j = 0; j < squarings; j++) {
      squaringFactors.push(tf.add(d, eye));
      const next = tf.add(tf.mul(d, 2), matMul(d, d));
      d = squaringMasks ? tf.add(d, tf.mul(squaringMasks[j]!, tf.sub(next, d))) : next;
    }
    const value = tf.add(d, eye);
    return {
      plan: { degree, squarings },
      x,
      scale,
      hornerFactors,
      squaringFactors,
      squaringMasks,
      value,
    };
  });
}

/**
 * The Fréchet derivative `Lexp(A, F) = ∫₀¹ e^{sA} F e^{(1−s)A} ds` of the matrix exponential at
 * the `A` of `state` in direction `F`, exact for the polynomial the forward pass evaluated
 * (two products per Horner step and per squaring; no 2n×2n block exponential).
 */
export function expmFrechet(state: ExpmState, f: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { plan, x, scale, hornerFactors, squaringFactors, squaringMasks } = state;
    const dx = typeof scale === 'number' && scale === 1 ? f : tf.mul(f, scale);
    let dq = tf.div(dx, plan.degree);
    let k = plan.degree - 2;
    for (const p of hornerFactors) {
      dq = tf.div(tf.add(matMul(dx, p), matMul(x, dq)), k + 1);
      k--;
    }
    let dd = dq;
    squaringFactors.forEach((m, j) => {
      const next = tf.add(matMul(dd, m), matMul(m, dd));
      dd = squaringMasks ? tf.add(dd, tf.mul(squaringMasks[j]!, tf.sub(next, dd))) : next;
    });
    return dd;
  });
}

/** Disposes every tensor an {@link ExpmState} holds (but its `value` when `keepValue`). */
export function disposeExpmState(state: ExpmState, keepValue = false): void {
  const ts: tf.Tensor[] = [state.x, ...state.hornerFactors, ...state.squaringFactors];
  if (!keepValue) ts.push(state.value);
  if (typeof state.scale !== 'number') ts.push(state.scale);
  if (state.squaringMasks) ts.push(...state.squaringMasks);
  tf.dispose(ts);
}

/** Options of {@link expm}. */
export interface ExpmOptions {
  /**
   * An upper bound on the Frobenius norm of every matrix in `a`. With it the number of products
   * is fixed on the host ({@link expmPlan}); without it the scaling is chosen on the device and
   * {@link MAX_SQUARINGS} masked squarings run. Default: none.
   */
  normBound?: number;
}

/**
 * Matrix exponential `e^A` of a square matrix or a batch of them, accurate to float32.
 * TF.js has no `expm`; this one uses Taylor scaling and squaring built from `matMul`.
 *
 * ```js
 * const a = tf.tensor2d([[0, -1], [1, 0]]);
 * expm(a).print();  // [[cos 1, -sin 1], [sin 1, cos 1]]
 * ```
 */
export function expm<T extends tf.Tensor>(a: T, options: ExpmOptions = {}): T {
  const plan = options.normBound === undefined ? undefined : expmPlan(options.normBound);
  const state = expmForward(a, plan);
  disposeExpmState(state, true);
  return state.value as T;
}

/**
 * The Fréchet derivative of the matrix exponential, `Lexp(A, E) = d/dt expm(A + tE)` at t = 0,
 * for a square matrix or a batch. The gradient of `φ(expm(A))` with respect to `A` is
 * `expmFrechetAt(Aᵀ, ∂φ/∂expm)`.
 *
 * ```js
 * const a = tf.tensor2d([[0, -0.5], [0.5, 0]]);
 * const e = tf.tensor2d([[1, 0], [0, 0]]);
 * expmFrechetAt(a, e).print();
 * ```
 */
export function expmFrechetAt(a: tf.Tensor, e: tf.Tensor, options: ExpmOptions = {}): tf.Tensor {
  if (a.shape.join() !== e.shape.join()) {
    throw new Error(`expmFrechetAt: e must have the shape of a [${a.shape}], got [${e.shape}]`);
  }
  const plan = options.normBound === undefined ? undefined : expmPlan(options.normBound);
  const state = expmForward(a, plan);
  try {
    return expmFrechet(state, e);
  } finally {
    disposeExpmState(state);
  }
}
