import type { MethodName } from './methods';
import { improvement, mean, std } from './stats';
import type { Task } from './tasks';
import type { RunResult } from './train';

/** One method's results over the seeds. */
export interface MethodSummary {
  method: MethodName;
  seeds: number;
  /** Per task: mean and standard deviation of the final test metric over the seeds. */
  mean: number[];
  std: number[];
  /** Per task: the improvement of the mean over VanillaMTL's mean, in % (positive is better). */
  improvement: number[] | null;
  /** The mean of `improvement` over the tasks. */
  meanImprovement: number | null;
  /** Mean wall time of one run, in seconds. */
  seconds: number;
}

/** Groups the runs by method (in `methods` order) and compares each with VanillaMTL. */
export function summarize(
  runs: readonly RunResult[],
  tasks: readonly Task[],
  methods: readonly MethodName[],
): MethodSummary[] {
  const base = runs.filter((r) => r.method === 'VanillaMTL');
  const baseMean = tasks.map((_, t) => mean(base.map((r) => r.metrics[t]!)));
  return methods.flatMap((method): MethodSummary[] => {
    const mine = runs.filter((r) => r.method === method);
    if (mine.length === 0) return [];
    const m = tasks.map((_, t) => mean(mine.map((r) => r.metrics[t]!)));
    const imp =
      method === 'VanillaMTL' || base.length === 0
        ? null
        : tasks.map((task, t) => improvement(m[t]!, baseMean[t]!, task.higherIsBetter));
    return [
      {
        method,
        seeds: mine.length,
        mean: m,
        std: tasks.map((_, t) => std(mine.map((r) => r.metrics[t]!))),
        improvement: imp,
        meanImprovement: imp ? mean(imp) : null,
        seconds: mean(mine.map((r) => r.seconds)),
      },
    ];
  });
}

function signed(v: number, digits = 2): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}%`;
}

/**
 * The results as a Markdown table: one row per method, one column per task
 * (`mean ± std (improvement over VanillaMTL)`), the mean improvement, the time per run, and a
 * last row with what guessing scores.
 */
export function markdownTable(
  summaries: readonly MethodSummary[],
  tasks: readonly Task[],
  chance: readonly number[],
): string {
  const header = [
    'method',
    ...tasks.map((t) => `${t.name}: ${t.metric} ${t.higherIsBetter ? '↑' : '↓'}`),
    'mean Δ vs VanillaMTL',
    's / run',
  ];
  const align = ['---', ...tasks.map(() => '---:'), '---:', '---:'];
  const rows = summaries.map((s) => [
    s.method,
    ...tasks.map((_, t) => {
      const cell = `${s.mean[t]!.toFixed(2)} ± ${s.std[t]!.toFixed(2)}`;
      return s.improvement ? `${cell} (${signed(s.improvement[t]!)})` : cell;
    }),
    s.meanImprovement === null ? '—' : signed(s.meanImprovement),
    s.seconds.toFixed(1),
  ]);
  rows.push(['chance', ...chance.map((c) => c.toFixed(2)), '', '']);
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The settings a report states above its table. */
export interface ReportSettings {
  mode: string;
  backend: string;
  seeds: number[];
  steps: number;
  batchSize: number;
  trainPairs: number;
  testPairs: number;
  image: string;
  architecture: string;
  learningRate: number;
  rotationLearningRate: number;
  alpha: number;
  burnInPeriod: number;
  seconds: number;
}

/** The whole Markdown report: settings, table, and how to read it. */
export function markdownReport(
  settings: ReportSettings,
  table: string,
  tasks: readonly Task[],
): string {
  const s = settings;
  return `# Multi-MNIST results (${s.mode})

- tasks: ${tasks.map((t) => `\`${t.name}\` (${t.description})`).join(', ')}
- data: ${s.trainPairs} training and ${s.testPairs} test pairs, ${s.image}; test pairs are built from digits no training pair uses
- network: ${s.architecture}
- training: ${s.steps} steps of batch ${s.batchSize}, Adam ${s.learningRate} (backbone, heads), Adam ${s.rotationLearningRate} (rotations, GradNorm weights); α = ${s.alpha}; burn-in ${s.burnInPeriod} steps
- seeds: ${s.seeds.join(', ')} (each seed fixes the data, the initial weights and rotations, and the batches; every method of a seed starts from the same weights)
- backend: ${s.backend}; total wall time ${(s.seconds / 60).toFixed(1)} min

${table}

Cells are the test metric's mean ± standard deviation over the seeds; in parentheses, the mean's
relative improvement over VanillaMTL's (positive is better, also for errors). \`chance\` is the
majority class (accuracies) or always predicting the median (MAE).
`;
}
