/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';

/**
 * Options of {@link useWebGPUBackend}.
 *
 * ```ts
 * await useWebGPUBackend({ featureLevel: 'compatibility', powerPreference: 'low-power' });
 * ```
 */
export interface WebGPUBackendOptions {
  /**
   * The WebGPU feature level of the adapter: `'core'` (full WebGPU: Vulkan, Metal, D3D12) or
   * `'compatibility'`, which also accepts adapters on OpenGL ES / D3D11: older GPUs, and Mesa's
   * software rasteriser llvmpipe on servers without a GPU. Default: `'core'`.
   */
  featureLevel?: 'core' | 'compatibility';
  /** Which GPU to prefer where there are several. Default: `'high-performance'`. */
  powerPreference?: GPUPowerPreference;
  /**
   * Node only: the option lists passed to Dawn's `create()` (the `webgpu` package), tried in
   * order until one gives an adapter, e.g. `[['backend=vulkan'], ['adapter=NVIDIA']]`.
   * Default: `[[]]` (Dawn's choice: Vulkan, Metal or D3D12), plus `['backend=opengles']` when
   * `featureLevel` is `'compatibility'`. Before trying OpenGL ES, `EGL_PLATFORM` is set to
   * `surfaceless` (no display needed) when it is unset.
   */
  dawnOptions?: readonly (readonly string[])[];
}

/**
 * What {@link useWebGPUBackend} selected.
 *
 * ```ts
 * const { source, adapter } = await useWebGPUBackend();
 * console.log(`${source}: ${adapter.vendor} ${adapter.description}`);
 * ```
 */
export interface WebGPUChoice {
  /** Always `'webgpu'`, now selected in `@tensorflow/tfjs-core`. */
  backend: 'webgpu';
  /** Where `navigator.gpu` came from: the browser's, or Dawn through the `webgpu` package. */
  source: 'navigator.gpu' | 'dawn';
  /** The feature level of the adapter in use. */
  featureLevel: 'core' | 'compatibility';
  /** The adapter, as `GPUAdapterInfo` describes it (vendor, architecture, device, description). */
  adapter: { vendor: string; architecture: string; device: string; description: string };
  /** Node only: the Dawn options that gave the adapter. */
  dawnOptions?: readonly string[];
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** The `navigator.gpu` objects this package created with Dawn. */
const dawnGpus = new WeakSet<GPU>();

/**
 * Registers `@tensorflow/tfjs-backend-webgpu` and selects it. In the browser it uses
 * `navigator.gpu`; in Node it first provides `navigator.gpu` (and the `GPU*` globals) through
 * Dawn, the optional peer `webgpu` package, so that a server with a GPU (Vulkan, Metal, D3D12)
 * or a software driver (`featureLevel: 'compatibility'`) trains on WebGPU.
 *
 * Throws when no adapter is found; the message lists what was tried and how to fix it. Read
 * results with `await tensor.data()`: WebGPU cannot read synchronously.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { useWebGPUBackend } from '@rotograd/backend-webgpu';
 *
 * const { adapter } = await useWebGPUBackend({ featureLevel: 'compatibility' });
 * console.log(`training on ${adapter.description}`);
 * const y = tf.square(tf.tensor([1, 2, 3]));
 * console.log(await y.data()); // Float32Array [1, 4, 9]
 * ```
 */
export async function useWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUChoice> {
  const featureLevel = options.featureLevel ?? 'core';
  const powerPreference = options.powerPreference ?? 'high-performance';
  const tried: string[] = [];
  let found: { adapter: GPUAdapter; source: WebGPUChoice['source']; dawn?: readonly string[] };

  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  // Node: Dawn, unless something else (Deno, Bun, a polyfill) already provides navigator.gpu.
  const useDawn =
    isNode && (options.dawnOptions !== undefined || !nav?.gpu || dawnGpus.has(nav.gpu));
  if (!useDawn && nav?.gpu) {
    const adapter = await nav.gpu.requestAdapter({ featureLevel, powerPreference });
    tried.push(`navigator.gpu.requestAdapter({ featureLevel: '${featureLevel}' }) gave no adapter`);
    if (!adapter) throw noAdapter(tried, featureLevel, false);
    found = { adapter, source: 'navigator.gpu' };
  } else if (useDawn) {
    const dawn = await loadDawn(tried);
    const lists =
      options.dawnOptions ?? (featureLevel === 'compatibility' ? [[], ['backend=opengles']] : [[]]);
    let hit: typeof found | undefined;
    for (const list of lists) {
      if (list.includes('backend=opengles') || list.includes('backend=opengl'))
        process.env.EGL_PLATFORM ??= 'surfaceless';
      let gpu: GPU;
      let adapter: GPUAdapter | null;
      try {
        gpu = dawn.create([...list]);
        adapter = await gpu.requestAdapter({ featureLevel, powerPreference });
      } catch (e) {
        tried.push(`Dawn create(${JSON.stringify(list)}) threw: ${firstLine(e)}`);
        continue;
      }
      if (!adapter) {
        tried.push(
          `Dawn create(${JSON.stringify(list)}).requestAdapter({ featureLevel: '${featureLevel}' }) gave no adapter`,
        );
        continue;
      }
      dawnGpus.add(gpu);
      provideNavigatorGpu(gpu, dawn.globals);
      hit = { adapter, source: 'dawn', dawn: list };
      break;
    }
    if (!hit) throw noAdapter(tried, featureLevel, true);
    found = hit;
  } else {
    throw noAdapter(
      ['navigator.gpu is undefined: this browser does not expose WebGPU'],
      featureLevel,
      false,
    );
  }

  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const device = await found.adapter.requestDevice({
    requiredFeatures: (['timestamp-query'] as const).filter((f) => found.adapter.features.has(f)),
    requiredLimits: limitsOf(found.adapter),
  });
  const info = found.adapter.info;
  // Replaces tfjs's own factory (which requests a core adapter) or an earlier registration.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error(
      `useWebGPUBackend: found the adapter "${describe(info)}" but the tfjs webgpu backend did not initialise`,
    );
  }
  await tf.ready();
  return {
    backend: 'webgpu',
    source: found.source,
    featureLevel:
      (found.adapter as { featureLevel?: string }).featureLevel === 'core' ? 'core' : featureLevel,
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
    },
    ...(found.dawn ? { dawnOptions: found.dawn } : {}),
  };
}

async function loadDawn(tried: string[]): Promise<DawnModule> {
  try {
    // A computed specifier keeps the Node-only optional peer out of browser bundles.
    const pkg = 'webgpu';
    return (await import(/* @vite-ignore */ /* webpackIgnore: true */ pkg)) as DawnModule;
  } catch (e) {
    tried.push(`import('webgpu') failed: ${firstLine(e)}`);
    throw new Error(
      `useWebGPUBackend: Node has no navigator.gpu, and Dawn (the \`webgpu\` package, an optional peer) could not be loaded: ${firstLine(e)}. Fix: npm install webgpu`,
    );
  }
}

/** Sets `navigator.gpu` and the `GPU*` constants (`GPUBufferUsage`, …) that WebGPU code expects. */
function provideNavigatorGpu(gpu: GPU, globals: Record<string, unknown>): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else
    Object.defineProperty(g, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
}

/** The limits tfjs's own webgpu factory requests: the adapter's maxima for its kernels. */
function limitsOf(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
}

function noAdapter(tried: string[], featureLevel: string, node: boolean): Error {
  const fixes = [
    featureLevel === 'core'
      ? "pass { featureLevel: 'compatibility' } to accept OpenGL ES / D3D11 adapters (older GPUs, Mesa's software llvmpipe)"
      : undefined,
    node
      ? 'install a GPU driver: on Linux a Vulkan driver (vendor driver, or `apt install mesa-vulkan-drivers`), or for a software fallback `apt install libegl1 libgles2 libgl1-mesa-dri` with featureLevel compatibility'
      : 'use a browser with WebGPU (https://caniuse.com/webgpu); headless Chromium needs --enable-unsafe-webgpu',
    'or choose another backend (cpu, wasm, webgl)',
  ].filter((f): f is string => f !== undefined);
  return new Error(
    `useWebGPUBackend: no WebGPU adapter. Tried: ${tried.join('; ')}. Fix: ${fixes.join('; ')}.`,
  );
}

function describe(info: GPUAdapterInfo): string {
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .trim();
}
