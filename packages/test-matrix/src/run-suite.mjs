// One cell of the matrix: runs one package's vitest suite (its own vitest.config.ts, filtered to
// the matrix's tests) on one backend, in Node or in headless Chromium, and writes vitest's JSON
// report. Usage: node run-suite.mjs <node|browser> <backend> <package dir> <report.json>
//   <test-name regex> [file filters…]
import { resolve } from 'node:path';
import { startVitest } from 'vitest/node';

const [where, backend, pkgDir, report, names, ...filters] = process.argv.slice(2);
const root = resolve(pkgDir);
const source = '@rotograd/source';
const mode = 'development|production';

/** @type {import('vitest/node').UserConfig} */
const viteOverrides = {
  // Workspace packages resolve to their sources on Vite's server side too (core's config sets
  // only the client side), so that no build is needed.
  ssr: { resolve: { conditions: [source, 'module', 'node', mode] } },
};
/** @type {import('vitest/node').CliOptions} */
const options = {
  root,
  config: resolve(root, 'vitest.config.ts'),
  run: true,
  watch: false,
  passWithNoTests: true,
  ...(names ? { testNamePattern: names } : {}),
  // Test files the matrix found unable to load in this environment (listed in its summary).
  ...(process.env.ROTOGRAD_MATRIX_EXCLUDE
    ? { exclude: JSON.parse(process.env.ROTOGRAD_MATRIX_EXCLUDE) }
    : {}),
  reporters: ['default', 'json'],
  outputFile: { json: resolve(report) },
};

if (where === 'browser') {
  const { playwright } = await import('@vitest/browser-playwright');
  viteOverrides.resolve = { conditions: [source, 'module', 'browser', mode] };
  viteOverrides.define = {
    'globalThis.__ROTOGRAD_TEST_BACKEND__': JSON.stringify(backend),
    'globalThis.__ROTOGRAD_WEBGPU_FEATURE_LEVEL__': JSON.stringify(
      process.env.ROTOGRAD_WEBGPU_FEATURE_LEVEL ?? 'compatibility',
    ),
  };
  viteOverrides.test = {
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          // Debian's chromium; nothing is downloaded.
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--enable-unsafe-webgpu',
            '--no-sandbox',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  };
} else {
  process.env.ROTOGRAD_TEST_BACKEND = backend;
}

const vitest = await startVitest('test', filters, options, viteOverrides);
await vitest?.close();
process.exit(process.exitCode ?? 0);
