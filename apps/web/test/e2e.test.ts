import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: ViteDevServer;
let browser: Browser;
const t0 = performance.now();
/** Seconds since the file started, for the log: CI runs this beside the whole test matrix. */
const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

beforeAll(async () => {
  // Workspace packages resolve to their sources (no build needed), as in every other test.
  server = await createServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    server: { port: 0, host: '127.0.0.1' },
    resolve: { conditions: ['@rotograd/source', 'module', 'browser', 'development'] },
  });
  await server.listen();
  // Transform the page's modules (and wait for the pre-bundled tfjs) before a browser asks for
  // them: on a cold cache and a loaded machine that is most of the page's start-up.
  await server.warmupRequest('/src/main.ts');
  console.log(`dev server warm at ${since()}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // A software GPU on a loaded machine can be slow enough for the watchdog to kill it.
      '--disable-gpu-watchdog',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(query: string, onLog: (line: string) => void) {
  const page = await browser.newPage({ viewport: { width: 1240, height: 860 } });
  const lines: string[] = [];
  onTestFailed(() => console.log(`page log:\n${lines.join('\n')}`));
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => onLog(`page error: ${e.stack ?? e.message}`));
  page.on('console', (m) => m.type() === 'error' && onLog(`console: ${m.text()}`));
  await page.goto(`${server.resolvedUrls!.local[0]!}${query}`);
  // Set when training starts, or to 'error' when it cannot.
  await page.waitForFunction(() => document.body.dataset.state !== undefined, undefined, {
    timeout: 300_000,
  });
  console.log(`${query}: ${await page.textContent('[data-testid=status]')} at ${since()}`);
  return page;
}

/**
 * Waits for `done` to hold in the page, failing at once, with the page's status line, if the page
 * reports an error. The timeout only catches a page that has stopped: SwiftShader's WebGPU is a
 * few steps a second alone and far slower while CI runs the browser matrix beside this test.
 */
async function until(page: Page, what: string, done: () => boolean, timeout = 300_000) {
  await page.waitForFunction(`document.body.dataset.state === 'error' || (${done})()`, undefined, {
    timeout,
  });
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error')
    throw new Error(`waiting for ${what}: ${await page.textContent('[data-testid=status]')}`);
}

const number = async (page: Page, id: string) =>
  Number(await page.textContent(`[data-testid=${id}]`));

describe('the live toy page', () => {
  const log: string[] = [];

  it('trains on the best backend it finds (WebGPU here) and says which', async () => {
    const page = await openPage('?seed=4', (l) => log.push(l));
    await until(
      page,
      'step 8',
      // Two frames: the first compiles every shader (most of the time on SwiftShader).
      () => Number(document.getElementById('status')?.textContent?.match(/step (\d+)/)?.[1]) >= 8,
    );
    const backend = await page.textContent('[data-testid=backend]');
    console.log(
      `default page: backend ${backend}, ${await page.textContent('[data-testid=status]')} at ${since()}`,
    );
    expect(['webgpu', 'webgl', 'cpu']).toContain(backend);
    for (const m of ['VanillaMTL', 'RotoGrad']) {
      for (const t of [0, 1])
        expect(Number.isFinite(await number(page, `dist-${m}-${t}`))).toBe(true);
    }
    mkdirSync(join(root, 'out'), { recursive: true });
    await page.screenshot({ path: join(root, 'out', 'e2e-training.png') });
    await page.close();
    expect(log).toEqual([]);
  });

  it('trains all 400 steps of seed 4 (cpu backend): RotoGrad reaches both optima, VanillaMTL cannot', async () => {
    const page = await openPage('?seed=4&backend=cpu', (l) => log.push(l));
    await until(page, 'the end of training', () => document.body.dataset.state !== 'training');
    expect(await page.textContent('[data-testid=backend]')).toBe('cpu');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    const vanilla = [
      await number(page, 'dist-VanillaMTL-0'),
      await number(page, 'dist-VanillaMTL-1'),
    ];
    const rotograd = [await number(page, 'dist-RotoGrad-0'), await number(page, 'dist-RotoGrad-1')];
    console.log(
      `${await page.textContent('[data-testid=status]')} at ${since()}; distances VanillaMTL ${vanilla}, RotoGrad ${rotograd}`,
    );
    mkdirSync(join(root, 'out'), { recursive: true });
    await page.screenshot({ path: join(root, 'out', 'e2e.png') });
    // VanillaMTL: both tasks see the same point, so at most one optimum is reached.
    expect(Math.max(...vanilla)).toBeGreaterThan(1);
    expect(Math.max(...rotograd)).toBeLessThan(0.1);
    expect(await page.textContent('[data-testid=ok-RotoGrad]')).toBe('✓');
    await page.close();
    expect(log).toEqual([]);
  });

  it('says so, and stops, when no backend it may use initialises', async () => {
    const page = await openPage('?backend=webgpx', (l) => log.push(l));
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('error');
    expect(await page.textContent('[data-testid=status]')).toBe(
      "error: no TensorFlow.js backend initialised: webgpx (Backend name 'webgpx' not found in registry)",
    );
    expect(await page.textContent('[data-testid=backend]')).toBe('none');
    await page.close();
    expect(log).toEqual([]);
  });
});
