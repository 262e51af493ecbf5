/**
 * Bundles the built bench (`dist/bench.js`) into `dist/standalone/`, a folder that runs on a
 * machine with Node and nothing else installed (no pnpm, no registry): a GPU box, say.
 * `@tensorflow/*` and `@rotograd/*` are bundled in; Dawn (the `webgpu` package) is copied beside
 * it with only this platform's binary. The wasm backend is left out (its `.wasm` files are
 * resolved from its own package), so the standalone bench runs cpu and webgpu.
 *
 *   pnpm --filter @rotograd/bench build && node scripts/standalone.mjs
 *   node dist/standalone/bench.mjs --backends=webgpu --out=gpu   # writes dist/results/gpu.*
 *
 * On a server GPU, WebGPU goes through Vulkan: the machine needs libvulkan.so.1 and the GPU
 * vendor's Vulkan driver.
 */
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'standalone');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'bench.js')],
  outfile: join(out, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // TF.js marks its backends' registration as side-effect free in places; keep every import.
  ignoreAnnotations: true,
  external: ['webgpu', '@rotograd/backend-node', '@tensorflow/tfjs-backend-wasm'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
});
// Dawn: its loader and this platform's binary (the package ships five platforms, ~130 MB).
const require = createRequire(join(root, '..', 'backend-webgpu', 'package.json'));
const dawn = dirname(require.resolve('webgpu/package.json'));
const platform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
const to = join(out, 'node_modules', 'webgpu');
mkdirSync(join(to, 'dist'), { recursive: true });
for (const f of ['index.js', 'package.json', 'LICENSE.md']) cpSync(join(dawn, f), join(to, f));
cpSync(join(dawn, 'dist', platform), join(to, 'dist', platform), { recursive: true });
const { version } = JSON.parse(readFileSync(join(dawn, 'package.json'), 'utf8'));
console.info(`${out}: bench.mjs, webgpu ${version} (${platform})`);
