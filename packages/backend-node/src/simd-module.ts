import type { WasmBackend } from './wasm-backend';

/**
 * One of `lc1`…`lc4`: `out[i] = (acc ? out[i] : 0) + Σ_j c_j·x_j[i]` over `len` floats (a multiple
 * of 4), the pointers byte addresses in the backend's heap, followed by their coefficients.
 */
export type Lc = (
  out: number,
  len: number,
  acc: number,
  ...pointersAndCoefficients: number[]
) => void;

/**
 * `C = A·B` for row-major float32 `A [m, k]`, `B [k, n]`, `C [m, n]` at byte addresses `a`, `b`, `c`
 * in the backend's heap; m even, n a multiple of 16. Two rows of C by 16 columns at a time in
 * eight f32x4 accumulators, summing over k in order (the same order as XNNPACK's kernels: equal
 * results on the tests' products).
 */
export type Mm = (a: number, b: number, c: number, m: number, k: number, n: number) => void;

/**
 * Our wasm kernels' SIMD functions: `lc1`…`lc4` and `mm`. Built by `scripts/simd-wasm.mjs`
 * (which prints its text format; `--check` verifies these bytes).
 */
const MODULE =
  'AGFzbQEAAAABNgVgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AGAGf39/f39/AAIPAQNlbnYGbWVtb3J5AgAAAwYFAAECAwQHHgUDbGMxAAADbGMyAAEDbGMzAAIDbGM0AAMCbW0ABAqSCAVZAgJ/AnsgBP0TIQggAUECdCEGAkADQCAFIAZPDQEgAyAFav0ABAAgCP3mASEHIAIEQCAAIAVq/QAEACAH/eQBIQcLIAAgBWogB/0LBAAgBUEQaiEFDAALCwtwAgJ/A3sgBP0TIQogBv0TIQsgAUECdCEIAkADQCAHIAhPDQEgAyAHav0ABAAgCv3mASAFIAdq/QAEACAL/eYB/eQBIQkgAgRAIAAgB2r9AAQAIAn95AEhCQsgACAHaiAJ/QsEACAHQRBqIQcMAAsLC4cBAgJ/BHsgBP0TIQwgBv0TIQ0gCP0TIQ4gAUECdCEKAkADQCAJIApPDQEgAyAJav0ABAAgDP3mASAFIAlq/QAEACAN/eYBIAcgCWr9AAQAIA795gH95AH95AEhCyACBEAgACAJav0ABAAgC/3kASELCyAAIAlqIAv9CwQAIAlBEGohCQwACwsLngECAn8FeyAE/RMhDiAG/RMhDyAI/RMhECAK/RMhESABQQJ0IQwCQANAIAsgDE8NASADIAtq/QAEACAO/eYBIAUgC2r9AAQAIA/95gH95AEgByALav0ABAAgEP3mASAJIAtq/QAEACAR/eYB/eQB/eQBIQ0gAgRAIAAgC2r9AAQAIA395AEhDQsgACALaiAN/QsEACALQRBqIQsMAAsLC5sEAgl/DnsgBUECdCEIIARBAnQhCQJAA0AgBiADTw0BQQAhBwJAA0AgByAITw0B/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRj9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEa/QwAAAAAAAAAAAAAAAAAAAAAIRv9DAAAAAAAAAAAAAAAAAAAAAAhHCAAIAYgCWxqIQogCiAJaiELIAshDCABIAdqIQ0CQANAIAogDE8NASAKKgIA/RMhDyALKgIA/RMhECAN/QAEACERIA39AAQQIRIgDf0ABCAhEyAN/QAEMCEUIBUgDyAR/eYB/eQBIRUgFiAPIBL95gH95AEhFiAXIA8gE/3mAf3kASEXIBggDyAU/eYB/eQBIRggGSAQIBH95gH95AEhGSAaIBAgEv3mAf3kASEaIBsgECAT/eYB/eQBIRsgHCAQIBT95gH95AEhHCAKQQRqIQogC0EEaiELIA0gCGohDQwACwsgAiAGIAhsaiAHaiEOIA4gFf0LBAAgDiAW/QsEECAOIBf9CwQgIA4gGP0LBDAgDiAIaiEOIA4gGf0LBAAgDiAa/QsEECAOIBv9CwQgIA4gHP0LBDAgB0HAAGohBwwACwsgBkECaiEGDAALCws=';

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, { lc: Lc[]; mm: Mm }>();

/**
 * The module's functions on this backend's memory (one instance per memory, compiled once).
 *
 * ```ts
 * const { mm } = simdFunctions(tf.backend() as WasmBackend);
 * ```
 */
export function simdFunctions(backend: WasmBackend): { lc: Lc[]; mm: Mm } {
  const memory = backend.wasm.asm.memory;
  let fns = instances.get(memory);
  if (!fns) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(MODULE), (c) => c.charCodeAt(0)));
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
    fns = {
      lc: [1, 2, 3, 4].map((k) => exports[`lc${k}`] as unknown as Lc),
      mm: exports.mm as unknown as Mm,
    };
    instances.set(memory, fns);
  }
  return fns;
}
