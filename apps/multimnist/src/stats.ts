/** The mean of `values`. */
export function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** The sample standard deviation (n − 1); 0 for a single value. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * The relative improvement of `value` over `baseline` in %, positive when better: for a metric
 * where higher is better `(value − baseline) / |baseline|`, otherwise `(baseline − value) / |baseline|`.
 */
export function improvement(value: number, baseline: number, higherIsBetter: boolean): number {
  const diff = higherIsBetter ? value - baseline : baseline - value;
  return (100 * diff) / Math.abs(baseline);
}

/** An exponential moving average of `values` (`beta` of the previous average kept each step). */
export function smooth(values: readonly number[], beta: number): number[] {
  const out: number[] = [];
  let avg = 0;
  values.forEach((v, i) => {
    avg = beta * avg + (1 - beta) * v;
    out.push(avg / (1 - beta ** (i + 1)));
  });
  return out;
}
