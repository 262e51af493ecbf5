import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProgressBar, type ProgressStream } from '@rotograd/example-kit';
import * as tf from '@tensorflow/tfjs-core';
import { CANVAS_HEIGHT, CANVAS_WIDTH, makeDataset, type Pairs } from './dataset';
import { splitDigits } from './digits';
import { METHODS, type MethodName } from './methods';
import { curvesSvg } from './plot';
import { type MethodSummary, markdownReport, markdownTable, summarize } from './report';
import { DIGIT_TASKS, makeTasks, type Task, type TaskName } from './tasks';
import { type RunResult, type TrainConfig, trainRun } from './train';

/** Everything one benchmark run needs. */
export interface BenchmarkConfig {
  mode: string;
  tasks: TaskName[];
  methods: MethodName[];
  seeds: number[];
  trainPairs: number;
  testPairs: number;
  /** Average-pooling factor of the 28×36 canvas. */
  downsample: number;
  train: Omit<TrainConfig, 'architecture'> & {
    hidden: number[];
    representation: number;
    headHidden: number[];
  };
}

const COMMON = {
  methods: [...METHODS],
  downsample: 2,
  train: {
    batchSize: 128,
    learningRate: 1e-3,
    rotationLearningRate: 5e-4,
    alpha: 1,
    burnInPeriod: 20,
    hidden: [256],
    representation: 64,
    headHidden: [64],
    checkpoints: 10,
    checkpointPairs: 1000,
  },
};

/** `--quick`: the CI setting, about a minute on one core. */
export const QUICK: BenchmarkConfig = {
  ...COMMON,
  mode: 'quick',
  tasks: [...DIGIT_TASKS],
  seeds: [0, 1],
  trainPairs: 4000,
  testPairs: 1000,
  train: { ...COMMON.train, steps: 150 },
};

/** The full benchmark, whose results the README reports. */
export const FULL: BenchmarkConfig = {
  ...COMMON,
  mode: 'full',
  tasks: [...DIGIT_TASKS],
  seeds: [0, 1, 2],
  trainPairs: 20000,
  testPairs: 4000,
  train: { ...COMMON.train, steps: 1500 },
};

/** What {@link runBenchmark} returns. */
export interface BenchmarkResult {
  config: BenchmarkConfig;
  tasks: Task[];
  runs: RunResult[];
  summaries: MethodSummary[];
  /** What guessing scores on each task's test metric (first seed's test pairs). */
  chance: number[];
  table: string;
  markdown: string;
  svg: string;
  seconds: number;
}

/** Options of {@link runBenchmark}. */
export interface RunOptions {
  /** Where the progress bar goes; `null` for none. Default: `process.stderr`. */
  progress?: ProgressStream | null;
  /** The backend's name, for the report. Default: `tf.getBackend()`. */
  backend?: string;
}

/** Trains every method from every seed and builds the table and the plot. */
export async function runBenchmark(
  config: BenchmarkConfig,
  options: RunOptions = {},
): Promise<BenchmarkResult> {
  const started = performance.now();
  const digits = splitDigits();
  const { hidden, representation, headHidden, ...rest } = config.train;
  const bar =
    options.progress === null
      ? null
      : new ProgressBar(
          config.seeds.length * config.methods.length * rest.steps,
          options.progress ?? process.stderr,
        );
  const runs: RunResult[] = [];
  let tasks: Task[] = [];
  let chance: number[] = [];
  let features = 0;
  for (const seed of config.seeds) {
    const data: { train: Pairs; test: Pairs } = makeDataset(
      digits,
      { train: config.trainPairs, test: config.testPairs },
      seed,
      { downsample: config.downsample },
    );
    features = data.train.features;
    tasks = makeTasks(config.tasks, data.train);
    if (chance.length === 0) chance = tasks.map((t) => t.chance(data.test));
    const train: TrainConfig = {
      ...rest,
      architecture: { inputs: features, hidden, representation, headHidden },
    };
    for (const method of config.methods) {
      bar?.setLabel(`${method} seed ${seed}`);
      runs.push(await trainRun(method, seed, tasks, data, train, () => bar?.tick()));
    }
  }
  bar?.finish();
  const summaries = summarize(runs, tasks, config.methods);
  const table = markdownTable(summaries, tasks, chance);
  const seconds = (performance.now() - started) / 1000;
  const h = CANVAS_HEIGHT / config.downsample;
  const w = CANVAS_WIDTH / config.downsample;
  const markdown = markdownReport(
    {
      mode: config.mode,
      backend: options.backend ?? tf.getBackend(),
      seeds: config.seeds,
      steps: rest.steps,
      batchSize: rest.batchSize,
      trainPairs: config.trainPairs,
      testPairs: config.testPairs,
      image: `two 28×28 digits overlaid on a 28×36 canvas (8 columns apart), average-pooled to ${h}×${w}`,
      architecture: `MLP backbone ${[features, ...hidden, representation].join('→')} (ReLU; z = the last layer, all ${representation} components rotated), one MLP head per task ${[representation, ...headHidden].join('→')}→outputs`,
      learningRate: rest.learningRate,
      rotationLearningRate: rest.rotationLearningRate,
      alpha: rest.alpha,
      burnInPeriod: rest.burnInPeriod,
      seconds,
    },
    table,
    tasks,
  );
  const svg = curvesSvg(
    runs,
    tasks,
    config.methods,
    `Multi-MNIST (${config.mode}): ${config.seeds.length} seeds, ${rest.steps} steps`,
  );
  return { config, tasks, runs, summaries, chance, table, markdown, svg, seconds };
}

/** Writes `results.md`, `curves.svg` and `results.json` into `dir`; returns their paths. */
export async function writeResults(result: BenchmarkResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = {
    'results.md': result.markdown,
    'curves.svg': result.svg,
    'results.json': `${JSON.stringify(
      {
        config: result.config,
        seconds: result.seconds,
        chance: result.chance,
        summaries: result.summaries,
        runs: result.runs.map(({ losses: _losses, ...r }) => r),
      },
      null,
      2,
    )}\n`,
  };
  const paths: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, text);
    paths.push(path);
  }
  return paths;
}
