import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { useNodeBackend } from '@rotograd/backend-node';
import { ProgressBar } from '@rotograd/example-kit';
import { HELP, parseArgs } from './args';
import { renderFigure } from './figure';
import { distanceTable, runSweep, successTable } from './sweep';
import { TOY_METHODS } from './toy-problem';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  // WebAssembly by default: for these tiny tensors it beats libtensorflow's per-op overhead.
  const choice = await useNodeBackend({ prefer: args.backend ? [args.backend] : ['wasm', 'cpu'] });
  console.log(`RotoGrad toy problem on ${choice.backend}: ${choice.reason}`);
  console.log(
    `${TOY_METHODS.length} methods × ${args.seeds.length} seeds (${args.seeds[0]}…${args.seeds.at(-1)}) × ${args.steps} steps`,
  );
  const bar = new ProgressBar(TOY_METHODS.length * args.seeds.length * args.steps);
  const result = await runSweep(
    args.seeds,
    { steps: args.steps },
    {
      onRun: (method, seed) => bar.setLabel(`${method} seed ${seed}`),
      onStep: () => bar.tick(),
    },
  );
  bar.finish();

  console.log(`\nFinal distance of each task's mean prediction to its optimum (✓: both < 0.1)\n`);
  console.log(distanceTable(result));
  console.log(`\n${successTable(result)}\n`);

  const figureSeed =
    args.figureSeed ??
    result.runs.find((r) => r.method === 'RotoGrad' && r.success)?.seed ??
    args.seeds[0]!;
  const svg = renderFigure({
    runs: result.runs.filter((r) => r.seed === figureSeed),
    seed: figureSeed,
    summary: result.summary,
    steps: args.steps,
  });
  await mkdir(args.out, { recursive: true });
  const svgPath = join(args.out, 'toy.svg');
  const jsonPath = join(args.out, 'results.json');
  await writeFile(svgPath, svg);
  await writeFile(
    jsonPath,
    JSON.stringify(
      {
        backend: choice.backend,
        steps: args.steps,
        seeds: result.seeds,
        figureSeed,
        summary: result.summary,
        runs: result.runs.map(({ method, seed, final, distances, success, seconds }) => ({
          method,
          seed,
          final,
          distances,
          success,
          seconds,
        })),
        seconds: result.seconds,
      },
      null,
      2,
    ),
  );
  console.log(
    `figure (seed ${figureSeed}): ${relative(process.cwd(), svgPath)}; results: ${relative(process.cwd(), jsonPath)}`,
  );
  console.log(`total ${result.seconds.toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
