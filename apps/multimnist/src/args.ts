import { parseArgs } from 'node:util';
import type { NodeBackendName } from '@rotograd/backend-node';
import { type BenchmarkConfig, FULL, QUICK } from './benchmark';
import { METHODS, type MethodName } from './methods';
import { ALL_TASKS, DIGIT_TASKS, type TaskName } from './tasks';

export const HELP = `Multi-MNIST benchmark of VanillaMTL, RotateOnly, RotoGrad, RotoGradNorm and GradNorm.

Usage: node dist/cli.js [options]      (pnpm start: full mode; pnpm quick: --quick)

  --quick              the CI setting (2 seeds, 150 steps, 4000 training pairs)
  --tasks LIST         digits (left,right; default), all (+ sum, parity, pixels), or a list
  --methods LIST       comma-separated subset of ${METHODS.join(',')}
  --seeds N            seeds 0 … N−1 (quick: 2, full: 3)
  --steps N            training steps per run (quick: 150, full: 1500)
  --train N, --test N  numbers of training and test pairs
  --batch N            batch size (128)
  --lr X               Adam's learning rate for backbone and heads (1e-3)
  --rotation-lr X      Adam's learning rate for rotations and GradNorm weights (5e-4)
  --alpha X            GradNorm's α for RotoGradNorm and GradNorm (1)
  --backend NAME       tensorflow | wasm | cpu (default: the fastest available)
  --out DIR            where results.md, curves.svg, results.json go (out/<mode>)
  --help               this text
`;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return n;
}

function taskList(value: string | undefined): TaskName[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'digits') return [...DIGIT_TASKS];
  if (value === 'all') return [...ALL_TASKS];
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!ALL_TASKS.includes(n as TaskName)) {
      throw new Error(`--tasks: unknown task ${n} (known: ${ALL_TASKS.join(', ')})`);
    }
  }
  return names as TaskName[];
}

function methodList(value: string | undefined): MethodName[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!METHODS.includes(n as MethodName)) {
      throw new Error(`--methods: unknown method ${n} (known: ${METHODS.join(', ')})`);
    }
  }
  // VanillaMTL is the baseline of every improvement: keep the canonical order.
  return METHODS.filter((m) => names.includes(m));
}

/** The benchmark configuration the command line asks for. */
export function configFromArgs(argv: string[]): {
  config: BenchmarkConfig;
  out: string;
  backend?: NodeBackendName;
  help: boolean;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      tasks: { type: 'string' },
      methods: { type: 'string' },
      seeds: { type: 'string' },
      steps: { type: 'string' },
      train: { type: 'string' },
      test: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      'rotation-lr': { type: 'string' },
      alpha: { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const preset = values.quick ? QUICK : FULL;
  const seeds = positiveInt(values.seeds, 'seeds');
  const backend = values.backend as NodeBackendName | undefined;
  if (backend !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(backend)) {
    throw new Error('--backend must be tensorflow, wasm or cpu');
  }
  const config: BenchmarkConfig = {
    ...preset,
    tasks: taskList(values.tasks) ?? preset.tasks,
    methods: methodList(values.methods) ?? preset.methods,
    seeds: seeds === undefined ? preset.seeds : Array.from({ length: seeds }, (_, i) => i),
    trainPairs: positiveInt(values.train, 'train') ?? preset.trainPairs,
    testPairs: positiveInt(values.test, 'test') ?? preset.testPairs,
    train: {
      ...preset.train,
      steps: positiveInt(values.steps, 'steps') ?? preset.train.steps,
      batchSize: positiveInt(values.batch, 'batch') ?? preset.train.batchSize,
      learningRate: positiveNumber(values.lr, 'lr') ?? preset.train.learningRate,
      rotationLearningRate:
        positiveNumber(values['rotation-lr'], 'rotation-lr') ?? preset.train.rotationLearningRate,
      alpha: positiveNumber(values.alpha, 'alpha') ?? preset.train.alpha,
    },
  };
  if (config.tasks.length > 2) config.mode = `${config.mode}, ${config.tasks.length} tasks`;
  return {
    config,
    out: values.out ?? `out/${preset.mode}${config.tasks.length > 2 ? '-all-tasks' : ''}`,
    backend,
    help: values.help ?? false,
  };
}
