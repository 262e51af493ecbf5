/**
 * Vitest setup: selects the backend the matrix names, so that one suite runs on every engine.
 *
 * In Node the name is ROTOGRAD_TEST_BACKEND:
 * - `cpu` (default): @tensorflow/tfjs-backend-cpu;
 * - `wasm`, `tensorflow` (tfjs-node; fails when it is not importable): @rotograd/backend-node;
 * - `webgpu`: Dawn (the `webgpu` package) through @rotograd/backend-webgpu.
 * In the browser (vitest browser mode) it is `globalThis.__ROTOGRAD_TEST_BACKEND__`, which the
 * matrix defines: `webgl` (@tensorflow/tfjs-backend-webgl) or `webgpu` (`navigator.gpu`).
 *
 * `webgpu` asks for the feature level ROTOGRAD_WEBGPU_FEATURE_LEVEL (Node) or
 * `__ROTOGRAD_WEBGPU_FEATURE_LEVEL__` (browser), `compatibility` by default, the most Mesa's
 * software drivers offer.
 *
 * The backend packages resolve to their sources (the `@rotograd/source` condition of
 * vitest.shared.ts), so e.g. `ROTOGRAD_TEST_BACKEND=webgpu vitest run` needs no build.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const g = globalThis as {
  __ROTOGRAD_TEST_BACKEND__?: string;
  __ROTOGRAD_WEBGPU_FEATURE_LEVEL__?: string;
  document?: unknown;
};
const inBrowser = typeof g.document !== 'undefined';
const env = (name: string) =>
  inBrowser
    ? (g as Record<string, string | undefined>)[`__${name}__`]
    : (process.env[name] as string | undefined);
const backend = env('ROTOGRAD_TEST_BACKEND') ?? 'cpu';
const expected = inBrowser ? ['cpu', 'webgl', 'webgpu'] : ['cpu', 'wasm', 'tensorflow', 'webgpu'];
if (!expected.includes(backend))
  throw new Error(`test backend ${backend}: expected one of ${expected.join(', ')} here`);

if (backend === 'cpu') {
  await tf.setBackend('cpu');
} else if (backend === 'webgl') {
  await import('@tensorflow/tfjs-backend-webgl');
  await tf.setBackend('webgl');
  console.info(
    `[setup-backend] webgl: WebGL ${tf.env().getNumber('WEBGL_VERSION')}, float32 render ${tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')}`,
  );
} else if (backend === 'webgpu') {
  const level = env('ROTOGRAD_WEBGPU_FEATURE_LEVEL') ?? 'compatibility';
  if (level !== 'core' && level !== 'compatibility')
    throw new Error(`webgpu feature level ${level}: expected core or compatibility`);
  const { useWebGPUBackend } = await import('@rotograd/backend-webgpu');
  const { adapter, source } = await useWebGPUBackend({ featureLevel: level });
  console.info(
    `[setup-backend] webgpu: ${source}, ${level} adapter ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ')}`,
  );
} else {
  const { useNodeBackend } = await import('@rotograd/backend-node');
  await useNodeBackend({ prefer: [backend as 'wasm' | 'tensorflow'] });
}
await tf.ready();
if (tf.getBackend() !== backend)
  throw new Error(`test backend ${backend}: selected ${tf.getBackend()} instead`);
