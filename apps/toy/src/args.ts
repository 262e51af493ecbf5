/** The command line of the toy app. */
export interface ToyArgs {
  seeds: number[];
  steps: number;
  figureSeed: number | null;
  out: string;
  backend: 'tensorflow' | 'wasm' | 'cpu' | null;
  help: boolean;
}

export const HELP = `Usage: node dist/cli.js [options]

Trains VanillaMTL, RotateOnly and RotoGrad on the RotoGrad paper's 2-D toy problem from several
seeds, prints each run's final distance to the optima and each method's success rate, and draws
the loss landscapes with one seed's trajectories.

  --seeds N         seeds 0 … N−1 (default 10)
  --first-seed S    start the seeds at S (default 0)
  --steps N         training steps per run (default 400)
  --figure-seed S   the seed the figure shows (default: the first seed where RotoGrad succeeds)
  --out DIR         where toy.svg and results.json go (default out; --quick: out/quick)
  --backend NAME    tensorflow, wasm or cpu (default: wasm, else cpu)
  --quick           the CI setting: seeds 3 and 4 only
  --help            this text
`;

function int(flag: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) {
    throw new Error(`${flag} needs an integer ≥ ${min}, got ${value ?? 'nothing'}`);
  }
  return n;
}

export function parseArgs(argv: string[]): ToyArgs {
  let count = 10;
  let first = 0;
  let steps = 400;
  let figureSeed: number | null = null;
  let out: string | null = null;
  let backend: ToyArgs['backend'] = null;
  let quick = false;
  let help = false;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const next = () => argv[++k];
    if (a === '--seeds') count = int(a, next(), 1);
    else if (a === '--first-seed') first = int(a, next(), 0);
    else if (a === '--steps') steps = int(a, next(), 1);
    else if (a === '--figure-seed') figureSeed = int(a, next(), 0);
    else if (a === '--out') out = next() ?? 'out';
    else if (a === '--backend') {
      const b = next();
      if (b !== 'tensorflow' && b !== 'wasm' && b !== 'cpu') {
        throw new Error(`--backend must be tensorflow, wasm or cpu, got ${b}`);
      }
      backend = b;
    } else if (a === '--quick') quick = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a === '--') continue;
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (quick) {
    count = 2;
    first = 3;
  }
  const seeds = Array.from({ length: count }, (_, k) => first + k);
  if (figureSeed !== null && !seeds.includes(figureSeed)) {
    throw new Error(`--figure-seed ${figureSeed} is not among the seeds ${seeds.join(', ')}`);
  }
  return { seeds, steps, figureSeed, out: out ?? (quick ? 'out/quick' : 'out'), backend, help };
}
