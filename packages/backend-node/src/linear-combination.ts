import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend';

/**
 * The kernel @rotograd/core runs a run of linear combinations through when the active backend
 * registers it (its matrix exponential's sums of scaled powers): inputs an array of t tensors of
 * one shape, attrs `coefficients` (g·t numbers, row-major) and `rows` (g); outputs g tensors,
 * `out_r = Σ_j coefficients[r·t + j] · x_j`.
 *
 * ```ts
 * const [y] = tf.engine().runKernel(LINEAR_COMBINATION, [a, b] as unknown as tf.NamedTensorMap,
 *   { coefficients: [2, -1], rows: 1 }) as tf.Tensor[];  // 2a − b
 * ```
 */
export const LINEAR_COMBINATION = 'RotogradLinearCombination';

/**
 * `lc1`…`lc4`: `out[i] = (acc ? out[i] : 0) + Σ_j c_j·x_j[i]` over `len` floats (a multiple
 * of 4) in f32x4 lanes, on the wasm backend's memory. Built by
 * `scripts/linear-combination-wasm.mjs` (which prints its text format; `--check` verifies
 * these bytes).
 */
const MODULE =
  'AGFzbQEAAAABLQRgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AAIPAQNlbnYGbWVtb3J5AgAAAwUEAAECAwcZBANsYzEAAANsYzIAAQNsYzMAAgNsYzQAAwr1AwRZAgJ/AnsgBP0TIQggAUECdCEGAkADQCAFIAZPDQEgAyAFav0ABAAgCP3mASEHIAIEQCAAIAVq/QAEACAH/eQBIQcLIAAgBWogB/0LBAAgBUEQaiEFDAALCwtwAgJ/A3sgBP0TIQogBv0TIQsgAUECdCEIAkADQCAHIAhPDQEgAyAHav0ABAAgCv3mASAFIAdq/QAEACAL/eYB/eQBIQkgAgRAIAAgB2r9AAQAIAn95AEhCQsgACAHaiAJ/QsEACAHQRBqIQcMAAsLC4cBAgJ/BHsgBP0TIQwgBv0TIQ0gCP0TIQ4gAUECdCEKAkADQCAJIApPDQEgAyAJav0ABAAgDP3mASAFIAlq/QAEACAN/eYBIAcgCWr9AAQAIA795gH95AH95AEhCyACBEAgACAJav0ABAAgC/3kASELCyAAIAlqIAv9CwQAIAlBEGohCQwACwsLngECAn8FeyAE/RMhDiAG/RMhDyAI/RMhECAK/RMhESABQQJ0IQwCQANAIAsgDE8NASADIAtq/QAEACAO/eYBIAUgC2r9AAQAIA/95gH95AEgByALav0ABAAgEP3mASAJIAtq/QAEACAR/eYB/eQB/eQBIQ0gAgRAIAAgC2r9AAQAIA395AEhDQsgACALaiAN/QsEACALQRBqIQsMAAsLCw==';

type Lc = (out: number, len: number, acc: number, ...pointersAndCoefficients: number[]) => void;

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, Lc[]>();

/** lc1…lc4 on this backend's memory (one instance per memory, compiled once). */
function functionsFor(backend: WasmBackend): Lc[] {
  const memory = backend.wasm.asm.memory;
  let fns = instances.get(memory);
  if (!fns) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(MODULE), (c) => c.charCodeAt(0)));
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
    fns = [1, 2, 3, 4].map((k) => exports[`lc${k}`] as unknown as Lc);
    instances.set(memory, fns);
  }
  return fns;
}

/**
 * The wasm implementation of {@link LINEAR_COMBINATION}: one pass over the inputs per four
 * non-zero terms (SIMD, summed pairwise), the last `size mod 4` elements in JavaScript. A zero
 * coefficient's term is skipped, never multiplied (0·∞ would be NaN).
 */
export function linearCombinationWasm(args: {
  inputs: tf.NamedTensorMap | tf.TensorInfo[];
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const terms = Object.values(args.inputs) as tf.TensorInfo[];
  const { coefficients, rows } = (args.attrs ?? {}) as unknown as {
    coefficients: number[];
    rows: number;
  };
  const backend = args.backend as WasmBackend;
  const first = terms[0];
  if (!first || !Array.isArray(coefficients) || coefficients.length !== rows * terms.length)
    throw new Error(
      `${LINEAR_COMBINATION}: expected t ≥ 1 inputs and rows·t coefficients, got ${terms.length} inputs, rows = ${rows}, ${coefficients?.length} coefficients`,
    );
  const size = tf.util.sizeFromShape(first.shape);
  for (const t of terms)
    if (t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== size)
      throw new Error(
        `${LINEAR_COMBINATION}: every input must be float32 of shape [${first.shape}], got ${t.dtype} [${t.shape}]`,
      );
  const fns = functionsFor(backend);
  const vectorized = size - (size % 4);
  const outs: tf.TensorInfo[] = [];
  for (let r = 0; r < rows; r++) {
    const out = backend.makeOutput([...first.shape], 'float32');
    // Views taken after the allocation (the heap may have grown); a view's byteOffset is the
    // tensor's address in the heap.
    const to = backend.typedArrayFromHeap(out);
    const nonZero: [tf.backend_util.TypedArray, number][] = [];
    terms.forEach((t, j) => {
      const c = coefficients[r * terms.length + j]!;
      if (c !== 0) nonZero.push([backend.typedArrayFromHeap(t), c]);
    });
    if (nonZero.length === 0) to.fill(0);
    for (let j = 0; j < nonZero.length && vectorized > 0; j += 4) {
      const chunk = nonZero.slice(j, j + 4).flatMap(([from, c]) => [from.byteOffset, c]);
      fns[chunk.length / 2 - 1]!(to.byteOffset, vectorized, j > 0 ? 1 : 0, ...chunk);
    }
    for (let i = vectorized; i < size && nonZero.length > 0; i++) {
      let s = 0;
      for (const [from, c] of nonZero) s += c * from[i]!;
      to[i] = s;
    }
    outs.push(out);
  }
  return outs;
}
