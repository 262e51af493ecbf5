import { describe, expect, it } from 'vitest';
import { makePairs } from './dataset';
import { splitDigits } from './digits';
import { markdownReport, markdownTable, summarize } from './report';
import { improvement, mean, smooth, std } from './stats';
import { makeTasks } from './tasks';
import type { RunResult } from './train';

const pairs = makePairs(splitDigits().train, 200, 1);
const tasks = makeTasks(['left', 'pixels'], pairs);

function run(method: RunResult['method'], seed: number, metrics: number[]): RunResult {
  return {
    method,
    seed,
    metrics,
    losses: [[1], [1]],
    checkpoints: [],
    seconds: 2,
    leakedTensors: 0,
  };
}

/** The cells of each row of a Markdown table; throws on a line that is not a table row. */
function parseTable(md: string): string[][] {
  return md.split('\n').map((line) => {
    if (!line.startsWith('| ') || !line.endsWith(' |')) throw new Error(`not a row: ${line}`);
    return line.slice(2, -2).split(' | ');
  });
}

describe('stats', () => {
  it('mean, sample std, and improvements with the sign of "better"', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(std([1, 2, 3])).toBeCloseTo(1);
    expect(std([5])).toBe(0);
    expect(improvement(90, 80, true)).toBeCloseTo(12.5);
    expect(improvement(8, 10, false)).toBeCloseTo(20);
    expect(improvement(12, 10, false)).toBeCloseTo(-20);
    expect(smooth([2, 2, 2], 0.9)).toEqual([2, 2, 2].map(() => expect.closeTo(2)));
  });
});

describe('markdownTable', () => {
  const runs = [
    run('VanillaMTL', 0, [80, 10]),
    run('VanillaMTL', 1, [82, 12]),
    run('RotoGrad', 0, [88, 9]),
    run('RotoGrad', 1, [90, 9]),
  ];
  const summaries = summarize(runs, tasks, ['VanillaMTL', 'RotoGrad', 'GradNorm']);
  const table = markdownTable(summaries, tasks, [11.5, 40]);
  const rows = parseTable(table);

  it('is a well-formed table: a header, an alignment row, one row per method, chance', () => {
    expect(rows).toHaveLength(2 + 2 + 1);
    const columns = rows[0]!.length;
    expect(columns).toBe(1 + tasks.length + 2);
    for (const r of rows) expect(r).toHaveLength(columns);
    expect(rows[1]!.every((c) => /^-{3}:?$/.test(c))).toBe(true);
    expect(rows.map((r) => r[0])).toEqual(['method', '---', 'VanillaMTL', 'RotoGrad', 'chance']);
    expect(rows[0]![1]).toBe('left: accuracy % ↑');
    expect(rows[0]![2]).toBe('pixels: MAE ↓');
  });

  it('reports mean ± std over seeds and the improvement over VanillaMTL', () => {
    const [, , vanilla, rotograd] = rows;
    expect(vanilla!.slice(1)).toEqual(['81.00 ± 1.41', '11.00 ± 1.41', '—', '2.0']);
    // accuracy: (89 − 81) / 81 = +9.88%; MAE: (11 − 9) / 11 = +18.18% (lower is better)
    expect(rotograd!.slice(1)).toEqual([
      '89.00 ± 1.41 (+9.88%)',
      '9.00 ± 0.00 (+18.18%)',
      '+14.03%',
      '2.0',
    ]);
    expect(rows[4]!.slice(1, 3)).toEqual(['11.50', '40.00']);
  });

  it('is embedded in a report that states the settings', () => {
    const md = markdownReport(
      {
        mode: 'test',
        backend: 'wasm',
        seeds: [0, 1],
        steps: 10,
        batchSize: 8,
        trainPairs: 100,
        testPairs: 50,
        image: '14×18',
        architecture: 'MLP',
        learningRate: 1e-3,
        rotationLearningRate: 5e-4,
        alpha: 1,
        burnInPeriod: 20,
        seconds: 90,
      },
      table,
      tasks,
    );
    expect(md).toContain(`\n${table}\n`);
    expect(md).toMatch(/^# Multi-MNIST results \(test\)/);
    expect(md).toContain('10 steps of batch 8');
  });
});
