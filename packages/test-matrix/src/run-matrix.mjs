// The backend test matrix: every workspace package whose vitest suite uses
// @rotograd/testing/setup-backend runs its parity and leak tests on each backend, one fresh
// process per cell. The tests are chosen by name (ROTOGRAD_MATRIX_TESTS, a regex, default
// `replays|leak|arithmetic|reads back|layout`: the suites' convention is "… replays the official
// implementation", "… leaks no tensor …" and "reads back …" (reads that must survive the step
// disposing their tensor, which WebGPU alone fails); `arithmetic` is test/arithmetic.test.ts, the
// measurement behind the one per-engine tolerance; `layout` is test/layout.test.ts, the rotations'
// batched or per-task layout each backend gets), optionally narrowed by file name (ROTOGRAD_MATRIX_FILES, a comma
// list). In the browser, test files that import node: modules are excluded and listed:
//   Node:     cpu, wasm, webgpu (Dawn; Mesa's llvmpipe when there is no GPU), tensorflow
//             (tfjs-node: joins when importable, otherwise reported as skipped with the reason);
//   Chromium: webgl, webgpu (headless Debian chromium through vitest browser mode + Playwright).
// ROTOGRAD_MATRIX=node:cpu,browser:webgl limits the cells; ROTOGRAD_MATRIX_STRICT=1 (CI) fails
// instead of skipping a cell whose prerequisite is missing (except tfjs-node, never in CI). Writes out/matrix.{json,md}; exits 1
// when a cell fails. Nothing is skipped without a reason printed in the summary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = resolve(here, '..');
const packagesDir = resolve(pkgRoot, '..');
const outDir = join(pkgRoot, 'out');
mkdirSync(outDir, { recursive: true });

const ALL = [
  ['node', 'cpu'],
  ['node', 'wasm'],
  ['node', 'webgpu'],
  ['node', 'tensorflow'],
  ['browser', 'webgl'],
  ['browser', 'webgpu'],
];
const only = process.env.ROTOGRAD_MATRIX?.split(',').filter(Boolean);
const cells = only ? ALL.filter(([w, b]) => only.includes(`${w}:${b}`)) : ALL;
const names = process.env.ROTOGRAD_MATRIX_TESTS ?? 'replays|leak|arithmetic|reads back|layout';
const files = (process.env.ROTOGRAD_MATRIX_FILES ?? '').split(',').filter(Boolean);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Packages whose vitest suite selects its backend through @rotograd/testing/setup-backend. */
function suites() {
  const found = [];
  for (const name of readdirSync(packagesDir).sort()) {
    const dir = join(packagesDir, name);
    const manifest = join(dir, 'package.json');
    const config = join(dir, 'vitest.config.ts');
    if (!existsSync(manifest) || !existsSync(config)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    const usesSetup = readFileSync(config, 'utf8').includes('@rotograd/testing/setup-backend');
    if (usesSetup) found.push({ name: pkg.name, dir });
  }
  // The parity suites must never drop out of the matrix unnoticed (a config refactor once did).
  for (const required of ['@rotograd/core', '@rotograd/gradnorm']) {
    if (!found.some((s) => s.name === required)) {
      throw new Error(
        `test-matrix: ${required}'s vitest config does not name @rotograd/testing/setup-backend`,
      );
    }
  }
  return found;
}

/** Why tfjs-node cannot join, or null when it is importable (as @rotograd/backend-node loads it). */
function tfjsNodeUnavailable() {
  const require = createRequire(join(packagesDir, 'backend-node', 'package.json'));
  const problems = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(`${pkg}/package.json`);
    } catch {
      problems.push(`${pkg} is not installed`);
      continue;
    }
    try {
      require(pkg);
      return null;
    } catch (e) {
      problems.push(
        `${pkg} is installed but does not load: ${String(e.message).split('\n')[0].trim()}`,
      );
    }
  }
  return problems.join('; ');
}

function skipReason(where, backend) {
  if (backend === 'tensorflow') return tfjsNodeUnavailable();
  if (where === 'browser' && !existsSync(chromium)) {
    const reason = `no Chromium at ${chromium} (apt install chromium, or set CHROMIUM_PATH)`;
    if (process.env.ROTOGRAD_MATRIX_STRICT) throw new Error(`ROTOGRAD_MATRIX_STRICT: ${reason}`);
    return reason;
  }
  return null;
}

/** Test files that cannot load in a browser (they import node: modules), with the reason. */
function browserExclusions(dir) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.test.ts')) {
        const m = readFileSync(f, 'utf8').match(/from '(node:[\w/]+)'/);
        if (m) out.push({ file: relative(dir, f), reason: `imports ${m[1]}` });
      }
    }
  };
  walk(join(dir, 'src'));
  walk(join(dir, 'test'));
  return out;
}

function run(args, env) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(here, 'run-suite.mjs'), ...args], {
      env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('close', (code) => done({ code, output }));
  });
}

const results = [];
const t0 = Date.now();
for (const [where, backend] of cells) {
  const cell = `${where}:${backend}`;
  const skip = skipReason(where, backend);
  if (skip) {
    results.push({ cell, status: 'skipped', reason: skip });
    console.log(`[matrix] ${cell}: SKIPPED: ${skip}`);
    continue;
  }
  for (const suite of suites()) {
    const report = join(
      outDir,
      `${cell.replace(':', '-')}-${suite.name.replace(/\W+/g, '_')}.json`,
    );
    const started = Date.now();
    const excluded = where === 'browser' ? browserExclusions(suite.dir) : [];
    const { code, output } = await run([where, backend, suite.dir, report, names, ...files], {
      ROTOGRAD_MATRIX_EXCLUDE: JSON.stringify(excluded.map((e) => e.file)),
    });
    const seconds = (Date.now() - started) / 1000;
    let json = null;
    try {
      json = JSON.parse(readFileSync(report, 'utf8'));
    } catch {}
    // The parity suites log "<fixture>: … x% of the bound …" per fixture: keep the worst.
    const parity = [...output.matchAll(/^([\w ]+): .*?([\d.]+)% of the bound.*$/gm)];
    const worst = parity.reduce((m, p) => Math.max(m, Number(p[2])), 0);
    const pattern = new RegExp(names);
    const selected = (json?.testResults ?? []).flatMap((t) =>
      t.assertionResults
        .filter((a) => pattern.test(a.fullName))
        .map((a) => ({ ...a, file: relative(suite.dir, t.name) })),
    );
    const engine = output.match(/\[setup-backend\] (.*)/)?.[1];
    const r = {
      cell,
      package: suite.name,
      status: code === 0 && json?.success !== false ? 'passed' : 'failed',
      files: [...new Set(selected.filter((a) => a.status !== 'skipped').map((a) => a.file))],
      passed: json?.numPassedTests ?? 0,
      failed: json?.numFailedTests ?? 0,
      // Skipped among the selected tests; the ones the name filter leaves out are not counted.
      skipped: selected.filter((a) => a.status === 'skipped' || a.status === 'pending').length,
      fixtures: parity.length,
      worstPercentOfBound: parity.length ? worst : null,
      engine,
      excluded,
      seconds,
    };
    results.push(r);
    console.log(
      `[matrix] ${cell} ${suite.name}: ${r.status.toUpperCase()}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped in ${r.files.length} files (${r.files.join(', ') || `no test matches /${names}/${files.length ? ` in files matching ${files.join('|')}` : ''}`})${r.fixtures ? `; ${r.fixtures} fixtures, worst parity error ${worst}% of the bound` : ''} [${seconds.toFixed(1)} s]`,
    );
    for (const p of parity) console.log(`  ${p[0]}`);
    for (const e of excluded) console.log(`  excluded here: ${e.file} (${e.reason})`);
    if (r.status !== 'passed' || process.env.ROTOGRAD_MATRIX_VERBOSE) console.log(output);
  }
}

const total = (Date.now() - t0) / 1000;
const lines = [
  `| cell | package | status | tests (pass/fail/skip) | fixtures | worst parity error (% of bound) | excluded files | time |`,
  `| --- | --- | --- | --- | --- | --- | --- | --- |`,
  ...results.map((r) =>
    r.status === 'skipped'
      ? `| ${r.cell} | all | skipped: ${r.reason} | | | | | |`
      : `| ${r.cell} | ${r.package} | ${r.status} | ${r.passed}/${r.failed}/${r.skipped} | ${r.fixtures} | ${r.worstPercentOfBound ?? ''} | ${r.excluded.map((e) => `${e.file} (${e.reason})`).join(', ')} | ${r.seconds.toFixed(1)} s |`,
  ),
];
writeFileSync(
  join(outDir, 'matrix.json'),
  `${JSON.stringify({ results, seconds: total }, null, 2)}\n`,
);
writeFileSync(join(outDir, 'matrix.md'), `${lines.join('\n')}\n`);
console.log(`\n[matrix] ${total.toFixed(1)} s\n${lines.join('\n')}`);
const failed = results.filter((r) => r.status === 'failed');
if (failed.length > 0) {
  console.error(
    `[matrix] ${failed.length} failed: ${failed.map((r) => `${r.cell} ${r.package}`).join(', ')}`,
  );
  process.exit(1);
}
