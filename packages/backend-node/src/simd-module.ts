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
 * `C = A·B` for row-major float32 `A [m, k]` and `[k, n]` panels of B and C whose rows are `ldb`
 * and `ldc` floats apart, at byte addresses `a`, `b`, `c` in the backend's heap; m even, n a
 * multiple of 16. Two rows of C by 16 columns at a time in
 * eight f32x4 accumulators, summing over k in order (the same order as XNNPACK's kernels: equal
 * results on the tests' products).
 */
export type Mm = (
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  ldb: number,
  ldc: number,
) => void;

/**
 * `out = xᵀ` for a row-major 4-byte `x [rows, cols]` at byte address `x`, written at `out`; rows
 * and cols multiples of 32; `scratch` the address of 4 kB it may overwrite.
 */
export type Tr = (x: number, out: number, rows: number, cols: number, scratch: number) => void;

/**
 * `out = α·x + β·xᵀ` for a row-major float32 `x [n, n]` (pass n twice), n a multiple of 32;
 * `scratch` as {@link Tr}'s.
 */
export type Atr = (
  x: number,
  out: number,
  n: number,
  n2: number,
  scratch: number,
  alpha: number,
  beta: number,
) => void;

/** `C[i][j] = sign·C[j][i]` above the diagonal of a row-major float32 `[n, n]` C, n a multiple of 4. */
export type Mir = (c: number, n: number, sign: number) => void;

/** `Σ a[i]·b[i]` over `len` float32s at byte addresses `a` and `b`, in sixteen partial sums. */
export type Dot = (a: number, b: number, len: number) => number;

/**
 * Copies `rows` runs of `run` bytes from byte address `src` to `dst`, the runs `srcStride` and
 * `dstStride` bytes apart.
 */
export type Cp = (
  src: number,
  dst: number,
  rows: number,
  run: number,
  srcStride: number,
  dstStride: number,
) => void;

/** `out[i] = √x[i]` for `len` float32s at byte addresses `x` and `out`. */
export type Sqrt = (x: number, out: number, len: number) => void;

/**
 * Our wasm kernels' SIMD functions: `lc1`…`lc4`, `mm`, `mma` (`mm` accumulating: `C += A·B`,
 * each entry's sum starting from C's, same arguments), `tr`, `atr`, `mir`, `sqrt`, `dot` and `cp`. Built by `scripts/simd-wasm.mjs`
 * (which prints its text format; `--check` verifies these bytes).
 */
const MODULE =
  'AGFzbQEAAAABZgtgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AGAIf39/f39/f38AYAV/f39/fwBgB39/f39/fX0AYAN/f30AYAN/f38AYAN/f38BfWAGf39/f39/AAIPAQNlbnYGbWVtb3J5AgAAAw0MAAECAwQEBQYHCAkKB0cMA2xjMQAAA2xjMgABA2xjMwACA2xjNAADAm1tAAQDbW1hAAUCdHIABgNhdHIABwNtaXIACARzcXJ0AAkDZG90AAoCY3AACwrRHgxZAgJ/AnsgBP0TIQggAUECdCEGAkADQCAFIAZPDQEgAyAFav0ABAAgCP3mASEHIAIEQCAAIAVq/QAEACAH/eQBIQcLIAAgBWogB/0LBAAgBUEQaiEFDAALCwtwAgJ/A3sgBP0TIQogBv0TIQsgAUECdCEIAkADQCAHIAhPDQEgAyAHav0ABAAgCv3mASAFIAdq/QAEACAL/eYB/eQBIQkgAgRAIAAgB2r9AAQAIAn95AEhCQsgACAHaiAJ/QsEACAHQRBqIQcMAAsLC4cBAgJ/BHsgBP0TIQwgBv0TIQ0gCP0TIQ4gAUECdCEKAkADQCAJIApPDQEgAyAJav0ABAAgDP3mASAFIAlq/QAEACAN/eYBIAcgCWr9AAQAIA795gH95AH95AEhCyACBEAgACAJav0ABAAgC/3kASELCyAAIAlqIAv9CwQAIAlBEGohCQwACwsLngECAn8FeyAE/RMhDiAG/RMhDyAI/RMhECAK/RMhESABQQJ0IQwCQANAIAsgDE8NASADIAtq/QAEACAO/eYBIAUgC2r9AAQAIA/95gH95AEgByALav0ABAAgEP3mASAJIAtq/QAEACAR/eYB/eQB/eQBIQ0gAgRAIAAgC2r9AAQAIA395AEhDQsgACALaiAN/QsEACALQRBqIQsMAAsLC6kEAgt/DnsgBUECdCEKIARBAnQhCyAGQQJ0IQwgB0ECdCENAkADQCAIIANPDQFBACEJAkADQCAJIApPDQH9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEa/QwAAAAAAAAAAAAAAAAAAAAAIRv9DAAAAAAAAAAAAAAAAAAAAAAhHP0MAAAAAAAAAAAAAAAAAAAAACEd/QwAAAAAAAAAAAAAAAAAAAAAIR79DAAAAAAAAAAAAAAAAAAAAAAhH/0MAAAAAAAAAAAAAAAAAAAAACEgIAAgCCALbGohDiAOIAtqIQ8gDyEQIAEgCWohEQJAA0AgDiAQTw0BIA4qAgD9EyETIA8qAgD9EyEUIBH9AAQAIRUgEf0ABBAhFiAR/QAEICEXIBH9AAQwIRggGSATIBX95gH95AEhGSAaIBMgFv3mAf3kASEaIBsgEyAX/eYB/eQBIRsgHCATIBj95gH95AEhHCAdIBQgFf3mAf3kASEdIB4gFCAW/eYB/eQBIR4gHyAUIBf95gH95AEhHyAgIBQgGP3mAf3kASEgIA5BBGohDiAPQQRqIQ8gESAMaiERDAALCyACIAggDWxqIAlqIRIgEiAZ/QsEACASIBr9CwQQIBIgG/0LBCAgEiAc/QsEMCASIA1qIRIgEiAd/QsEACASIB79CwQQIBIgH/0LBCAgEiAg/QsEMCAJQcAAaiEJDAALCyAIQQJqIQgMAAsLC90DAgt/DnsgBUECdCEKIARBAnQhCyAGQQJ0IQwgB0ECdCENAkADQCAIIANPDQFBACEJAkADQCAJIApPDQEgAiAIIA1saiAJaiESIBL9AAQAIRkgEv0ABBAhGiAS/QAEICEbIBL9AAQwIRwgEiANaiESIBL9AAQAIR0gEv0ABBAhHiAS/QAEICEfIBL9AAQwISAgACAIIAtsaiEOIA4gC2ohDyAPIRAgASAJaiERAkADQCAOIBBPDQEgDioCAP0TIRMgDyoCAP0TIRQgEf0ABAAhFSAR/QAEECEWIBH9AAQgIRcgEf0ABDAhGCAZIBMgFf3mAf3kASEZIBogEyAW/eYB/eQBIRogGyATIBf95gH95AEhGyAcIBMgGP3mAf3kASEcIB0gFCAV/eYB/eQBIR0gHiAUIBb95gH95AEhHiAfIBQgF/3mAf3kASEfICAgFCAY/eYB/eQBISAgDkEEaiEOIA9BBGohDyARIAxqIREMAAsLIAIgCCANbGogCWohEiASIBn9CwQAIBIgGv0LBBAgEiAb/QsEICASIBz9CwQwIBIgDWohEiASIB39CwQAIBIgHv0LBBAgEiAf/QsEICASICD9CwQwIAlBwABqIQkMAAsLIAhBAmohCAwACwsLxgQEB38CewN/CHsgA0ECdCEOIA5BAXQhDyAPIA5qIRBBACEFAkADQCAFIAJPDQFBACEGAkADQCAGIANPDQFBACEHAkADQCAHQSBPDQEgACAFIAdqIANsIAZqQQJ0aiEJIAQgB0ECdGohCkEAIQgCQANAIAhBIE8NASAJ/QAEACERIAkgDmr9AAQAIRIgCSAPav0ABAAhEyAJIBBq/QAEACEUIBEgEv0NAAECAxAREhMEBQYHFBUWFyEVIBEgEv0NCAkKCxgZGhsMDQ4PHB0eHyEWIBMgFP0NAAECAxAREhMEBQYHFBUWFyEXIBMgFP0NCAkKCxgZGhsMDQ4PHB0eHyEYIAogFSAX/Q0AAQIDBAUGBxAREhMUFRYX/QsEACAKIBUgF/0NCAkKCwwNDg8YGRobHB0eH/0LBIABIAogFiAY/Q0AAQIDBAUGBxAREhMUFRYX/QsEgAIgCiAWIBj9DQgJCgsMDQ4PGBkaGxwdHh/9CwSAAyAJQRBqIQkgCkGABGohCiAIQQRqIQgMAAsLIAdBBGohBwwACwtBACEHAkADQCAHQSBPDQEgBCAHQQd0aiEJIAEgBiAHaiACbCAFakECdGohCiAKIAn9AAQA/QsEACAKIAn9AAQQ/QsEECAKIAn9AAQg/QsEICAKIAn9AAQw/QsEMCAKIAn9AARA/QsEQCAKIAn9AARQ/QsEUCAKIAn9AARg/QsEYCAKIAn9AARw/QsEcCAHQQFqIQcMAAsLIAZBIGohBgwACwsgBUEgaiEFDAALCwv0BQQHfwJ7A38IeyAF/RMhDiAG/RMhDyADQQJ0IRAgEEEBdCERIBEgEGohEkEAIQcCQANAIAcgAk8NAUEAIQgCQANAIAggA08NAUEAIQkCQANAIAlBIE8NASAAIAcgCWogA2wgCGpBAnRqIQsgBCAJQQJ0aiEMQQAhCgJAA0AgCkEgTw0BIAv9AAQAIRMgCyAQav0ABAAhFCALIBFq/QAEACEVIAsgEmr9AAQAIRYgEyAU/Q0AAQIDEBESEwQFBgcUFRYXIRcgEyAU/Q0ICQoLGBkaGwwNDg8cHR4fIRggFSAW/Q0AAQIDEBESEwQFBgcUFRYXIRkgFSAW/Q0ICQoLGBkaGwwNDg8cHR4fIRogDCAXIBn9DQABAgMEBQYHEBESExQVFhf9CwQAIAwgFyAZ/Q0ICQoLDA0ODxgZGhscHR4f/QsEgAEgDCAYIBr9DQABAgMEBQYHEBESExQVFhf9CwSAAiAMIBggGv0NCAkKCwwNDg8YGRobHB0eH/0LBIADIAtBEGohCyAMQYAEaiEMIApBBGohCgwACwsgCUEEaiEJDAALC0EAIQkCQANAIAlBIE8NASAEIAlBB3RqIQsgASAIIAlqIAJsIAdqQQJ0aiEMIAAgDCABa2ohDSAMIA4gDf0ABAD95gEgDyAL/QAEAP3mAf3kAf0LBAAgDCAOIA39AAQQ/eYBIA8gC/0ABBD95gH95AH9CwQQIAwgDiAN/QAEIP3mASAPIAv9AAQg/eYB/eQB/QsEICAMIA4gDf0ABDD95gEgDyAL/QAEMP3mAf3kAf0LBDAgDCAOIA39AARA/eYBIA8gC/0ABED95gH95AH9CwRAIAwgDiAN/QAEUP3mASAPIAv9AARQ/eYB/eQB/QsEUCAMIA4gDf0ABGD95gEgDyAL/QAEYP3mAf3kAf0LBGAgDCAOIA39AARw/eYBIA8gC/0ABHD95gH95AH9CwRwIAlBAWohCQwACwsgCEEgaiEIDAALCyAHQSBqIQcMAAsLC7IEAgh/CXsgAv0TIQsgAUECdCEIIAhBAXQhCSAJIAhqIQoCQANAIAMgAU8NASAAIAMgAWwgA2pBAnRqIQcgB0EAIAhsaiACIAdBASAIbGoqAgCUOAIEIAdBACAIbGogAiAHQQIgCGxqKgIAlDgCCCAHQQAgCGxqIAIgB0EDIAhsaioCAJQ4AgwgB0EBIAhsaiACIAdBAiAIbGoqAgSUOAIIIAdBASAIbGogAiAHQQMgCGxqKgIElDgCDCAHQQIgCGxqIAIgB0EDIAhsaioCCJQ4AgwgA0EEaiEEIAcgCEECdGohBSAHQRBqIQYCQANAIAQgAU8NASAF/QAEACEMIAUgCGr9AAQAIQ0gBSAJav0ABAAhDiAFIApq/QAEACEPIAwgDf0NAAECAxAREhMEBQYHFBUWFyEQIAwgDf0NCAkKCxgZGhsMDQ4PHB0eHyERIA4gD/0NAAECAxAREhMEBQYHFBUWFyESIA4gD/0NCAkKCxgZGhsMDQ4PHB0eHyETIAYgCyAQIBL9DQABAgMEBQYHEBESExQVFhf95gH9CwQAIAYgCGogCyAQIBL9DQgJCgsMDQ4PGBkaGxwdHh/95gH9CwQAIAYgCWogCyARIBP9DQABAgMEBQYHEBESExQVFhf95gH9CwQAIAYgCmogCyARIBP9DQgJCgsMDQ4PGBkaGxwdHh/95gH9CwQAIAUgCEECdGohBSAGQRBqIQYgBEEEaiEEDAALCyADQQRqIQMMAAsLC2QBA38gAkECdCEEIARBcHEhBQJAA0AgAyAFTw0BIAEgA2ogACADav0ABAD94wH9CwQAIANBEGohAwwACwsCQANAIAMgBE8NASABIANqIAAgA2oqAgCROAIAIANBBGohAwwACwsL9gEDA38BfQR7IAJBAnQhBCAEQUBxIQUCQANAIAMgBU8NASAHIAAgA2r9AAQAIAEgA2r9AAQA/eYB/eQBIQcgCCAAIANq/QAEECABIANq/QAEEP3mAf3kASEIIAkgACADav0ABCAgASADav0ABCD95gH95AEhCSAKIAAgA2r9AAQwIAEgA2r9AAQw/eYB/eQBIQogA0HAAGohAwwACwsCQANAIAMgBE8NASAGIAAgA2oqAgAgASADaioCAJSSIQYgA0EEaiEDDAALCyAHIAj95AEgCSAK/eQB/eQBIQcgB/0fACAH/R8BkiAH/R8CIAf9HwOSkiAGkguBAQEDfyADQXBxIQgCQANAIAYgAk8NAUEAIQcCQANAIAcgCE8NASABIAdqIAAgB2r9AAQA/QsEACAHQRBqIQcMAAsLAkADQCAHIANPDQEgASAHaiAAIAdqLQAAOgAAIAdBAWohBwwACwsgACAEaiEAIAEgBWohASAGQQFqIQYMAAsLCw==';

let compiled: WebAssembly.Module | null = null;
/** The module's functions (see {@link simdFunctions}). */
export interface SimdFunctions {
  lc: Lc[];
  mm: Mm;
  mma: Mm;
  tr: Tr;
  atr: Atr;
  mir: Mir;
  sqrt: Sqrt;
  dot: Dot;
  cp: Cp;
}

const instances = new WeakMap<WebAssembly.Memory, SimdFunctions>();

/**
 * The module's functions on this backend's memory (one instance per memory, compiled once).
 *
 * ```ts
 * const { mm } = simdFunctions(tf.backend() as WasmBackend);
 * ```
 */
export function simdFunctions(backend: WasmBackend): SimdFunctions {
  const memory = backend.wasm.asm.memory;
  let fns = instances.get(memory);
  if (!fns) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(MODULE), (c) => c.charCodeAt(0)));
    const { exports } = new WebAssembly.Instance(compiled, { env: { memory } });
    fns = {
      lc: [1, 2, 3, 4].map((k) => exports[`lc${k}`] as unknown as Lc),
      mm: exports.mm as unknown as Mm,
      mma: exports.mma as unknown as Mm,
      tr: exports.tr as unknown as Tr,
      atr: exports.atr as unknown as Atr,
      mir: exports.mir as unknown as Mir,
      sqrt: exports.sqrt as unknown as Sqrt,
      dot: exports.dot as unknown as Dot,
      cp: exports.cp as unknown as Cp,
    };
    instances.set(memory, fns);
  }
  return fns;
}
