/**
 * An independent float64 re-computation of GradNorm's step quantities (FORMAT.md §4, step 6), in
 * plain JS numbers, for the tests. The logits' gradient is taken by central finite differences of
 * the GradNorm loss, not from the closed form the package uses.
 */

/** `r^α` as documented: exact for integer `α`, `sign(r)·|r|^α` otherwise. */
export function power64(r: number, alpha: number): number {
  return Number.isInteger(alpha) ? r ** alpha : Math.sign(r) * Math.abs(r) ** alpha;
}

export const norm64 = (v: readonly number[]) => Math.sqrt(v.reduce((s, a) => s + a * a, 0));

export function weights64(logits: readonly number[]): number[] {
  const e = logits.map((o) => Math.exp(o) + 1e-15);
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (logits.length * v) / total);
}

export interface GradNorm64 {
  weights: number[];
  taskGradNorms: number[];
  meanWeightedGradNorm: number;
  targets: number[];
  repGrad: number[];
  logitGrads: number[];
}

/** `grads[i]` is task i's gradient on z, flattened. */
export function gradNorm64(
  grads: readonly (readonly number[])[],
  normalizedLosses: readonly number[],
  logits: readonly number[],
  alpha: number,
): GradNorm64 {
  const K = grads.length;
  const w = weights64(logits);
  const nu = grads.map(norm64);
  const repGrad = grads[0]!.map((_, j) => grads.reduce((s, g, i) => s + w[i]! * g[j]!, 0));
  const m = norm64(repGrad.map((v) => v / K));
  const mean = normalizedLosses.reduce((a, b) => a + b, 0) / K;
  const targets = normalizedLosses.map((l) => m * power64(l / mean, alpha));
  const loss = (om: readonly number[]) => {
    const wv = weights64(om);
    return nu.reduce((s, n, i) => s + Math.abs(n * wv[i]! - targets[i]!), 0);
  };
  const h = 1e-6;
  const logitGrads = logits.map((_, j) => {
    const up = logits.map((o, k) => (k === j ? o + h : o));
    const down = logits.map((o, k) => (k === j ? o - h : o));
    return (loss(up) - loss(down)) / (2 * h);
  });
  return { weights: w, taskGradNorms: nu, meanWeightedGradNorm: m, targets, repGrad, logitGrads };
}
