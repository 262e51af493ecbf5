import { REFERENCE_SUCCESS, type SweepSummary } from './figure';
import {
  TOY_METHODS,
  type ToyMethod,
  type ToyRun,
  type ToySettings,
  trainToy,
} from './toy-problem';

/** Every method from every seed. */
export interface SweepResult {
  seeds: number[];
  runs: ToyRun[];
  summary: SweepSummary[];
  seconds: number;
}

/**
 * Trains every method in `methods` from every seed (the same backbone and rotation initialisation
 * for every method of a seed). `onStep` is called after every training step.
 */
export async function runSweep(
  seeds: number[],
  settings: Partial<ToySettings> = {},
  options: {
    methods?: readonly ToyMethod[];
    onRun?: (method: ToyMethod, seed: number) => void;
    onStep?: () => void;
  } = {},
): Promise<SweepResult> {
  const started = performance.now();
  const methods = options.methods ?? TOY_METHODS;
  const runs: ToyRun[] = [];
  for (const seed of seeds) {
    for (const method of methods) {
      options.onRun?.(method, seed);
      runs.push(await trainToy(method, seed, settings, options.onStep));
    }
  }
  const summary = methods.map((method) => ({
    method,
    successes: runs.filter((r) => r.method === method && r.success).length,
    seeds: seeds.length,
  }));
  return { seeds, runs, summary, seconds: (performance.now() - started) / 1000 };
}

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

/** Each run's final distances to the optima, a row per seed (✓: reached both). */
export function distanceTable(result: SweepResult): string {
  const methods = result.summary.map((s) => s.method);
  const head = `${pad('seed', 5)}${methods.map((m) => lpad(`${m} (task 1, task 2)`, 30)).join('')}`;
  const lines = [head, '-'.repeat(head.length)];
  for (const seed of result.seeds) {
    let line = pad(String(seed), 5);
    for (const m of methods) {
      const r = result.runs.find((x) => x.method === m && x.seed === seed)!;
      line += lpad(
        `${r.distances[0].toFixed(3)}, ${r.distances[1].toFixed(3)} ${r.success ? '✓' : ' '}`,
        30,
      );
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** Each method's success rate beside the official implementation's. */
export function successTable(result: SweepResult): string {
  const lines = [
    `${pad('method', 12)}${lpad('reached both optima', 22)}${lpad('official (10 seeds)', 22)}`,
  ];
  lines.push('-'.repeat(lines[0]!.length));
  for (const s of result.summary) {
    const rate = s.seeds === 0 ? 0 : s.successes / s.seeds;
    lines.push(
      `${pad(s.method, 12)}${lpad(`${s.successes}/${s.seeds} (${Math.round(100 * rate)}%)`, 22)}${lpad(`${Math.round(100 * REFERENCE_SUCCESS[s.method])}%`, 22)}`,
    );
  }
  return lines.join('\n');
}
