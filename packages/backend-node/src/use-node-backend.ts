import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { restoreWasmKernels, useWasmFastKernels } from './wasm-kernels';

/**
 * The engines `useNodeBackend` can choose, named as TensorFlow.js names their backends.
 *
 * ```ts
 * const never: NodeBackendName[] = ['tensorflow']; // e.g. to leave libtensorflow out
 * ```
 */
export type NodeBackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Options of {@link useNodeBackend}.
 *
 * ```ts
 * await useNodeBackend({ prefer: ['wasm', 'cpu'], log: true });
 * ```
 */
export interface NodeBackendOptions {
  /**
   * The backends to try, best first; the first that initialises is selected. Leave one out to
   * never use it, e.g. `['wasm', 'cpu']` for results that do not depend on libtensorflow.
   * Default: `['tensorflow', 'wasm', 'cpu']`.
   */
  prefer?: readonly NodeBackendName[];
  /**
   * Where the `wasm` backend loads its `.wasm` binaries from: a URL or path prefix ending in `/`,
   * passed to `setWasmPaths`. Ignored when the wasm backend was already initialised.
   * Default: the `dist/` folder of the installed `@tensorflow/tfjs-backend-wasm`.
   */
  wasmPaths?: string;
  /**
   * Reports each attempt, one line each: `true` writes them with `console.info`, a function
   * receives them. With `false` nothing is printed: tfjs's own "install our node backend"
   * banner and libtensorflow's start-up log (when `TF_CPP_MIN_LOG_LEVEL` is unset) are
   * silenced too. Default: `false`.
   */
  log?: boolean | ((message: string) => void);
  /**
   * On `wasm`, replace the backend's matrix-product and slicing kernels with faster equivalents
   * ({@link useWasmFastKernels}): transposed products (every `matMul` gradient) 5–50× faster,
   * slices copied inside the wasm heap; the same results. Default: `true`.
   */
  fastKernels?: boolean;
}

/**
 * One backend `useNodeBackend` tried.
 *
 * ```ts
 * const { attempts } = await useNodeBackend();
 * for (const a of attempts) console.log(a.backend, a.ok, a.reason);
 * ```
 */
export interface NodeBackendAttempt {
  backend: NodeBackendName;
  ok: boolean;
  /** Why it was or was not selected. */
  reason: string;
}

/**
 * What {@link useNodeBackend} selected, and why.
 *
 * ```ts
 * const { backend, reason } = await useNodeBackend();
 * if (backend !== 'tensorflow') console.warn(`slower engine: ${reason}`);
 * ```
 */
export interface NodeBackendChoice {
  /** The backend now selected in `@tensorflow/tfjs-core` (`tf.getBackend()`). */
  backend: NodeBackendName;
  /** Why this backend: what it is, and why the better ones before it were not used. */
  reason: string;
  /** Every backend tried, in order, ending with the selected one. */
  attempts: NodeBackendAttempt[];
}

const DEFAULT_ORDER: readonly NodeBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** The packages that provide the `tensorflow` backend, tried in this order. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .trim();
}

/**
 * Selects the fastest TensorFlow.js engine available in this Node process and says why:
 *
 * 1. `tensorflow`: libtensorflow's native multi-threaded kernels, when the optional peer
 *    `@tensorflow/tfjs-node` (or `@tensorflow/tfjs-node-gpu`, CUDA) is installed;
 * 2. `wasm`: `@tensorflow/tfjs-backend-wasm` with SIMD (single-threaded in Node);
 * 3. `cpu`: plain JavaScript, always available.
 *
 * It prints nothing unless `options.log` asks. It throws only when no backend in
 * `options.prefer` initialises (the message lists every reason).
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { useNodeBackend } from '@rotograd/backend-node';
 *
 * const { backend, reason } = await useNodeBackend();
 * console.log(`training on ${backend}: ${reason}`); // training on wasm: …
 * tf.getBackend(); // 'wasm'
 * ```
 */
export async function useNodeBackend(options: NodeBackendOptions = {}): Promise<NodeBackendChoice> {
  const order = options.prefer ?? DEFAULT_ORDER;
  const say =
    options.log === true
      ? (m: string) => console.info(`[@rotograd/backend-node] ${m}`)
      : typeof options.log === 'function'
        ? options.log
        : () => {};
  const quiet = !options.log;
  const attempts: NodeBackendAttempt[] = [];
  for (const backend of order) {
    const attempt = await tryBackend(backend, options, quiet);
    attempts.push(attempt);
    say(`${backend}: ${attempt.ok ? 'selected' : 'skipped'}: ${attempt.reason}`);
    if (attempt.ok) {
      const skipped = attempts.filter((a) => !a.ok);
      const reason =
        skipped.length === 0
          ? attempt.reason
          : `${attempt.reason} (${skipped.map((a) => `${a.backend} skipped: ${a.reason}`).join('; ')})`;
      return { backend, reason, attempts };
    }
  }
  throw new Error(
    `useNodeBackend: none of ${order.join(', ') || '(an empty list)'} could be selected. ${attempts
      .map((a) => `${a.backend}: ${a.reason}`)
      .join('; ')}`,
  );
}

async function tryBackend(
  backend: NodeBackendName,
  options: NodeBackendOptions,
  quiet: boolean,
): Promise<NodeBackendAttempt> {
  try {
    switch (backend) {
      case 'tensorflow':
        return await tryTensorflow(quiet);
      case 'wasm':
        return await tryWasm(options.wasmPaths, options.fastKernels ?? true);
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        if (!(await select('cpu', quiet)))
          return { backend, ok: false, reason: 'the cpu backend did not initialise' };
        return { backend, ok: true, reason: 'plain JavaScript kernels (the slowest engine)' };
    }
  } catch (e) {
    return { backend, ok: false, reason: `failed: ${firstLine(e)}` };
  }
}

async function tryTensorflow(quiet: boolean): Promise<NodeBackendAttempt> {
  const backend = 'tensorflow';
  const missing: string[] = [];
  const require = createRequire(import.meta.url);
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      require.resolve(`${pkg}/package.json`);
    } catch {
      missing.push(pkg);
      continue;
    }
    // libtensorflow logs its CPU features at start-up unless told otherwise.
    if (quiet && process.env.TF_CPP_MIN_LOG_LEVEL === undefined)
      process.env.TF_CPP_MIN_LOG_LEVEL = '2';
    let mod: { version?: Record<string, string> };
    try {
      // A computed specifier: bundlers and TypeScript must not require the optional peer.
      mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ `${pkg}`)) as typeof mod;
    } catch (e) {
      return {
        backend,
        ok: false,
        reason: `${pkg} is installed but failed to load; its install script downloads libtensorflow, so it must be allowed to run (pnpm: onlyBuiltDependencies): ${firstLine(e)}`,
      };
    }
    if (!tf.findBackendFactory(backend)) {
      return {
        backend,
        ok: false,
        reason: `${pkg} loaded, but registered its backend in a different copy of @tensorflow/tfjs-core (it has ${mod.version?.['tfjs-core'] ?? 'another version'}, this one ${tf.version_core}); install matching versions so that one copy is shared`,
      };
    }
    if (!(await select(backend, quiet)))
      return { backend, ok: false, reason: `${pkg} loaded, but its backend did not initialise` };
    return {
      backend,
      ok: true,
      reason: `${pkg}: libtensorflow's native multi-threaded kernels (the fastest engine in Node)`,
    };
  }
  return {
    backend,
    ok: false,
    reason: `${missing.join(' and ')} not installed (optional; npm install @tensorflow/tfjs-node)`,
  };
}

async function tryWasm(
  wasmPaths: string | undefined,
  fastKernels: boolean,
): Promise<NodeBackendAttempt> {
  const backend = 'wasm';
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const initialised = tf.engine().registry.wasm !== undefined;
  if (!initialised) {
    let prefix = wasmPaths;
    if (prefix === undefined) {
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      prefix = `${pathToFileURL(join(dir, 'dist')).href}/`;
    }
    wasm.setWasmPaths(prefix);
  }
  if (!(await select(backend, true)))
    return { backend, ok: false, reason: 'the wasm backend did not initialise' };
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  if (!fastKernels) restoreWasmKernels();
  const fast = fastKernels && useWasmFastKernels();
  return {
    backend,
    ok: true,
    reason: `WebAssembly kernels (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'one thread'}${fast ? ', fast transposed products, slices and sums' : ''})`,
  };
}

/** Selects a registered backend; with `quiet`, consumes tfjs-cpu's first-use banner. */
async function select(name: NodeBackendName, quiet: boolean): Promise<boolean> {
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  if (quiet) {
    const wasTest = tf.env().getBool('IS_TEST');
    tf.env().set('IS_TEST', true);
    try {
      tf.tensor1d([0]).dispose();
    } finally {
      tf.env().set('IS_TEST', wasTest);
    }
  }
  return true;
}
