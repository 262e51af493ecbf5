import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './mat-mul';
import { tidy } from './tidy';

/**
 * How a matrix exponential is evaluated: a Taylor polynomial of degree `degree` of `A / 2^s`,
 * evaluated by Paterson–Stockmeyer, then `s = squarings` squarings. Pick one with
 * {@link expmPlan}.
 */
export interface ExpmPlan {
  readonly degree: number;
  readonly squarings: number;
}

/** float32 unit roundoff. */
const UNIT_ROUNDOFF = 2 ** -24;
const MAX_DEGREE = 24;
/**
 * The most squarings a plan may use, and the number of masked squarings `expm` runs without a
 * norm bound: that covers ‖A‖ up to 0.6 · 2^24 ≈ 1e7, far beyond any useful rotation.
 */
export const MAX_SQUARINGS = 24;
/** Degree of the plan-less (dynamic) evaluation. */
const DYNAMIC_DEGREE = 8;

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
    let hi = m + 1;
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
 * How Paterson–Stockmeyer evaluates `D = Σ_{k=1}^{m} X^k / k!` (the Taylor polynomial minus I):
 * the powers `X^2 … X^q` are formed, the coefficients fall into `blocks` blocks of `p`,
 * `C_j = Σ_{i<p} c_{jp+i} X^i`, and `D = C_0 + Y(C_1 + Y(C_2 + …))` with `Y = X^p`.
 */
interface Scheme {
  readonly p: number;
  readonly blocks: number;
  /** The highest power formed: `p` when there is more than one block, else `p − 1` (≥ 1). */
  readonly q: number;
  /** Matrix products of the evaluation: `q − 1` powers and `blocks − 1` Horner steps. */
  readonly products: number;
}

function schemeFor(m: number, p: number): Scheme {
  const blocks = Math.ceil((m + 1) / p);
  const q = blocks > 1 ? p : Math.max(p - 1, 1);
  return { p, blocks, q, products: q - 1 + blocks - 1 };
}

/**
 * The cheapest Paterson–Stockmeyer scheme for degree m (ties: the smaller block). Blocks of one
 * (plain Horner, `p = 1`) never win, so `p ≥ 2` and `Y = X^p` is always among the powers.
 */
const SCHEMES: readonly Scheme[] = (() => {
  const out: Scheme[] = [schemeFor(0, 2)];
  for (let m = 1; m <= MAX_DEGREE; m++) {
    let best = schemeFor(m, 2);
    for (let p = 3; p <= m + 1; p++) {
      const s = schemeFor(m, p);
      if (s.products < best.products) best = s;
    }
    out.push(best);
  }
  return out;
})();

/**
 * The number of `n×n` matrix products {@link expm} runs for a plan. The exact derivative
 * ({@link expmFrechet}) takes twice as many.
 *
 * ```js
 * expmPlanProducts({degree: 8, squarings: 2});  // 6: X², X³, two Horner steps, two squarings
 * ```
 */
export function expmPlanProducts(plan: ExpmPlan): number {
  return SCHEMES[plan.degree]!.products + plan.squarings;
}

/**
 * The cheapest plan (fewest matrix products, {@link expmPlanProducts}) that evaluates `expm(A)`
 * to float32 accuracy for every `A` with `‖A‖₂ ≤ normBound`. The Frobenius norm is such a
 * bound for every matrix; for normal matrices (the skew-symmetric ones of rotations among them)
 * so is `‖A^k‖_F^{1/k}` for every k, which is much tighter for large n.
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
    const cost = SCHEMES[m]!.products + s;
    // On a tie prefer the higher degree: fewer squarings accumulate less rounding.
    if (cost <= bestCost && s <= MAX_SQUARINGS) {
      best = { degree: m, squarings: s };
      bestCost = cost;
    }
  }
  return best;
}

/** The largest `‖A‖₂` a plan is accurate for. */
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
  /** `X^2 … X^q` (Paterson–Stockmeyer powers; `X` itself is `x`). */
  readonly powers: tf.Tensor[];
  /** The Horner values `P` multiplied by `Y = X^p`, in the order they were formed. */
  readonly hornerValues: tf.Tensor[];
  /** `I + D_j` before squaring `j`. */
  readonly squaringFactors: tf.Tensor[];
  /** 0/1 per matrix: whether squaring `j` was applied (dynamic scaling only). */
  readonly squaringMasks: tf.Tensor[] | null;
  /** `expm(A)`. */
  readonly value: tf.Tensor;
}

const identities = new Map<string, Float32Array>();

/**
 * The identity of `a`'s shape, `[n, n]` or `[k, n, n]`, from cached values: `tf.eye` fills a
 * buffer element by element on every call (130–490 µs at n = 256 on wasm, against 7 µs here).
 */
function identityLike(a: tf.Tensor): tf.Tensor {
  const n = a.shape[a.rank - 1]!;
  const k = a.rank === 3 ? a.shape[0]! : 1;
  const key = `${k}x${n}`;
  let values = identities.get(key);
  if (!values) {
    values = new Float32Array(k * n * n);
    for (let b = 0; b < k; b++) for (let i = 0; i < n; i++) values[b * n * n + i * n + i] = 1;
    identities.set(key, values);
  }
  return a.rank === 3 ? tf.tensor3d(values, [k, n, n]) : tf.tensor2d(values, [n, n]);
}

function assertSquare(a: tf.Tensor, fn: string): void {
  if (a.rank < 2 || a.rank > 3 || a.shape[a.rank - 1] !== a.shape[a.rank - 2]) {
    throw new Error(
      `${fn}: a must be a square matrix [n, n] or a batch [k, n, n], got [${a.shape}]`,
    );
  }
}

/** `1/k!` for k ≥ 1, and 0 for k = 0 or beyond the degree (expm1 form). */
function taylorCoefficient(k: number, m: number): number {
  if (k === 0 || k > m) return 0;
  let c = 1;
  for (let i = 2; i <= k; i++) c /= i;
  return c;
}

/**
 * The blocks `C_j = Σ_{i=first}^{p−1} c_{jp+i} T_i` of a scheme, as linear combinations of the
 * given terms (`terms[i − first]` stands for `X^i`, or its derivative): one `[blocks, t] × [t, N]`
 * product instead of `blocks · t` scalings and additions.
 */
function combineBlocks(terms: tf.Tensor[], first: number, scheme: Scheme, m: number): tf.Tensor[] {
  const shape = terms[0]!.shape;
  const { p, blocks } = scheme;
  if (terms.length === 1) {
    return Array.from({ length: blocks }, (_, j) =>
      tf.mul(terms[0]!, taylorCoefficient(j * p + first, m)),
    );
  }
  const coefficients: number[] = [];
  for (let j = 0; j < blocks; j++)
    for (let i = first; i < p; i++) coefficients.push(taylorCoefficient(j * p + i, m));
  // Stack/unstack rather than a reshape per term and per block: the same data, fewer kernel calls.
  const stacked = tf.reshape(tf.stack(terms), [terms.length, -1]);
  const combined = tf.matMul(tf.tensor2d(coefficients, [blocks, terms.length]), stacked);
  if (blocks === 1) return [tf.reshape(combined, shape)];
  return tf.unstack(tf.reshape(combined, [blocks, ...shape]));
}

/**
 * Matrix exponential by Taylor expansion with scaling and squaring, kept in "expm1" form
 * (`D = e^X − I`) so small arguments lose no precision. The polynomial is evaluated by
 * Paterson–Stockmeyer (degree 8 in 4 products instead of Horner's 7). With a `plan` the number
 * of products is fixed on the host; without one the scaling is chosen on the device from
 * `‖A‖_F` and up to {@link MAX_SQUARINGS} masked squarings are run (always accurate, slower).
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
      degree = DYNAMIC_DEGREE;
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
    const scheme = SCHEMES[degree]!;
    // Powers X² … X^q.
    const powers: tf.Tensor[] = [];
    let last = x;
    for (let i = 2; i <= scheme.q; i++) {
      last = matMul(last, x);
      powers.push(last);
    }
    const blockTerms = [eye, x, ...powers].slice(0, scheme.p);
    const blocks = combineBlocks(blockTerms, 0, scheme, degree);
    // Horner in Y = X^p: P ← C_j + P·Y.
    let d = blocks[scheme.blocks - 1]!;
    const hornerValues: tf.Tensor[] = [];
    for (let j = scheme.blocks - 2; j >= 0; j--) {
      hornerValues.push(d);
      d = tf.add(blocks[j]!, matMul(d, powers[scheme.p - 2]!));
    }
    // Squarings: (I + D)² = I + (2D + D²).
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
      powers,
      hornerValues,
      squaringFactors,
      squaringMasks,
      value,
    };
  });
}

/**
 * `‖X^q‖_F^{1/q} / scale`: for a normal `A` (skew-symmetric, say) an upper bound on `‖A‖₂` from
 * the highest power {@link expmForward} formed, far tighter than `‖A‖_F` for large n (at most
 * `n^{1/(2q)}` times `‖A‖₂`). One value per matrix, `[]` or `[k]`.
 */
export function expmNormBound(state: ExpmState): tf.Tensor {
  return tf.tidy(() => {
    const top = state.powers.length > 0 ? state.powers[state.powers.length - 1]! : state.x;
    const q = state.powers.length + 1;
    const root = tf.pow(tf.sum(tf.square(top), [-2, -1]), 1 / (2 * q));
    return typeof state.scale === 'number'
      ? tf.div(root, state.scale)
      : tf.div(root, tf.reshape(state.scale, root.shape));
  });
}

/**
 * The Fréchet derivative `Lexp(A, F) = ∫₀¹ e^{sA} F e^{(1−s)A} ds` of the matrix exponential at
 * the `A` of `state` in direction `F`, exact for the polynomial the forward pass evaluated
 * (two products per product of the forward pass; no 2n×2n block exponential).
 */
export function expmFrechet(state: ExpmState, f: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { plan, x, scale, powers, hornerValues, squaringFactors, squaringMasks } = state;
    const scheme = SCHEMES[plan.degree]!;
    const dx = typeof scale === 'number' && scale === 1 ? f : tf.mul(f, scale);
    // d(X^i) = d(X^{i−1})·X + X^{i−1}·dX.
    const dPowers: tf.Tensor[] = [];
    let dLast = dx;
    for (let i = 2; i <= scheme.q; i++) {
      const prev = i === 2 ? x : powers[i - 3]!;
      dLast = tf.add(matMul(dLast, x), matMul(prev, dx));
      dPowers.push(dLast);
    }
    const dBlocks = combineBlocks([dx, ...dPowers].slice(0, scheme.p - 1), 1, scheme, plan.degree);
    const y = powers[scheme.p - 2];
    const dy = dPowers[scheme.p - 2];
    let dd = dBlocks[scheme.blocks - 1]!;
    let h = 0;
    for (let j = scheme.blocks - 2; j >= 0; j--) {
      dd = tf.add(dBlocks[j]!, tf.add(matMul(dd, y!), matMul(hornerValues[h++]!, dy!)));
    }
    squaringFactors.forEach((m, j) => {
      const next = tf.add(matMul(dd, m), matMul(m, dd));
      dd = squaringMasks ? tf.add(dd, tf.mul(squaringMasks[j]!, tf.sub(next, dd))) : next;
    });
    return dd;
  });
}

/** Every tensor an {@link ExpmState} holds, `value` included. */
export function expmStateTensors(state: ExpmState): tf.Tensor[] {
  const ts: tf.Tensor[] = [
    state.x,
    state.value,
    ...state.powers,
    ...state.hornerValues,
    ...state.squaringFactors,
  ];
  if (typeof state.scale !== 'number') ts.push(state.scale);
  if (state.squaringMasks) ts.push(...state.squaringMasks);
  return ts;
}

/** Disposes every tensor an {@link ExpmState} holds (but its `value` when `keepValue`). */
export function disposeExpmState(state: ExpmState, keepValue = false): void {
  tf.dispose(expmStateTensors(state).filter((t) => !keepValue || t !== state.value));
}

/** Options of {@link expm}. */
export interface ExpmOptions {
  /**
   * An upper bound on the 2-norm of every matrix in `a` (its Frobenius norm is one). With it
   * the number of products is fixed on the host ({@link expmPlan}); without it the scaling is
   * chosen on the device and {@link MAX_SQUARINGS} masked squarings run. Default: none.
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
