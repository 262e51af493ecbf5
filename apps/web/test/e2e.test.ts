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
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--enable-unsafe-webgpu',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
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
  await page.waitForFunction(() => document.body.dataset.state !== undefined, undefined, {
    timeout: 60_000,
  });
  return page;
}

const number = async (page: Page, id: string) =>
  Number(await page.textContent(`[data-testid=${id}]`));

describe('the live toy page', () => {
  const log: string[] = [];

  it('trains on the best backend it finds (WebGPU here) and says which', async () => {
    const page = await openPage('?seed=4', (l) => log.push(l));
    // Headless Chromium's WebGPU is SwiftShader (a software GPU): a few steps a second alone, and
    // far fewer while CI runs the browser backend matrix beside this test. The timeouts only
    // catch a page that has stopped; speed is the benchmarks' business.
    await page.waitForFunction(
      () => Number(document.getElementById('status')?.textContent?.match(/step (\d+)/)?.[1]) >= 12,
      undefined,
      { timeout: 180_000 },
    );
    const backend = await page.textContent('[data-testid=backend]');
    console.log(
      `default page: backend ${backend}, ${await page.textContent('[data-testid=status]')}`,
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
    await page.waitForFunction(() => document.body.dataset.state !== 'training', undefined, {
      timeout: 240_000,
    });
    expect(await page.textContent('[data-testid=backend]')).toBe('cpu');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    const vanilla = [
      await number(page, 'dist-VanillaMTL-0'),
      await number(page, 'dist-VanillaMTL-1'),
    ];
    const rotograd = [await number(page, 'dist-RotoGrad-0'), await number(page, 'dist-RotoGrad-1')];
    console.log(
      `${await page.textContent('[data-testid=status]')}; distances VanillaMTL ${vanilla}, RotoGrad ${rotograd}`,
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
});
