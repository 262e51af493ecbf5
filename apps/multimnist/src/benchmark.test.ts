import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BenchmarkConfig, QUICK, runBenchmark } from './benchmark';
import { makeDataset } from './dataset';
import { splitDigits } from './digits';
import { METHODS } from './methods';
import { makeTasks } from './tasks';
import { trainRun } from './train';

/** The quick mode's pipeline on a tiny budget. */
const TINY: BenchmarkConfig = {
  ...QUICK,
  mode: 'tiny',
  seeds: [0],
  trainPairs: 2000,
  testPairs: 500,
  train: { ...QUICK.train, steps: 80, checkpoints: 2, checkpointPairs: 200 },
};

describe('the quick pipeline on a tiny budget', async () => {
  const before = tf.memory().numTensors;
  const result = await runBenchmark(TINY, { progress: null });
  const after = tf.memory().numTensors;

  it('trains every method, and every one beats chance on both digits by far', () => {
    expect(result.runs.map((r) => r.method)).toEqual([...METHODS]);
    for (const run of result.runs) {
      run.metrics.forEach((m, t) => {
        // 80 steps of batch 128 reach 50–70%; guessing the majority class gets about 11%.
        expect(m, `${run.method} ${result.tasks[t]!.name}`).toBeGreaterThan(result.chance[t]! + 25);
      });
      // The training losses fell.
      for (const l of run.losses) expect(l.at(-1)!).toBeLessThan(0.7 * l[0]!);
    }
  });

  it('leaks no tensor across the training loop, nor across a whole run', () => {
    for (const run of result.runs) expect(run.leakedTensors, run.method).toBe(0);
    expect(after - before).toBe(0);
  });

  it('writes a well-formed table, with VanillaMTL as the baseline', () => {
    const lines = result.table.split('\n');
    expect(lines).toHaveLength(2 + METHODS.length + 1);
    const columns = lines[0]!.split(' | ').length;
    for (const line of lines) {
      expect(line).toMatch(/^\| .* \|$/);
      expect(line.split(' | ')).toHaveLength(columns);
    }
    expect(lines[2]).toMatch(/^\| VanillaMTL \| \d+\.\d\d ± \d+\.\d\d \|/);
    for (const line of lines.slice(3, 2 + METHODS.length)) {
      expect(line).toMatch(/ \((\+|−)\d+\.\d\d%\) \|/);
    }
    expect(result.markdown).toContain(result.table);
  });

  it('plots the training curves of every method and task', () => {
    expect(result.svg.startsWith('<svg ')).toBe(true);
    expect(result.svg.trim().endsWith('</svg>')).toBe(true);
    // One loss line and one test-metric line per method and task.
    const paths = result.svg.match(/<path /g) ?? [];
    expect(paths).toHaveLength(METHODS.length * TINY.tasks.length * 2);
    expect(result.svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('trainRun', () => {
  const digits = splitDigits();
  const data = makeDataset(digits, { train: 1000, test: 300 }, 5);
  const config = {
    ...QUICK.train,
    steps: 15,
    checkpoints: 1,
    checkpointPairs: 100,
    architecture: {
      inputs: data.train.features,
      hidden: [64],
      representation: 16,
      headHidden: [16],
    },
  };

  it('is reproducible from the seed', async () => {
    const tasks = makeTasks(['left', 'right'], data.train);
    const a = await trainRun('RotoGrad', 5, tasks, data, config);
    const b = await trainRun('RotoGrad', 5, tasks, data, config);
    expect(b.losses).toEqual(a.losses);
    expect(b.metrics).toEqual(a.metrics);
  });

  it('trains all five tasks with every method', async () => {
    const tasks = makeTasks(['left', 'right', 'sum', 'parity', 'pixels'], data.train);
    for (const method of METHODS) {
      const r = await trainRun(method, 1, tasks, data, config);
      expect(r.metrics.every(Number.isFinite), method).toBe(true);
      expect(r.losses.map((l) => l.length)).toEqual([15, 15, 15, 15, 15]);
      expect(r.leakedTensors).toBe(0);
    }
  });
});
