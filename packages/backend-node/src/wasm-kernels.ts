import * as tf from '@tensorflow/tfjs-core';
import { ADD_TRANSPOSE, addTransposeWasm } from './add-transpose';
import { eachMatrixWithTile, matrixAddresses, SIMD_PANEL } from './heap-matrices';
import { INNER_PRODUCT, innerProductWasm } from './inner-product';
import { LINEAR_COMBINATION, linearCombinationWasm } from './linear-combination';
import { simdFunctions } from './simd-module';
import { SQUARED_NORMS, squaredNormsWasm } from './squared-norms';
import {
  SYMMETRIC_MAT_MUL,
  SYMMETRIC_MAT_MUL_SUM,
  symmetricProductWasm,
} from './symmetric-product';
import type { WasmBackend } from './wasm-backend';
import { WEIGHTED_SUM, weightedSumWasm } from './weighted-sum';

/** The wasm backend's own kernel configs, kept while ours are registered. */
const originals = new Map<string, tf.KernelConfig>();

function transposeLastTwo(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/** The backend's `BatchMatMul` entry point, wrapped once per module (`cwrap`). */
type BatchMatMulFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;
const batchMatMulFns = new WeakMap<object, BatchMatMulFn>();

/**
 * A tensor registered at `byteOffset` inside another's memory, sharing it (no copy). Released by
 * {@link dropView}, never by `disposeData` (which would free the memory it points into).
 */
function viewAt(backend: WasmBackend, shape: number[], byteOffset: number): tf.TensorInfo {
  return backend.makeOutput(shape, 'float32', byteOffset);
}

function dropView(backend: WasmBackend, view: tf.TensorInfo): void {
  const { id } = backend.dataIdMap.get(view.dataId)!;
  // Also drops any XNNPACK operator cached on this id (the backend's disposal callback).
  backend.wasm.tfjs.disposeData(id);
  backend.dataIdMap.delete(view.dataId);
}

/**
 * `[batch, m, k] × [batch, k, n]` as `batch` plain 2-D products inside one kernel call, each on
 * XNNPACK's path: every operand and result matrix is a view registered inside the batch's own
 * memory, so nothing is copied. (The backend's own batched product runs a generic loop, ~10×
 * slower.) Both operands must be rank 3 without transposes; a batch of 1 on either side is
 * broadcast.
 */
function batchAsLoop(a: tf.TensorInfo, b: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const [ba, m, k] = a.shape as [number, number, number];
  const [bb, , n] = b.shape as [number, number, number];
  const batch = Math.max(ba, bb);
  const out = backend.makeOutput([batch, m, n], 'float32');
  let run = batchMatMulFns.get(backend.wasm);
  if (!run) {
    run = backend.wasm.cwrap(tf.BatchMatMul, null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]) as BatchMatMulFn;
    batchMatMulFns.set(backend.wasm, run);
  }
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
  const idOf = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.id;
  for (const [ai, bi, ci] of matrixAddresses(a, b, out, backend)) {
    const views = [
      viewAt(backend, [1, m, k], ai),
      viewAt(backend, [1, k, n], bi),
      viewAt(backend, [1, m, n], ci),
    ] as const;
    try {
      run(idOf(views[0]), aShape, 3, idOf(views[1]), bShape, 3, 0, 0, idOf(views[2]));
    } finally {
      for (const v of views) dropView(backend, v);
    }
  }
  return out;
}

/** Whether plain products run on our SIMD kernel where it applies ({@link simdProduct}). */
let simdProducts = true;
/** Whether {@link SYMMETRIC_MAT_MUL} computes only the lower triangle. */
let symmetricProducts = true;

/**
 * `[m, k] × [k, n]`, or `[batch, m, k] × [batch, k, n]` with a batch of 1 broadcast, on our SIMD
 * kernel (`mm`, {@link simdFunctions}) when m is even, n a multiple of 16 and k at most 4096;
 * else `undefined`. XNNPACK, which the backend's kernel calls, first packs the right operand into
 * its own layout, and caches that only per tensor: every product of new tensors pays it (8
 * `[64,64]` products of fresh operands: 375 µs against 126–189 µs here; `[256,256]`: 12.1
 * against 9.1 ms).
 */
function simdProduct(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  backend: WasmBackend,
): tf.TensorInfo | undefined {
  const rank = a.shape.length;
  if (!simdProducts || rank !== b.shape.length || (rank !== 2 && rank !== 3)) return undefined;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const [ba, m, k] = (rank === 3 ? a.shape : [1, ...a.shape]) as [number, number, number];
  const [bb, kb, n] = (rank === 3 ? b.shape : [1, ...b.shape]) as [number, number, number];
  if (k !== kb || (ba !== bb && ba !== 1 && bb !== 1)) return undefined;
  // Panels of `width` columns (a multiple of 16) whose k × width floats fit in SIMD_PANEL.
  const width = Math.min(n, Math.floor(SIMD_PANEL / k / 16) * 16);
  if (m === 0 || k === 0 || m % 2 !== 0 || n === 0 || n % 16 !== 0 || width === 0) return undefined;
  const batch = Math.max(ba, bb);
  const out = backend.makeOutput(rank === 3 ? [batch, m, n] : [m, n], 'float32');
  const { mm } = simdFunctions(backend);
  if (width === n) {
    for (const [ai, bi, ci] of matrixAddresses(a, b, out, backend)) mm(ai, bi, ci, m, k, n, n, n);
    return out;
  }
  // Each panel copied first into a scratch matrix whose rows are `width` floats apart: walked in
  // place, its rows are n floats apart, often a multiple of 4 kB, and map to the same cache sets
  // (`[256,256]×[256,2048]`: 15.8 ms in place, 12.9 ms copied).
  const scratch = backend.makeOutput([k, width], 'float32');
  try {
    // Addresses and the heap's view taken after the last allocation (which may grow the heap).
    const s = backend.typedArrayFromHeap(scratch).byteOffset;
    const heap = new Float32Array(backend.wasm.asm.memory.buffer);
    for (const [ai, bi, ci] of matrixAddresses(a, b, out, backend))
      for (let j = 0; j < n; j += width) {
        const w = Math.min(width, n - j);
        for (let r = 0; r < k; r++) {
          const from = bi / 4 + r * n + j;
          heap.copyWithin(s / 4 + r * w, from, from + w);
        }
        mm(ai, s, ci + j * 4, m, k, w, w, n);
      }
  } finally {
    backend.disposeData(scratch.dataId);
  }
  return out;
}

function withoutTransposes(original: tf.KernelFunc, plainProducts: boolean): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as WasmBackend;
    const { transposeA, transposeB } = (attrs ?? {}) as {
      transposeA?: boolean;
      transposeB?: boolean;
    };
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const batched =
      plainProducts &&
      a.shape.length === 3 &&
      b.shape.length === 3 &&
      Math.max(a.shape[0]!, b.shape[0]!) > 1 &&
      a.dtype === 'float32';
    const simd = plainProducts && simdProducts;
    if (!transposeA && !transposeB && !batched && !simd) return original(args);
    const temporaries: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo) => {
      const t = transposeLastTwo(x, backend);
      temporaries.push(t);
      return t;
    };
    try {
      const a1 = transposeA ? flip(a) : a;
      const b1 = transposeB ? flip(b) : b;
      const y = simd ? simdProduct(a1, b1, backend) : undefined;
      if (y) return y;
      const plain = { ...attrs, transposeA: false, transposeB: false };
      if (batched) return batchAsLoop(a1, b1, backend);
      return original({ inputs: { ...inputs, a: a1, b: b1 }, backend, attrs: plain });
    } finally {
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
}

/**
 * A slice copied inside the wasm heap. (The backend's own Slice reads its whole input out of the
 * heap into a fresh JavaScript buffer first: for a 64-row slice of a `[2048, 256]` matrix it
 * copies all 2 MB, and allocating such buffers is slow.)
 */
function sliceInHeap(
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
  backend: WasmBackend,
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const count = tf.util.sizeFromShape(size);
  if (count === 0) return out;
  // Views taken after makeOutput: an allocation may have grown (and moved) the heap.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  const offsetOf = (index: number[]) =>
    index.reduce((acc, v, i) => acc + (begin[i]! + v) * (i < strides.length ? strides[i]! : 1), 0);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const start = offsetOf(size.map(() => 0));
    to.set(from.subarray(start, start + count));
    return out;
  }
  // Runs along the last axis, a whole stretch of the second-to-last axis per call of the SIMD
  // module's strided copy (`cp`), odometer over the other axes. (A subarray and set per run
  // allocates: the 2048 runs of a [256, 512] split took 0.2–0.3 ms.)
  const rank = size.length;
  const width = from.BYTES_PER_ELEMENT;
  const run = size[rank - 1]! * width;
  const rows = size[rank - 2]!;
  const rowStride = strides[rank - 2]! * width;
  const index = new Array<number>(rank).fill(0);
  const { cp } = simdFunctions(backend);
  for (let written = 0; written < count * width; written += rows * run) {
    cp(
      from.byteOffset + offsetOf(index) * width,
      to.byteOffset + written,
      rows,
      run,
      rowStride,
      run,
    );
    for (let axis = rank - 3; axis >= 0; axis--) {
      if (++index[axis]! < size[axis]!) break;
      index[axis] = 0;
    }
  }
  return out;
}

const fastSlice: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as number[][];
  return sliceInHeap(x, b!, s!, backend as WasmBackend);
};

const fastSplitV: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { numOrSizeSplits, axis } = attrs as unknown as {
    numOrSizeSplits: number | number[];
    axis: number | number[];
  };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[ax] = s;
    const part = sliceInHeap(x, [...begin], size, backend as WasmBackend);
    begin[ax]! += s;
    return part;
  });
};

const fastUnpack: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { value } = inputs as { value: tf.TensorInfo };
  const rank = value.shape.length;
  let { axis } = attrs as unknown as { axis: number };
  if (axis < 0) axis += rank;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const size = [...value.shape];
  size[axis] = 1;
  return Array.from({ length: value.shape[axis]! }, (_, i) => {
    const begin = value.shape.map(() => 0);
    begin[axis] = i;
    const part = sliceInHeap(value, begin, size, backend as WasmBackend);
    return { ...part, shape: outShape };
  });
};

/**
 * `tf.clone` (and every `Identity`) sharing the input's memory, as the cpu backend does: tensors
 * are immutable (variables are reassigned, not written), so the copy the wasm backend makes is
 * never needed.
 */
const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const b = backend as WasmBackend;
  const { x } = inputs as { x: tf.TensorInfo };
  b.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Whether `perm` swaps the last two axes of a rank-`rank` tensor and keeps the others. */
function swapsLastTwo(perm: readonly number[], rank: number): boolean {
  if (perm.length !== rank || rank < 2) return false;
  for (let i = 0; i < rank - 2; i++) if (perm[i] !== i) return false;
  return perm[rank - 2] === rank - 1 && perm[rank - 1] === rank - 2;
}

/** The tile side of {@link simdTranspose}. */
const BLOCK = 32;

/**
 * `Transpose` of the last two axes of a float32 or int32 `[rows, cols]` matrix (or a
 * `[k, rows, cols]` batch), rows and cols multiples of 32, on the SIMD module
 * ({@link simdTranspose}); every other transpose on the backend's own kernel. That kernel writes
 * the output column by column, `rows` elements apart, and when `rows` is a multiple of 128 those
 * writes alias in the cache (measured here: `[256, 256]` 217 µs, `[2048, 256]` 4.3 ms).
 */
function fastTranspose(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    const rank = x.shape.length;
    if (
      (x.dtype === 'float32' || x.dtype === 'int32') &&
      (rank === 2 || rank === 3) &&
      swapsLastTwo(perm, rank) &&
      x.shape[rank - 2]! % BLOCK === 0 &&
      x.shape[rank - 1]! % BLOCK === 0
    )
      return simdTranspose(x, args.backend as WasmBackend);
    return original(args);
  };
}

/**
 * `Transpose` of the last two axes of a 4-byte `[rows, cols]` matrix or `[k, rows, cols]` batch,
 * rows and cols multiples of 32, on the SIMD module's `tr` (32×32 tiles of 4×4 shuffled blocks
 * through a 4 kB scratch). Measured with `tf.transpose` here: `[256, 256]` 40 µs (in a RotoGrad
 * step 30 µs, against 72 µs for the backend's kernel on a `[8, 32, 8, 32]` view in 32×32 blocks,
 * which this replaced), `[2048, 256]` 0.16 ms, `[8, 256, 256]` 0.12 ms (1.7 ms), `[64, 64]` 4 µs.
 */
function simdTranspose(x: tf.TensorInfo, backend: WasmBackend): tf.TensorInfo {
  const lead = x.shape.slice(0, -2);
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const out = backend.makeOutput([...lead, cols, rows], x.dtype);
  const { tr } = simdFunctions(backend);
  eachMatrixWithTile(x, out, backend, (from, to, scratch) => tr(from, to, rows, cols, scratch));
  return out;
}

/** Our replacement for each wrapped kernel, given the backend's own. */
const REPLACEMENTS: Record<string, (original: tf.KernelConfig) => tf.KernelFunc> = {
  [tf.BatchMatMul]: (o) => withoutTransposes(o.kernelFunc, true),
  [tf._FusedMatMul]: (o) => withoutTransposes(o.kernelFunc, false),
  [tf.Slice]: (o) => stringsToOriginal(o.kernelFunc, fastSlice, 'x'),
  [tf.SplitV]: (o) => stringsToOriginal(o.kernelFunc, fastSplitV, 'x'),
  [tf.Unpack]: (o) => stringsToOriginal(o.kernelFunc, fastUnpack, 'value'),
  [tf.Identity]: (o) => stringsToOriginal(o.kernelFunc, sharedIdentity, 'x'),
  [tf.Transpose]: (o) => fastTranspose(o.kernelFunc),
  [tf.Sqrt]: (o) => simdSqrt(o.kernelFunc),
};

/**
 * `Sqrt` of float32 tensors on the SIMD module, four lanes at a time (`f32x4.sqrt`, correctly
 * rounded as the backend's scalar loop is): a `[256, 256]` tensor in 32 µs against 95 µs, which
 * Adam pays for every variable.
 */
function simdSqrt(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32') return original(args);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (size > 0)
      simdFunctions(backend).sqrt(
        backend.typedArrayFromHeap(x).byteOffset,
        backend.typedArrayFromHeap(out).byteOffset,
        size,
      );
    return out;
  };
}

/** String tensors live outside the heap: the backend's own kernel handles them. */
function stringsToOriginal(
  original: tf.KernelFunc,
  fast: tf.KernelFunc,
  input: string,
): tf.KernelFunc {
  return (args) =>
    (args.inputs as Record<string, tf.TensorInfo>)[input]!.dtype === 'string'
      ? original(args)
      : fast(args);
}

/**
 * Replaces eight kernels of the wasm backend with faster equivalents (same results):
 *
 * - `BatchMatMul`, `_FusedMatMul`: the backend runs a plain product `[m, k] × [k, n]` through
 *   XNNPACK at 20–35 GFLOP/s on one core, but one with `transposeA`/`transposeB`, or a batch of
 *   more than one matrix, through a generic loop at 0.6–2.5 GFLOP/s (measured here: 5–50×
 *   slower). Every `tf.matMul` gradient uses transposed products. The replacement transposes
 *   such an operand explicitly (a copy, O(size)) and calls the original kernel without
 *   transposes, once per matrix of a batch (`BatchMatMul` only; the batch of 8 `[256, 256]`
 *   products: 126 → 16 ms). `BatchMatMul`s whose shapes allow it (m even, n a multiple of 16,
 *   k ≤ 4096) skip XNNPACK for our own SIMD kernel, which needs no packed copy of the right
 *   operand ({@link simdProduct}; option `simdProducts`, default true).
 * - `Slice`, `SplitV`, `Unpack` (`tf.slice`, `tf.split`, `tf.unstack`): the backend's own copy
 *   the whole input out of the wasm heap into a new JavaScript buffer for every slice; these
 *   copy only the slice, inside the heap.
 * - `Identity` (`tf.clone`, `tf.keep`-adjacent copies): shares the input's memory by reference
 *   count, as the cpu backend does, instead of copying it.
 * - `Transpose` of the last two axes of float32 or int32 matrices whose sides are multiples of
 *   32: on the SIMD module in 32×32 tiles, 2–14× faster ({@link fastTranspose}); these are the
 *   transposes of the products above and of RotoGrad's rotations.
 * - `Sqrt` of float32 tensors, four lanes at a time ({@link simdSqrt}; Adam's, three times faster).
 *
 * And adds kernels the backend lacks: {@link LINEAR_COMBINATION}, the sums of scaled matrices of @rotograd/core's
 * matrix exponential in one SIMD pass per four terms instead of a scaling and an addition per
 * term (a four-term sum of `[256, 256]` matrices: 0.11–0.15 ms against 0.30–0.40 ms); and
 * {@link SYMMETRIC_MAT_MUL}, products whose result @rotograd/core knows to be symmetric or
 * skew-symmetric (the exponential's X² and X⁴, the rotations' gradients) as their lower triangle
 * on the SIMD kernel, mirrored, and {@link SYMMETRIC_MAT_MUL_SUM}, sums of two such products
 * (the exponential's derivative, `dU·V + U·dV`) in one product's arithmetic (option
 * `symmetricProducts`, default true; false runs them as plain products); and
 * {@link ADD_TRANSPOSE}, `α·x + β·xᵀ` of square matrices in one pass; and {@link INNER_PRODUCT},
 * `Σ a ⊙ b` (squared norms) in one pass; and {@link SQUARED_NORMS}, the squared norms of K
 * tensors in one call, and {@link WEIGHTED_SUM}, `Σ w[j]·x_j` with weights on the device in one
 * (the K task gradients' norms, RotoGrad's scaled sum and reference direction: at d = 64, K = 8
 * some 35 kernel calls fewer per step).
 *
 * Idempotent (a later call sets the options again); {@link useNodeBackend} calls it when it
 * selects `wasm` (option `fastKernels`). Returns false when the wasm backend's kernels are not
 * registered (nothing to replace).
 *
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { useWasmFastKernels } from '@rotograd/backend-node';
 * useWasmFastKernels();
 * tf.matMul(a, b, true, false); // now an explicit transpose + a plain product
 * useWasmFastKernels({ simdProducts: false }); // plain products on XNNPACK (to compare)
 * useWasmFastKernels({ symmetricProducts: false }); // symmetric ones as full products
 * ```
 */
export function useWasmFastKernels(
  options: { simdProducts?: boolean; symmetricProducts?: boolean } = {},
): boolean {
  simdProducts = options.simdProducts ?? true;
  symmetricProducts = options.symmetricProducts ?? true;
  let wrapped = false;
  for (const [kernelName, kernelFunc] of [
    [LINEAR_COMBINATION, linearCombinationWasm],
    [ADD_TRANSPOSE, addTransposeWasm],
    [INNER_PRODUCT, innerProductWasm],
    [SQUARED_NORMS, squaredNormsWasm],
    [WEIGHTED_SUM, weightedSumWasm],
  ] as const)
    if (tf.getKernel(tf.Add, 'wasm') && !tf.getKernel(kernelName, 'wasm'))
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      });
  for (const kernelName of [SYMMETRIC_MAT_MUL, SYMMETRIC_MAT_MUL_SUM])
    if (tf.getKernel(tf.Add, 'wasm') && !tf.getKernel(kernelName, 'wasm'))
      tf.registerKernel({
        kernelName,
        backendName: 'wasm',
        kernelFunc: ((args: Parameters<typeof symmetricProductWasm>[0]) =>
          symmetricProductWasm(args, symmetricProducts)) as unknown as tf.KernelFunc,
      });
  for (const [name, replacement] of Object.entries(REPLACEMENTS)) {
    if (originals.has(name)) {
      wrapped = true;
      continue;
    }
    const original = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
    if (!original) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: replacement(original) });
    originals.set(name, original);
    wrapped = true;
  }
  return wrapped;
}

/**
 * Restores the wasm backend's own kernels (undoes {@link useWasmFastKernels}).
 *
 * ```ts
 * restoreWasmKernels();
 * ```
 */
export function restoreWasmKernels(): void {
  for (const name of [
    LINEAR_COMBINATION,
    ADD_TRANSPOSE,
    INNER_PRODUCT,
    SQUARED_NORMS,
    WEIGHTED_SUM,
    SYMMETRIC_MAT_MUL,
    SYMMETRIC_MAT_MUL_SUM,
  ])
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}

/**
 * Whether {@link useWasmFastKernels} is in force.
 *
 * ```ts
 * if (!wasmFastKernelsActive()) useWasmFastKernels();
 * ```
 */
export function wasmFastKernelsActive(): boolean {
  return originals.size > 0;
}
