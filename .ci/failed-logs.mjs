// After a red `pnpm test`: prints the end of each failed task's log, so that a CI log cut to its
// last lines still says why (turbo streams every task's output interleaved, and the matrix's
// long report comes last). Reads the newest run summary (`turbo run --summarize`).
import { readdirSync, readFileSync } from 'node:fs';

const dir = '.turbo/runs';
let names = [];
try {
  names = readdirSync(dir).filter((n) => n.endsWith('.json'));
} catch {
  console.log('failed-logs: no turbo run summary found');
  process.exit(0);
}
const newest = names
  .map((n) => ({ n, s: JSON.parse(readFileSync(`${dir}/${n}`, 'utf8')) }))
  .sort((a, b) => (a.s.execution?.startTime ?? 0) - (b.s.execution?.startTime ?? 0))
  .pop();
const failed = (newest?.s.tasks ?? []).filter((t) => t.execution && t.execution.exitCode !== 0);
for (const t of failed) {
  let lines = [];
  try {
    lines = readFileSync(t.logFile, 'utf8').split('\n');
  } catch (e) {
    lines = [`(no log: ${e.message})`];
  }
  const tail = lines.slice(-Number(process.env.FAILED_LOG_LINES ?? 120));
  console.log(
    `\n===== ${t.taskId} failed (exit ${t.execution.exitCode}); last ${tail.length} lines of ${t.logFile} =====`,
  );
  console.log(tail.join('\n'));
}
if (failed.length === 0) console.log('failed-logs: every task in the newest run summary passed');
