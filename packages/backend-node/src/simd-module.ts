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

/** `C[i][j] = sign·C[j][i]` above the diagonal of a row-major float32 `[n, n]` C, n a multiple of 4. */
export type Mir = (c: number, n: number, sign: number) => void;

/**
 * Our wasm kernels' SIMD functions: `lc1`…`lc4`, `mm`, `mma` (`mm` accumulating: `C += A·B`,
 * each entry's sum starting from C's, same arguments), `tr` and `mir`. Built by `scripts/simd-wasm.mjs`
 * (which prints its text format; `--check` verifies these bytes).
 */
const MODULE =
  'AGFzbQEAAAABRgdgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AGAIf39/f39/f38AYAV/f39/fwBgA39/fQACDwEDZW52Bm1lbW9yeQIAAAMJCAABAgMEBAUGBy8IA2xjMQAAA2xjMgABA2xjMwACA2xjNAADAm1tAAQDbW1hAAUCdHIABgNtaXIABwr3FAhZAgJ/AnsgBP0TIQggAUECdCEGAkADQCAFIAZPDQEgAyAFav0ABAAgCP3mASEHIAIEQCAAIAVq/QAEACAH/eQBIQcLIAAgBWogB/0LBAAgBUEQaiEFDAALCwtwAgJ/A3sgBP0TIQogBv0TIQsgAUECdCEIAkADQCAHIAhPDQEgAyAHav0ABAAgCv3mASAFIAdq/QAEACAL/eYB/eQBIQkgAgRAIAAgB2r9AAQAIAn95AEhCQsgACAHaiAJ/QsEACAHQRBqIQcMAAsLC4cBAgJ/BHsgBP0TIQwgBv0TIQ0gCP0TIQ4gAUECdCEKAkADQCAJIApPDQEgAyAJav0ABAAgDP3mASAFIAlq/QAEACAN/eYBIAcgCWr9AAQAIA795gH95AH95AEhCyACBEAgACAJav0ABAAgC/3kASELCyAAIAlqIAv9CwQAIAlBEGohCQwACwsLngECAn8FeyAE/RMhDiAG/RMhDyAI/RMhECAK/RMhESABQQJ0IQwCQANAIAsgDE8NASADIAtq/QAEACAO/eYBIAUgC2r9AAQAIA/95gH95AEgByALav0ABAAgEP3mASAJIAtq/QAEACAR/eYB/eQB/eQBIQ0gAgRAIAAgC2r9AAQAIA395AEhDQsgACALaiAN/QsEACALQRBqIQsMAAsLC6kEAgt/DnsgBUECdCEKIARBAnQhCyAGQQJ0IQwgB0ECdCENAkADQCAIIANPDQFBACEJAkADQCAJIApPDQH9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEa/QwAAAAAAAAAAAAAAAAAAAAAIRv9DAAAAAAAAAAAAAAAAAAAAAAhHP0MAAAAAAAAAAAAAAAAAAAAACEd/QwAAAAAAAAAAAAAAAAAAAAAIR79DAAAAAAAAAAAAAAAAAAAAAAhH/0MAAAAAAAAAAAAAAAAAAAAACEgIAAgCCALbGohDiAOIAtqIQ8gDyEQIAEgCWohEQJAA0AgDiAQTw0BIA4qAgD9EyETIA8qAgD9EyEUIBH9AAQAIRUgEf0ABBAhFiAR/QAEICEXIBH9AAQwIRggGSATIBX95gH95AEhGSAaIBMgFv3mAf3kASEaIBsgEyAX/eYB/eQBIRsgHCATIBj95gH95AEhHCAdIBQgFf3mAf3kASEdIB4gFCAW/eYB/eQBIR4gHyAUIBf95gH95AEhHyAgIBQgGP3mAf3kASEgIA5BBGohDiAPQQRqIQ8gESAMaiERDAALCyACIAggDWxqIAlqIRIgEiAZ/QsEACASIBr9CwQQIBIgG/0LBCAgEiAc/QsEMCASIA1qIRIgEiAd/QsEACASIB79CwQQIBIgH/0LBCAgEiAg/QsEMCAJQcAAaiEJDAALCyAIQQJqIQgMAAsLC90DAgt/DnsgBUECdCEKIARBAnQhCyAGQQJ0IQwgB0ECdCENAkADQCAIIANPDQFBACEJAkADQCAJIApPDQEgAiAIIA1saiAJaiESIBL9AAQAIRkgEv0ABBAhGiAS/QAEICEbIBL9AAQwIRwgEiANaiESIBL9AAQAIR0gEv0ABBAhHiAS/QAEICEfIBL9AAQwISAgACAIIAtsaiEOIA4gC2ohDyAPIRAgASAJaiERAkADQCAOIBBPDQEgDioCAP0TIRMgDyoCAP0TIRQgEf0ABAAhFSAR/QAEECEWIBH9AAQgIRcgEf0ABDAhGCAZIBMgFf3mAf3kASEZIBogEyAW/eYB/eQBIRogGyATIBf95gH95AEhGyAcIBMgGP3mAf3kASEcIB0gFCAV/eYB/eQBIR0gHiAUIBb95gH95AEhHiAfIBQgF/3mAf3kASEfICAgFCAY/eYB/eQBISAgDkEEaiEOIA9BBGohDyARIAxqIREMAAsLIAIgCCANbGogCWohEiASIBn9CwQAIBIgGv0LBBAgEiAb/QsEICASIBz9CwQwIBIgDWohEiASIB39CwQAIBIgHv0LBBAgEiAf/QsEICASICD9CwQwIAlBwABqIQkMAAsLIAhBAmohCAwACwsLwgQCCX8IeyADQQJ0IQsgC0EBdCEMIAwgC2ohDUEAIQUCQANAIAUgAk8NAUEAIQYCQANAIAYgA08NAUEAIQcCQANAIAdBIE8NASAAIAUgB2ogA2wgBmpBAnRqIQkgBCAHQQJ0aiEKQQAhCAJAA0AgCEEgTw0BIAn9AAQAIQ4gCSALav0ABAAhDyAJIAxq/QAEACEQIAkgDWr9AAQAIREgDiAP/Q0AAQIDEBESEwQFBgcUFRYXIRIgDiAP/Q0ICQoLGBkaGwwNDg8cHR4fIRMgECAR/Q0AAQIDEBESEwQFBgcUFRYXIRQgECAR/Q0ICQoLGBkaGwwNDg8cHR4fIRUgCiASIBT9DQABAgMEBQYHEBESExQVFhf9CwQAIAogEiAU/Q0ICQoLDA0ODxgZGhscHR4f/QsEgAEgCiATIBX9DQABAgMEBQYHEBESExQVFhf9CwSAAiAKIBMgFf0NCAkKCwwNDg8YGRobHB0eH/0LBIADIAlBEGohCSAKQYAEaiEKIAhBBGohCAwACwsgB0EEaiEHDAALC0EAIQcCQANAIAdBIE8NASAEIAdBB3RqIQkgASAGIAdqIAJsIAVqQQJ0aiEKIAogCf0ABAD9CwQAIAogCf0ABBD9CwQQIAogCf0ABCD9CwQgIAogCf0ABDD9CwQwIAogCf0ABED9CwRAIAogCf0ABFD9CwRQIAogCf0ABGD9CwRgIAogCf0ABHD9CwRwIAdBAWohBwwACwsgBkEgaiEGDAALCyAFQSBqIQUMAAsLC7IEAgh/CXsgAv0TIQsgAUECdCEIIAhBAXQhCSAJIAhqIQoCQANAIAMgAU8NASAAIAMgAWwgA2pBAnRqIQcgB0EAIAhsaiACIAdBASAIbGoqAgCUOAIEIAdBACAIbGogAiAHQQIgCGxqKgIAlDgCCCAHQQAgCGxqIAIgB0EDIAhsaioCAJQ4AgwgB0EBIAhsaiACIAdBAiAIbGoqAgSUOAIIIAdBASAIbGogAiAHQQMgCGxqKgIElDgCDCAHQQIgCGxqIAIgB0EDIAhsaioCCJQ4AgwgA0EEaiEEIAcgCEECdGohBSAHQRBqIQYCQANAIAQgAU8NASAF/QAEACEMIAUgCGr9AAQAIQ0gBSAJav0ABAAhDiAFIApq/QAEACEPIAwgDf0NAAECAxAREhMEBQYHFBUWFyEQIAwgDf0NCAkKCxgZGhsMDQ4PHB0eHyERIA4gD/0NAAECAxAREhMEBQYHFBUWFyESIA4gD/0NCAkKCxgZGhsMDQ4PHB0eHyETIAYgCyAQIBL9DQABAgMEBQYHEBESExQVFhf95gH9CwQAIAYgCGogCyAQIBL9DQgJCgsMDQ4PGBkaGxwdHh/95gH9CwQAIAYgCWogCyARIBP9DQABAgMEBQYHEBESExQVFhf95gH9CwQAIAYgCmogCyARIBP9DQgJCgsMDQ4PGBkaGxwdHh/95gH9CwQAIAUgCEECdGohBSAGQRBqIQYgBEEEaiEEDAALCyADQQRqIQMMAAsLCw==';

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<
  WebAssembly.Memory,
  { lc: Lc[]; mm: Mm; mma: Mm; tr: Tr; mir: Mir }
>();

/**
 * The module's functions on this backend's memory (one instance per memory, compiled once).
 *
 * ```ts
 * const { mm } = simdFunctions(tf.backend() as WasmBackend);
 * ```
 */
export function simdFunctions(backend: WasmBackend): {
  lc: Lc[];
  mm: Mm;
  mma: Mm;
  tr: Tr;
  mir: Mir;
} {
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
      mir: exports.mir as unknown as Mir,
    };
    instances.set(memory, fns);
  }
  return fns;
}
