import { relative } from 'node:path';
import { useNodeBackend } from '@rotograd/backend-node';
import { configFromArgs, HELP } from './args';
import { runBenchmark, writeResults } from './benchmark';

async function main(): Promise<void> {
  const { config, out, backend, help } = configFromArgs(process.argv.slice(2));
  if (help) {
    process.stdout.write(HELP);
    return;
  }
  const choice = await useNodeBackend(backend ? { prefer: [backend] } : {});
  const selected = choice.attempts.find((a) => a.ok);
  const skipped = choice.attempts.filter((a) => !a.ok).map((a) => a.backend);
  console.log(
    `Multi-MNIST (${config.mode}) on ${choice.backend}: ${selected?.reason ?? choice.reason}` +
      (skipped.length > 0 ? ` (not available: ${skipped.join(', ')})` : ''),
  );
  console.log(
    `${config.methods.length} methods × ${config.seeds.length} seeds × ${config.train.steps} steps, tasks: ${config.tasks.join(', ')}`,
  );
  const result = await runBenchmark(config, { backend: choice.backend });
  console.log(`\n${result.table}\n`);
  const paths = await writeResults(result, out);
  console.log(`wrote ${paths.map((p) => relative(process.cwd(), p)).join(', ')}`);
  console.log(`total ${result.seconds.toFixed(1)} s`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
