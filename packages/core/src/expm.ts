import * as tf from '@tensorflow/tfjs-core';
import { addTranspose } from './add-transpose';
import { innerProducts } from './inner-product';
import { hasLinearCombinationKernel, linearCombinations } from './linear-combination';
import { matMul } from './mat-mul';
import { transposeMatrices } from './skew';
import { symmetricMatMul, symmetricMatMulSum } from './symmetric-mat-mul';
import { tidy } from './tidy';

/**
 * How a matrix exponential is evaluated: a Taylor polynomial of degree `degree` of `A / 2^s`,
 * then `s = squarings` squarings. Degrees 8, 12 and 18 use forms with fewer products than
 * Paterson–Stockmeyer, which evaluates the others (and every degree with `patersonStockmeyer`).
 * Pick one with {@link expmPlan}.
 */
export interface ExpmPlan {
  readonly degree: number;
  readonly squarings: number;
  /** Paterson–Stockmeyer at every degree: fewer kernel calls, for tiny matrices. */
  readonly patersonStockmeyer?: boolean;
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
 * `θ[m]`: the largest norm ν for which the degree-m Taylor remainder is at most one float32
 * unit roundoff relative to `e^X`. For a general X that is relative to `‖e^X‖ ≥ e^{−ν}`; for
 * a skew-symmetric X (every rotation's), `‖e^X‖₂ = 1` and the bound is simply the roundoff,
 * which allows about 15% larger norms (degree 12: 1.56 instead of 1.19). Bisection at load time.
 */
function thetas(skew: boolean): readonly number[] {
  const out = [0];
  for (let m = 1; m <= MAX_DEGREE; m++) {
    let lo = 0;
    let hi = m + 1;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (taylorRemainder(m, mid) <= UNIT_ROUNDOFF * (skew ? 1 : Math.exp(-mid))) lo = mid;
      else hi = mid;
    }
    out.push(lo);
  }
  return out;
}
const THETA = thetas(false);
const THETA_SKEW = thetas(true);
const thetaTable = (options: ExpmPlanOptions) => (options.skew ? THETA_SKEW : THETA);

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
function cheapestScheme(m: number): Scheme {
  let best = schemeFor(m, 2);
  for (let p = 3; p <= m + 1; p++) {
    const s = schemeFor(m, p);
    if (s.products < best.products) best = s;
  }
  return best;
}

/**
 * One step of a straight-line program that evaluates `D = T(X) − I` for a Taylor polynomial T:
 * a product of two earlier values, or a linear combination of earlier values and I. Value 0 is
 * `X`; step i produces value i + 1; the last value is D.
 */
type Step =
  | { readonly product: readonly [number, number] }
  | {
      readonly identity: number;
      readonly terms: ReadonlyArray<readonly [index: number, coefficient: number]>;
    };

/**
 * A program for the degree-`degree` Taylor polynomial of e^X: its steps, how many are products,
 * and which value is the highest plain power `X^q` it forms (for {@link expmNormBound}).
 */
export interface ExpmProgram {
  readonly degree: number;
  readonly products: number;
  /**
   * Extra cost, in products, {@link expmPlan} charges for the program's rounding (0 but for
   * degree 18, whose coefficients cancel more).
   */
  readonly penalty: number;
  readonly steps: readonly Step[];
  readonly power: { readonly index: number; readonly exponent: number };
  /**
   * For a skew-symmetric X, a higher moment of its eigenvalues than the power gives, from two
   * values: `Σ_λ |λ|^exponent = weight · ⟨value[left], value[right]⟩_F` (degree 8:
   * `Σ|λ|⁶ = −⟨X², A4⟩ / x2`, where the power is only X²).
   */
  readonly moment?: {
    readonly left: number;
    readonly right: number;
    readonly weight: number;
    readonly exponent: number;
  };
  /** The values its derivative reuses: the operands of its products, and the power. */
  readonly kept: ReadonlySet<number>;
  /**
   * Per value, whether it is an even (0) or an odd (1) polynomial of X, or neither (null). For a
   * skew-symmetric X an even value is symmetric and an odd one skew-symmetric.
   */
  readonly parity: ReadonlyArray<0 | 1 | null>;
  /** The steps compiled for the forward pass (with I) and for the derivative (without). */
  readonly ops: readonly [withIdentity: readonly Op[], withoutIdentity: readonly Op[]];
}

function program(
  degree: number,
  steps: Step[],
  power: { index: number; exponent: number },
  penalty = 0,
  moment?: ExpmProgram['moment'],
): ExpmProgram {
  const products = steps.filter((s) => 'product' in s).length;
  const kept = new Set<number>([power.index]);
  if (moment) for (const i of [moment.left, moment.right]) kept.add(i);
  for (const step of steps) if ('product' in step) for (const i of step.product) kept.add(i);
  const ops = [compileSteps(steps, true), compileSteps(steps, false)] as const;
  const parity = parities(steps);
  return { degree, steps, power, ...(moment && { moment }), products, penalty, kept, parity, ops };
}

/** {@link ExpmProgram.parity}: X is odd, I even; products add parities, sums keep a common one. */
function parities(steps: readonly Step[]): (0 | 1 | null)[] {
  const parity: (0 | 1 | null)[] = [1];
  for (const step of steps) {
    if ('product' in step) {
      const l = parity[step.product[0]]!;
      const r = parity[step.product[1]]!;
      parity.push(l === null || r === null ? null : (((l + r) % 2) as 0 | 1));
      continue;
    }
    const own = step.terms.filter(([, c]) => c !== 0).map(([i]) => parity[i]!);
    if (step.identity !== 0) own.push(0);
    parity.push(own.length > 0 && own.every((q) => q !== null && q === own[0]) ? own[0]! : null);
  }
  return parity;
}

/** A combination of two earlier values with unit coefficients: `a + b`. */
function plus(a: number, b: number): Step {
  return {
    identity: 0,
    terms: [
      [a, 1],
      [b, 1],
    ],
  };
}

/** The Paterson–Stockmeyer evaluation of {@link Scheme} as a program. */
function patersonStockmeyer(m: number): ExpmProgram {
  const { p, blocks, q } = cheapestScheme(m);
  const steps: Step[] = [];
  // X^i is value i − 1.
  for (let i = 2; i <= q; i++) steps.push({ product: [i - 2, 0] });
  const firstBlock = steps.length + 1;
  for (let j = 0; j < blocks; j++) {
    const terms: [number, number][] = [];
    for (let i = 1; i < p; i++) terms.push([i - 1, taylorCoefficient(j * p + i, m)]);
    steps.push({ identity: taylorCoefficient(j * p, m), terms });
  }
  let d = firstBlock + blocks - 1;
  for (let j = blocks - 2; j >= 0; j--) {
    steps.push({ product: [d, p - 1] });
    steps.push(plus(firstBlock + j, steps.length));
    d = steps.length;
  }
  return program(m, steps, { index: q - 1, exponent: q });
}

/**
 * Degree 8 in 3 products (Bader, Blanes & Casas, 2019): `A4 = X²(x1 X + x2 X²)`,
 * `A8 = (x3 X² + A4)(x4 I + x5 X + x6 X² + x7 A4)`, `T = I + X + y2 X² + A8`. The coefficients
 * solve the matching conditions with x3 = 2/3 (`scripts/expm-coefficients.py`, to 50 digits);
 * the test beside this file expands the program and checks it against 1/k!.
 */
const T8 = program(
  8,
  [
    { product: [0, 0] }, // 1: X²
    {
      identity: 0,
      terms: [
        [0, 0.1083646567852278],
        [1, 0.02709116419630695],
      ],
    }, // 2
    { product: [1, 2] }, // 3: A4
    {
      identity: 0,
      terms: [
        [1, 2 / 3],
        [3, 1],
      ],
    }, // 4
    {
      identity: 0.5467614579707241,
      terms: [
        [0, 0.16112557339541758],
        [1, 0.014090917158378208],
        [3, 0.033792797010870505],
      ],
    }, // 5
    { product: [4, 5] }, // 6: A8
    {
      identity: 0,
      terms: [
        [0, 1],
        [1, 0.13549236135285064],
        [6, 1],
      ],
    }, // 7: D
  ],
  { index: 1, exponent: 2 },
  0,
  // ⟨X², A4⟩ = tr(X²·(x1 X³ + x2 X⁴)) = x2 tr(X⁶) = −x2 Σ|λ|⁶ (odd powers of a skew X have no
  // trace): a sixth moment where X² alone gives a fourth (random A at n = 256: 1.7·‖A‖₂, not 2.4).
  { left: 1, right: 3, weight: -1 / 0.02709116419630695, exponent: 6 },
);

/**
 * Degree 12 in 4 products: `X⁴ = (X²)²`, `P = B·C + R`, `T = F + (Q + P)·P`, with B, R, Q, F
 * combinations of I, X, X², X⁴ and C of X, X². A variant of Bader, Blanes & Casas' form (which
 * squares a combination of X, X², X³) whose two first products square even powers, so the exact
 * derivative for skew-symmetric A takes 6 products instead of 7; of its one-parameter family, the
 * member with the smallest constants, which rounds 0.3–0.6× as much as that form
 * (`scripts/expm-coefficients.py`). T has no terms above degree 12.
 */
const T12 = program(
  12,
  [
    { product: [0, 0] }, // 1: X²
    { product: [1, 1] }, // 2: X⁴
    {
      identity: 0,
      terms: [
        [0, 2.514540870330681],
        [2, 0.006759518468630863],
      ],
    }, // 3: B
    {
      identity: 0,
      terms: [
        [0, 0.04055711081178518],
        [1, 0.006759518468630863],
      ],
    }, // 4: C
    {
      identity: 0,
      terms: [
        [0, 0.2781056053058027],
        [1, 0.0038266228549985065],
        [2, 0.0036496430534768776],
      ],
    }, // 5: R
    {
      identity: 2.2701183717361935,
      terms: [
        [0, 0.47454977262264286],
        [1, 0.06838172885247461],
        [2, -0.0029129414738886285],
      ],
    }, // 6: Q
    {
      identity: 0, // F's 1, less the I of e^X − I
      terms: [
        [0, 0.36866735611248275],
        [1, 0.05048305797101765],
        [2, -0.002569372382879333],
      ],
    }, // 7: F − I
    { product: [3, 4] }, // 8: B·C
    plus(5, 8), // 9: P
    plus(6, 9), // 10: Q + P
    { product: [10, 9] }, // 11
    plus(7, 11), // 12: D
  ],
  { index: 2, exponent: 4 },
);

/**
 * Degree 18 in 5 products (the same paper's form): `A9 = B1·B5 + B4`, `T = B2 + (B3 + A9)·A9`,
 * with `B_i` combinations of I, X, X², X³, X⁶ (B1 without X⁶); the best in float32 of the four
 * real solutions with A9(0) = 0. Its last product carries `B3 ≈ −11 I`, so it rounds worse than
 * the others: at n = 256 (wasm), ‖X‖₂ = 2.4 and 3.1 its error is 3.3e-6 and 1.1e-5 against 7e-7
 * and 1.3e-6 for degree 12 with one squaring, which costs the same (and as much for the
 * derivative of skew-symmetric matrices: 8 products each).
 * {@link expmPlan} charges it half a product, so it wins only where it saves a whole one.
 */
const T18 = program(
  18,
  [
    { product: [0, 0] }, // 1: X²
    { product: [1, 0] }, // 2: X³
    { product: [2, 2] }, // 3: X⁶
    {
      identity: 0,
      terms: [
        [0, 0.012576716386230051],
        [1, 0.001006137310898404],
        [2, 0.00011179303454426712],
      ],
    }, // 4: B1
    {
      identity: 0,
      terms: [
        [0, 4.257470031066597],
        [1, 1.9532898219453894],
        [3, 0.00011179303454426712],
      ],
    }, // 5: B5
    {
      identity: 0,
      terms: [
        [0, -0.06764045190713819],
        [1, 0.014051137073447325],
        [2, 0.009973088136472621],
        [3, 0.0000011916724786863153],
      ],
    }, // 6: B4
    {
      identity: -11.148502971774368,
      terms: [
        [0, 1.680158138789062],
        [1, 0.05717798464788655],
        [2, -0.0069821012248805206],
        [3, 0.000033497501708607054],
      ],
    }, // 7: B3
    {
      identity: 0, // B2's 1, less the I of e^X − I
      terms: [
        [0, 0.24591022090110864],
        [1, 1.3626670832081904],
        [2, 0.4989210256916943],
        [3, -0.0006409274300585366],
      ],
    }, // 8: B2 − I
    { product: [4, 5] }, // 9: B1·B5
    plus(9, 6), // 10: A9
    plus(7, 10), // 11: B3 + A9
    { product: [11, 10] }, // 12
    plus(8, 12), // 13: D
  ],
  { index: 3, exponent: 6 },
  0.5,
);

/**
 * The cheapest program for each degree 0…MAX_DEGREE: Paterson–Stockmeyer, or one of the
 * Bader–Blanes–Casas forms where it needs fewer products (degree 8 in 3 instead of 4, 12 in 4
 * instead of 5, 18 in 5 instead of 7).
 */
const PS_PROGRAMS: readonly ExpmProgram[] = Array.from({ length: MAX_DEGREE + 1 }, (_, m) =>
  patersonStockmeyer(Math.max(m, 1)),
);
const PROGRAMS: readonly ExpmProgram[] = PS_PROGRAMS.map((ps, m) => {
  const special = m === 8 ? T8 : m === 12 ? T12 : m === 18 ? T18 : null;
  return special && special.products < ps.products ? special : ps;
});

/**
 * Below this size a product costs less than a kernel call, and plans use Paterson–Stockmeyer
 * only: degree 8 in 4 products makes 4 fewer kernel calls (with its derivative) than in 3 (n = 16,
 * K = 8 on wasm: 4% of a RotoGrad step).
 */
const TINY = 32;

/** The program {@link expmForward} runs for a plan (exported for its test). */
export function expmProgram(plan: ExpmPlan): ExpmProgram {
  const p = (plan.patersonStockmeyer ? PS_PROGRAMS : PROGRAMS)[plan.degree];
  if (!p || !Number.isInteger(plan.degree))
    throw new Error(
      `expmProgram: degree must be an integer in 1…${MAX_DEGREE}, got ${plan.degree}`,
    );
  return p;
}

/**
 * The number of `n×n` matrix products {@link expm} runs for a plan. The exact derivative
 * ({@link expmFrechet}) takes twice as many, less one per squaring of an even or odd power of X
 * when A and the direction are skew-symmetric (one or two).
 *
 * ```js
 * expmPlanProducts({degree: 8, squarings: 2});  // 5: three for the polynomial, two squarings
 * ```
 */
export function expmPlanProducts(plan: ExpmPlan): number {
  return expmProgram(plan).products + plan.squarings;
}

/** Options of {@link expmPlan} and {@link expmPlanCoverage}. */
export interface ExpmPlanOptions {
  /**
   * Whether every matrix is skew-symmetric (`Aᵀ = −A`, as the generators of rotations are):
   * then `‖e^A‖₂ = 1`, and the same products cover about 15% larger norms. Default false.
   */
  skew?: boolean;
  /**
   * The matrix size n. Below 32, where a product costs less than a kernel call, the plan uses
   * Paterson–Stockmeyer at every degree ({@link ExpmPlan}), which makes fewer calls at degree 8.
   * Default: large.
   */
  size?: number;
  /**
   * Whether the exponential's exact derivative will be taken too, with A and the direction
   * skew-symmetric ({@link expmFrechetRotated}, as every rotation's gradient is): plans are then
   * compared by the products of both together. Only with `skew`. Default false.
   */
  derivative?: boolean;
  /**
   * Whether a product known to be symmetric or skew-symmetric costs half of one, and such a sum
   * of two products one (the active backend registers {@link SYMMETRIC_MAT_MUL_KERNEL} and
   * {@link SYMMETRIC_MAT_MUL_SUM_KERNEL}). Only with `skew`. Default false.
   */
  triangular?: boolean;
}

/**
 * The cheapest plan (fewest matrix products, {@link expmPlanProducts}; with `derivative`, fewest
 * for the exponential and its exact derivative together) that evaluates `expm(A)`
 * to float32 accuracy for every `A` with `‖A‖₂ ≤ normBound`. The Frobenius norm is such a
 * bound for every matrix; for normal matrices (the skew-symmetric ones of rotations among them)
 * so is `‖A^k‖_F^{1/k}` for every k, which is much tighter for large n.
 *
 * ```js
 * expmPlan(0.1);                 // {degree: 8, squarings: 0}: 3 products
 * expmPlan(3, {skew: true});     // {degree: 12, squarings: 1}: 5 products
 * expmPlan(3, {skew: true, derivative: true, triangular: true});  // {degree: 18, squarings: 0}
 * ```
 */
export function expmPlan(normBound: number, options: ExpmPlanOptions = {}): ExpmPlan {
  if (!(normBound >= 0) || !Number.isFinite(normBound)) {
    throw new Error(`expmPlan: normBound must be a finite number ≥ 0, got ${normBound}`);
  }
  const thetaOf = thetaTable(options);
  const tiny = options.size !== undefined && options.size < TINY;
  const programs = tiny ? PS_PROGRAMS : PROGRAMS;
  const skew = options.skew === true;
  const triangular = skew && options.triangular === true;
  const derivative = skew && options.derivative === true;
  // A squaring: one product, and for the derivative (Ψ carried through it) a product and a
  // skew-symmetric one.
  const squaringCost = 1 + (derivative ? (triangular ? 1.5 : 2) : 0);
  let best: ExpmPlan = { degree: MAX_DEGREE, squarings: MAX_SQUARINGS };
  let bestCost = Number.POSITIVE_INFINITY;
  for (let m = 1; m <= MAX_DEGREE; m++) {
    const theta = thetaOf[m]!;
    const s = normBound <= theta ? 0 : Math.ceil(Math.log2(normBound / theta));
    const prog = programs[m]!;
    const cost = programCost(prog, skew, triangular, derivative) + prog.penalty + s * squaringCost;
    // On a tie prefer the higher degree: fewer squarings accumulate less rounding.
    if (cost <= bestCost && s <= MAX_SQUARINGS) {
      best = { degree: m, squarings: s };
      bestCost = cost;
    }
  }
  return tiny ? { ...best, patersonStockmeyer: true } : best;
}

/**
 * A program's cost in products: its own, and with `derivative` those of its exact derivative in
 * a skew-symmetric direction ({@link polynomialFrechet}: a square of an even or odd power takes
 * one, another product of even or odd polynomials one triangular sum, any other two). With
 * `triangular`, products and sums of known symmetry cost half.
 */
function programCost(
  prog: ExpmProgram,
  skew: boolean,
  triangular: boolean,
  derivative: boolean,
): number {
  if (!skew) return prog.products;
  // Memoized: a model plans every step, over every program.
  const key = (triangular ? 1 : 0) + (derivative ? 2 : 0);
  let costs = programCosts.get(prog);
  if (!costs) {
    costs = [];
    programCosts.set(prog, costs);
  }
  const known = costs[key];
  if (known !== undefined) return known;
  let cost = 0;
  prog.steps.forEach((step, i) => {
    if (!('product' in step)) return;
    const [l, r] = step.product;
    const pure = prog.parity[i + 1] !== null;
    cost += pure && triangular ? 0.5 : 1;
    if (derivative) cost += pure && (l === r || triangular) ? 1 : 2;
  });
  costs[key] = cost;
  return cost;
}

const programCosts = new WeakMap<ExpmProgram, number[]>();

/**
 * The largest `‖A‖₂` a plan is accurate for.
 *
 * ```js
 * expmPlanCoverage({degree: 12, squarings: 1}, {skew: true});  // 3.12
 * ```
 */
export function expmPlanCoverage(plan: ExpmPlan, options: ExpmPlanOptions = {}): number {
  return thetaTable(options)[plan.degree]! * 2 ** plan.squarings;
}

/**
 * Everything the forward pass of {@link expmForward} computed that the Fréchet derivative
 * reuses. Owned by the caller: dispose it with {@link disposeExpmState}.
 */
export interface ExpmState {
  readonly plan: ExpmPlan;
  /** `A` scaled: `X = A · scale` (scale is a number, or a `[..., 1, 1]` tensor when dynamic). */
  readonly scale: number | tf.Tensor;
  /**
   * The values of the plan's program (see {@link ExpmProgram}; `values[0]` is X) that the
   * derivative reuses: the operands of its products, and its highest plain power. The others
   * are `null`.
   */
  readonly values: ReadonlyArray<tf.Tensor | null>;
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

type Combination = Extract<Step, { identity: number }>;

/**
 * Whether scaled additions beat one small `[g, t] × [t, N]` product for combinations of
 * matrices of `size` elements. On wasm, for g = t = 4 at n = 256 (N = 65536): 0.4–0.6 ms against
 * 1.0 ms (XNNPACK packs the whole `[t, N]` operand on every call); at n = 64 the product is as
 * fast and makes fewer kernel calls. Elsewhere the product (fewer dispatches) is kept.
 */
function scaledSumsFaster(size: number): boolean {
  return size >= 128 * 128 && tf.getBackend() === 'wasm';
}

/** A term of a compiled combination: a value index, or -1 for I. */
type Term = readonly [key: number, coefficient: number];

/**
 * A program's steps compiled once (with or without I): products, and runs of
 * linear combinations whose terms all precede the run, each with its distinct terms (`keys`), its
 * `[g, t]` coefficient matrix and, for the scaled-addition path, each row's non-zero terms.
 */
type Op =
  | { readonly product: readonly [number, number] }
  | {
      readonly keys: readonly number[];
      readonly coefficients: readonly number[];
      readonly rows: ReadonlyArray<readonly Term[]>;
    };

function compileSteps(steps: readonly Step[], withIdentity: boolean): Op[] {
  const ops: Op[] = [];
  let values = 1;
  for (let i = 0; i < steps.length; ) {
    const step = steps[i]!;
    if ('product' in step) {
      ops.push({ product: step.product });
      values++;
      i++;
      continue;
    }
    const group: Combination[] = [step];
    while (i + group.length < steps.length) {
      const next = steps[i + group.length]!;
      if ('product' in next || next.terms.some(([index]) => index >= values)) break;
      group.push(next);
    }
    const keys: number[] = [];
    const keyOf = (k: number) => {
      const at = keys.indexOf(k);
      return at >= 0 ? at : keys.push(k) - 1;
    };
    const dense = group.map((c) => {
      const row: number[] = [];
      const add = (k: number, coefficient: number) => {
        const j = keyOf(k);
        row[j] = (row[j] ?? 0) + coefficient;
      };
      if (withIdentity && c.identity !== 0) add(-1, c.identity);
      for (const [index, coefficient] of c.terms) add(index, coefficient);
      return row;
    });
    const coefficients = dense.flatMap((row) => keys.map((_, j) => row[j] ?? 0));
    const rows = dense.map((row) =>
      keys.flatMap((k, j): Term[] => ((row[j] ?? 0) === 0 ? [] : [[k, row[j]!]])),
    );
    ops.push({ keys, coefficients, rows });
    values += group.length;
    i += group.length;
  }
  return ops;
}

/**
 * Runs a program: `first` is X (or dX), `eye` I (null in the derivative pass, where I's terms
 * vanish); a product calls `product(left, right, values)`. A run of g combinations over t
 * distinct terms is one call of the fused {@link LINEAR_COMBINATION_KERNEL} where the backend
 * registers it; otherwise, for t ≥ 2, one `[g, t] × [t, N]` product over the stacked terms,
 * instead of `g · t` scalings and additions, unless {@link scaledSumsFaster}. Returns every value.
 */
function runProgram(
  prog: ExpmProgram,
  first: tf.Tensor,
  eye: tf.Tensor | null,
  product: (left: number, right: number, values: tf.Tensor[]) => tf.Tensor,
): tf.Tensor[] {
  const values: tf.Tensor[] = [first];
  const termOf = (k: number) => (k < 0 ? eye! : values[k]!);
  const fused = hasLinearCombinationKernel();
  for (const op of prog.ops[eye !== null ? 0 : 1]) {
    if ('product' in op) {
      values.push(product(op.product[0], op.product[1], values));
      continue;
    }
    const { keys, coefficients, rows } = op;
    if (fused && rows.some((row) => row.length > 1 || row[0]?.[1] !== 1)) {
      values.push(...linearCombinations(keys.map(termOf), coefficients as number[], rows.length));
      continue;
    }
    if (rows.length > 1 && keys.length > 1 && !scaledSumsFaster(first.size)) {
      const terms = keys.map(termOf);
      // Stack/unstack rather than a reshape per term and per combination: fewer kernel calls.
      const stacked = tf.reshape(tf.stack(terms), [keys.length, -1]);
      const matrix = tf.tensor2d(coefficients as number[], [rows.length, keys.length]);
      const combined = tf.matMul(matrix, stacked);
      values.push(...tf.unstack(tf.reshape(combined, [rows.length, ...first.shape])));
      continue;
    }
    for (const row of rows) {
      let sum: tf.Tensor | null = null;
      for (const [k, coefficient] of row) {
        const term = coefficient === 1 ? termOf(k) : tf.mul(termOf(k), coefficient);
        sum = sum ? tf.add(sum, term) : term;
      }
      values.push(sum ?? tf.zerosLike(first));
    }
  }
  return values;
}

/**
 * Matrix exponential by Taylor expansion with scaling and squaring, kept in "expm1" form
 * (`D = e^X − I`) so small arguments lose no precision. The polynomial is evaluated by the
 * plan's program: degree 8, 12 and 18 in 3, 4 and 5 products, other degrees by
 * Paterson–Stockmeyer (degree 15 in 6 instead of Horner's 14). With a `plan` the number of
 * products is fixed on the host; without one the scaling is chosen on the device from `‖A‖_F`,
 * degree 8, and up to {@link MAX_SQUARINGS} masked squarings are run (always accurate, slower).
 *
 * Returns the value and the intermediates {@link expmFrechet} reuses. Not differentiable by
 * tf.grads on purpose: use {@link expmFrechet} for exact derivatives.
 *
 * ```js
 * const state = expmForward(a, expmPlan(2, { skew: true }), { skew: true });
 * state.value;  // e^A
 * ```
 */
export function expmForward(
  a: tf.Tensor,
  plan?: ExpmPlan,
  options: ExpmForwardOptions = {},
): ExpmState {
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
    const usedPlan: ExpmPlan = { ...plan, degree, squarings };
    const prog = expmProgram(usedPlan);
    const all = runProgram(prog, x, eye, (l, r, vs) => {
      // For a skew X, a product of even or odd polynomials of X is one too (they commute):
      // symmetric or skew-symmetric, so a backend may compute only its lower triangle.
      const parity = options.skew ? prog.parity[vs.length] : null;
      return parity === 0 || parity === 1
        ? symmetricMatMul(vs[l]!, vs[r]!, parity === 0 ? 1 : -1)
        : matMul(vs[l]!, vs[r]!);
    });
    let d = all[all.length - 1]!;
    const values = all.map((v, i) => (prog.kept.has(i) ? v : null));
    // Squarings: (I + D)² = I + (2D + D²).
    const squaringFactors: tf.Tensor[] = [];
    for (let j = 0; j < squarings; j++) {
      squaringFactors.push(tf.add(d, eye));
      const next = tf.add(tf.mul(d, 2), matMul(d, d));
      d = squaringMasks ? tf.add(d, tf.mul(squaringMasks[j]!, tf.sub(next, d))) : next;
    }
    const value = tf.add(d, eye);
    return { plan: usedPlan, scale, values, squaringFactors, squaringMasks, value };
  });
}

/** Options of {@link expmForward}. */
export interface ExpmForwardOptions {
  /**
   * Whether A is skew-symmetric (a rotation's generator). Then every even or odd polynomial of A
   * the program forms (X², X⁴, …) is symmetric or skew-symmetric, and runs through
   * {@link symmetricMatMul} (half the arithmetic where the backend registers its kernel). Wrong
   * results if A is not skew-symmetric. Default false.
   */
  skew?: boolean;
}

/** Options of {@link expmNormBound}. */
export interface ExpmNormBoundOptions {
  /**
   * Whether A is skew-symmetric: then a program with a {@link ExpmProgram.moment} (degree 8)
   * bounds ‖A‖₂ by `(Σ|λ|⁶)^{1/6}` instead of `‖X²‖_F^{1/2}`. Default false.
   */
  skew?: boolean;
}

/**
 * An upper bound on `‖A‖₂` for a normal `A` (skew-symmetric, say), from the values
 * {@link expmForward} formed: `‖X^q‖_F^{1/q} / scale` for the highest power `X^q`, at most
 * `n^{1/(2q)}` times `‖A‖₂` and far tighter than `‖A‖_F` for large n; for a skew-symmetric A and a
 * program with a moment, `(Σ|λ|^e)^{1/e} / scale` (degree 8: e = 6 where its power gives 4). One
 * value per matrix, `[]` or `[k]`.
 *
 * ```js
 * const state = expmForward(a, expmPlan(0.5, {skew: true}));
 * expmNormBound(state, {skew: true});  // ≥ ‖a‖₂, at most n^{1/6}·‖a‖₂
 * ```
 */
export function expmNormBound(state: ExpmState, options: ExpmNormBoundOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const root = normBoundRoots([state], options);
    return typeof state.scale === 'number'
      ? tf.div(root, state.scale)
      : tf.div(root, tf.reshape(state.scale, root.shape));
  });
}

/**
 * {@link expmNormBound} of several states at once, concatenated: `[Σ k_i]` (one entry per 2-D
 * state, k per `[k, n, n]` one). States evaluated with one plan (a group's K rotations) share
 * the final element-wise steps: 2 kernels per state and 5 in all, against 6 per state.
 *
 * ```js
 * const states = as.map((a) => expmForward(a, plan));
 * expmNormBounds(states, {skew: true});  // [K]
 * ```
 */
export function expmNormBounds(
  states: readonly ExpmState[],
  options: ExpmNormBoundOptions = {},
): tf.Tensor1D {
  if (states.length === 0) throw new Error('expmNormBounds: states must not be empty');
  return tf.tidy(() => {
    const { plan, scale } = states[0]!;
    const shared = states.every(
      (s) =>
        typeof s.scale === 'number' &&
        s.scale === scale &&
        s.plan.degree === plan.degree &&
        !!s.plan.patersonStockmeyer === !!plan.patersonStockmeyer,
    );
    if (!shared) {
      return tf.concat(
        states.map((s) => tf.reshape(expmNormBound(s, options), [-1])),
      ) as tf.Tensor1D;
    }
    return tf.div(normBoundRoots(states, options), scale as number) as tf.Tensor1D;
  });
}

/**
 * The roots behind {@link expmNormBound}, before the division by the scale, for states that share
 * a plan: `(Σ|λ|^e)^{1/e}` or `‖X^q‖_F^{1/q}`. One state keeps its own shape (`[]` or `[k]`);
 * several are concatenated.
 */
function normBoundRoots(states: readonly ExpmState[], options: ExpmNormBoundOptions): tf.Tensor {
  const program = expmProgram(states[0]!.plan);
  const moment = options.skew ? program.moment : undefined;
  const sums = states.map((s) => {
    const [a, b] = moment
      ? [s.values[moment.left]!, s.values[moment.right]!]
      : [s.values[program.power.index]!, s.values[program.power.index]!];
    return innerProducts(a, b, a.rank === 3 ? 1 : 0);
  });
  const all =
    sums.length === 1
      ? sums[0]!
      : sums.every((t) => t.rank === 0)
        ? tf.stack(sums)
        : tf.concat(sums.map((t) => tf.reshape(t, [-1])));
  return moment
    ? tf.pow(tf.relu(tf.mul(all, moment.weight)), 1 / moment.exponent)
    : tf.pow(all, 1 / (2 * program.power.exponent));
}

/** Options of {@link expmFrechet}. */
export interface ExpmFrechetOptions {
  /**
   * Whether both A and the direction F are skew-symmetric (a rotation's generator, and a
   * direction tangent to so(n)). Then the derivative of every value that is an even or odd
   * polynomial of A has A's symmetry, and the derivative of squaring one, `dU·U + U·dU`, is
   * `P + Pᵀ` with `P = dU·U`: one product instead of two (X² in every program, X⁴ = (X²)² in
   * degree 12's and X⁶ = (X³)² in degree 18's). Wrong results if either is not skew-symmetric.
   * Default false.
   */
  skew?: boolean;
}

/**
 * The Fréchet derivative `Lexp(A, F) = ∫₀¹ e^{sA} F e^{(1−s)A} ds` of the matrix exponential at
 * the `A` of `state` in direction `F`, exact for the polynomial the forward pass evaluated
 * (two products per product of the forward pass, one per squaring of an even or odd power when
 * `skew`; no 2n×2n block exponential).
 *
 * ```js
 * const state = expmForward(a, expmPlan(2, { skew: true }));
 * const l = expmFrechet(state, k, { skew: true });  // a and k skew-symmetric
 * disposeExpmState(state);
 * ```
 */
export function expmFrechet(
  state: ExpmState,
  f: tf.Tensor,
  options: ExpmFrechetOptions = {},
): tf.Tensor {
  return tf.tidy(() => {
    const { squaringFactors, squaringMasks } = state;
    let dd = polynomialFrechet(state, f, options.skew === true);
    squaringFactors.forEach((m, j) => {
      const next = tf.add(matMul(dd, m), matMul(m, dd));
      dd = squaringMasks ? tf.add(dd, tf.mul(squaringMasks[j]!, tf.sub(next, dd))) : next;
    });
    return dd;
  });
}

/**
 * `Ψ*(F) = Lexp(A, F)·e^{−A} = ∫₀¹ e^{sA} F e^{−sA} ds` at the `A` of `state`, for A and F both
 * skew-symmetric (then Ψ*(F) is skew-symmetric too): the right-trivialized derivative of the
 * exponential, which a rotation `R = B·e^A` needs for the gradient of A. The same matrix as
 * `expmFrechet(state, f, { skew: true })·e^{−A}`, computed through the squarings instead of after
 * them: with `U_j` the factor squared at squaring j (orthogonal, so `U_j⁻¹ = U_jᵀ`) and
 * `Ψ_j = dU_j·U_jᵀ`, squaring gives `Ψ_{j+1} = Ψ_j + U_j Ψ_j U_jᵀ`. Each squaring then costs a
 * product and a skew-symmetric one (`(U_j Ψ_j)·U_jᵀ`, half a product on a backend that
 * registers {@link SYMMETRIC_MAT_MUL_KERNEL}), instead of two products, and the final
 * `·e^{−A}` becomes `dU_0·U_0ᵀ`, skew-symmetric as well. Only exact for skew-symmetric A and F.
 *
 * ```js
 * const state = expmForward(a, expmPlan(3, { skew: true }), { skew: true });
 * const psi = expmFrechetRotated(state, k);  // a and k skew-symmetric; psi = −psiᵀ
 * disposeExpmState(state);
 * ```
 */
export function expmFrechetRotated(state: ExpmState, f: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { squaringFactors, squaringMasks } = state;
    const dd = polynomialFrechet(state, f, true);
    const factors = squaringFactors.length > 0 ? squaringFactors : [state.value];
    const transposed = factors.map((u) => transposeMatrices(u));
    let psi = symmetricMatMul(dd, transposed[0]!, -1);
    squaringFactors.forEach((u, j) => {
      const next = tf.add(psi, symmetricMatMul(matMul(u, psi), transposed[j]!, -1));
      psi = squaringMasks ? tf.add(psi, tf.mul(squaringMasks[j]!, tf.sub(next, psi))) : next;
    });
    return psi;
  });
}

/**
 * The derivative, in direction `f`, of the polynomial `state`'s program evaluated (before any
 * squaring): `d(U·V) = dU·V + U·dV`, with combinations linear and I's derivative 0. With `skew`,
 * a product that squares an even or odd power of A takes one product (`U·dU = (dU·U)ᵀ`).
 */
function polynomialFrechet(state: ExpmState, f: tf.Tensor, skew: boolean): tf.Tensor {
  const { plan, scale, values } = state;
  const prog = expmProgram(plan);
  const dx = typeof scale === 'number' && scale === 1 ? f : tf.mul(f, scale);
  const dValues = runProgram(prog, dx, null, (l, r, ds) => {
    if (skew && l === r && prog.parity[l] !== null) {
      // U = ±Uᵀ and dU = ±dUᵀ with the same sign, so U·dU = (dU·U)ᵀ.
      return addTranspose(matMul(ds[l]!, values[l]!), 1, 1);
    }
    // For a skew X and direction, the derivative of an even or odd polynomial of X is symmetric
    // or skew-symmetric as the polynomial is (each term X^i·dX·X^j transposes to ±X^j·dX·X^i):
    // a backend may compute only the lower triangle of dU·V + U·dV, one product's arithmetic.
    const parity = skew ? prog.parity[ds.length] : null;
    if (parity === 0 || parity === 1)
      return symmetricMatMulSum(ds[l]!, values[r]!, values[l]!, ds[r]!, parity === 0 ? 1 : -1);
    return tf.add(matMul(ds[l]!, values[r]!), matMul(values[l]!, ds[r]!));
  });
  return dValues[dValues.length - 1]!;
}

/** Every tensor an {@link ExpmState} holds, `value` included. */
export function expmStateTensors(state: ExpmState): tf.Tensor[] {
  const ts: tf.Tensor[] = [state.value, ...state.squaringFactors];
  for (const v of state.values) if (v) ts.push(v);
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
  /**
   * Whether `a` is skew-symmetric, which allows cheaper plans ({@link ExpmPlanOptions}) and
   * products ({@link ExpmForwardOptions}). Wrong results if it is not. Default false.
   */
  skew?: boolean;
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
  const plan = options.normBound === undefined ? undefined : expmPlan(options.normBound, options);
  const state = expmForward(a, plan, { skew: options.skew });
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
  const plan = options.normBound === undefined ? undefined : expmPlan(options.normBound, options);
  const state = expmForward(a, plan, { skew: options.skew });
  try {
    return expmFrechet(state, e);
  } finally {
    disposeExpmState(state);
  }
}
