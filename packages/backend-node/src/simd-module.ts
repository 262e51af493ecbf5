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

/** `out[i] = √x[i]` for `len` float32s at byte addresses `x` and `out`. */
export type Sqrt = (x: number, out: number, len: number) => void;

/**
 * Our wasm kernels' SIMD functions: `lc1`…`lc4`, `mm`, `mma` (`mm` accumulating: `C += A·B`,
 * each entry's sum starting from C's, same arguments), `tr`, `mir` and `sqrt`. Built by `scripts/simd-wasm.mjs`
 * (which prints its text format; `--check` verifies these bytes).
 */
const MODULE =
  'AGFzbQEAAAABTAhgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AGAIf39/f39/f38AYAV/f39/fwBgA39/fQBgA39/fwACDwEDZW52Bm1lbW9yeQIAAAMKCQABAgMEBAUGBwc2CQNsYzEAAANsYzIAAQNsYzMAAgNsYzQAAwJtbQAEA21tYQAFAnRyAAYDbWlyAAcEc3FydAAICtwVCVkCAn8CeyAE/RMhCCABQQJ0IQYCQANAIAUgBk8NASADIAVq/QAEACAI/eYBIQcgAgRAIAAgBWr9AAQAIAf95AEhBwsgACAFaiAH/QsEACAFQRBqIQUMAAsLC3ACAn8DeyAE/RMhCiAG/RMhCyABQQJ0IQgCQANAIAcgCE8NASADIAdq/QAEACAK/eYBIAUgB2r9AAQAIAv95gH95AEhCSACBEAgACAHav0ABAAgCf3kASEJCyAAIAdqIAn9CwQAIAdBEGohBwwACwsLhwECAn8EeyAE/RMhDCAG/RMhDSAI/RMhDiABQQJ0IQoCQANAIAkgCk8NASADIAlq/QAEACAM/eYBIAUgCWr9AAQAIA395gEgByAJav0ABAAgDv3mAf3kAf3kASELIAIEQCAAIAlq/QAEACAL/eQBIQsLIAAgCWogC/0LBAAgCUEQaiEJDAALCwueAQICfwV7IAT9EyEOIAb9EyEPIAj9EyEQIAr9EyERIAFBAnQhDAJAA0AgCyAMTw0BIAMgC2r9AAQAIA795gEgBSALav0ABAAgD/3mAf3kASAHIAtq/QAEACAQ/eYBIAkgC2r9AAQAIBH95gH95AH95AEhDSACBEAgACALav0ABAAgDf3kASENCyAAIAtqIA39CwQAIAtBEGohCwwACwsLqQQCC38OeyAFQQJ0IQogBEECdCELIAZBAnQhDCAHQQJ0IQ0CQANAIAggA08NAUEAIQkCQANAIAkgCk8NAf0MAAAAAAAAAAAAAAAAAAAAACEZ/QwAAAAAAAAAAAAAAAAAAAAAIRr9DAAAAAAAAAAAAAAAAAAAAAAhG/0MAAAAAAAAAAAAAAAAAAAAACEc/QwAAAAAAAAAAAAAAAAAAAAAIR39DAAAAAAAAAAAAAAAAAAAAAAhHv0MAAAAAAAAAAAAAAAAAAAAACEf/QwAAAAAAAAAAAAAAAAAAAAAISAgACAIIAtsaiEOIA4gC2ohDyAPIRAgASAJaiERAkADQCAOIBBPDQEgDioCAP0TIRMgDyoCAP0TIRQgEf0ABAAhFSAR/QAEECEWIBH9AAQgIRcgEf0ABDAhGCAZIBMgFf3mAf3kASEZIBogEyAW/eYB/eQBIRogGyATIBf95gH95AEhGyAcIBMgGP3mAf3kASEcIB0gFCAV/eYB/eQBIR0gHiAUIBb95gH95AEhHiAfIBQgF/3mAf3kASEfICAgFCAY/eYB/eQBISAgDkEEaiEOIA9BBGohDyARIAxqIREMAAsLIAIgCCANbGogCWohEiASIBn9CwQAIBIgGv0LBBAgEiAb/QsEICASIBz9CwQwIBIgDWohEiASIB39CwQAIBIgHv0LBBAgEiAf/QsEICASICD9CwQwIAlBwABqIQkMAAsLIAhBAmohCAwACwsL3QMCC38OeyAFQQJ0IQogBEECdCELIAZBAnQhDCAHQQJ0IQ0CQANAIAggA08NAUEAIQkCQANAIAkgCk8NASACIAggDWxqIAlqIRIgEv0ABAAhGSAS/QAEECEaIBL9AAQgIRsgEv0ABDAhHCASIA1qIRIgEv0ABAAhHSAS/QAEECEeIBL9AAQgIR8gEv0ABDAhICAAIAggC2xqIQ4gDiALaiEPIA8hECABIAlqIRECQANAIA4gEE8NASAOKgIA/RMhEyAPKgIA/RMhFCAR/QAEACEVIBH9AAQQIRYgEf0ABCAhFyAR/QAEMCEYIBkgEyAV/eYB/eQBIRkgGiATIBb95gH95AEhGiAbIBMgF/3mAf3kASEbIBwgEyAY/eYB/eQBIRwgHSAUIBX95gH95AEhHSAeIBQgFv3mAf3kASEeIB8gFCAX/eYB/eQBIR8gICAUIBj95gH95AEhICAOQQRqIQ4gD0EEaiEPIBEgDGohEQwACwsgAiAIIA1saiAJaiESIBIgGf0LBAAgEiAa/QsEECASIBv9CwQgIBIgHP0LBDAgEiANaiESIBIgHf0LBAAgEiAe/QsEECASIB/9CwQgIBIgIP0LBDAgCUHAAGohCQwACwsgCEECaiEIDAALCwvCBAIJfwh7IANBAnQhCyALQQF0IQwgDCALaiENQQAhBQJAA0AgBSACTw0BQQAhBgJAA0AgBiADTw0BQQAhBwJAA0AgB0EgTw0BIAAgBSAHaiADbCAGakECdGohCSAEIAdBAnRqIQpBACEIAkADQCAIQSBPDQEgCf0ABAAhDiAJIAtq/QAEACEPIAkgDGr9AAQAIRAgCSANav0ABAAhESAOIA/9DQABAgMQERITBAUGBxQVFhchEiAOIA/9DQgJCgsYGRobDA0ODxwdHh8hEyAQIBH9DQABAgMQERITBAUGBxQVFhchFCAQIBH9DQgJCgsYGRobDA0ODxwdHh8hFSAKIBIgFP0NAAECAwQFBgcQERITFBUWF/0LBAAgCiASIBT9DQgJCgsMDQ4PGBkaGxwdHh/9CwSAASAKIBMgFf0NAAECAwQFBgcQERITFBUWF/0LBIACIAogEyAV/Q0ICQoLDA0ODxgZGhscHR4f/QsEgAMgCUEQaiEJIApBgARqIQogCEEEaiEIDAALCyAHQQRqIQcMAAsLQQAhBwJAA0AgB0EgTw0BIAQgB0EHdGohCSABIAYgB2ogAmwgBWpBAnRqIQogCiAJ/QAEAP0LBAAgCiAJ/QAEEP0LBBAgCiAJ/QAEIP0LBCAgCiAJ/QAEMP0LBDAgCiAJ/QAEQP0LBEAgCiAJ/QAEUP0LBFAgCiAJ/QAEYP0LBGAgCiAJ/QAEcP0LBHAgB0EBaiEHDAALCyAGQSBqIQYMAAsLIAVBIGohBQwACwsLsgQCCH8JeyAC/RMhCyABQQJ0IQggCEEBdCEJIAkgCGohCgJAA0AgAyABTw0BIAAgAyABbCADakECdGohByAHQQAgCGxqIAIgB0EBIAhsaioCAJQ4AgQgB0EAIAhsaiACIAdBAiAIbGoqAgCUOAIIIAdBACAIbGogAiAHQQMgCGxqKgIAlDgCDCAHQQEgCGxqIAIgB0ECIAhsaioCBJQ4AgggB0EBIAhsaiACIAdBAyAIbGoqAgSUOAIMIAdBAiAIbGogAiAHQQMgCGxqKgIIlDgCDCADQQRqIQQgByAIQQJ0aiEFIAdBEGohBgJAA0AgBCABTw0BIAX9AAQAIQwgBSAIav0ABAAhDSAFIAlq/QAEACEOIAUgCmr9AAQAIQ8gDCAN/Q0AAQIDEBESEwQFBgcUFRYXIRAgDCAN/Q0ICQoLGBkaGwwNDg8cHR4fIREgDiAP/Q0AAQIDEBESEwQFBgcUFRYXIRIgDiAP/Q0ICQoLGBkaGwwNDg8cHR4fIRMgBiALIBAgEv0NAAECAwQFBgcQERITFBUWF/3mAf0LBAAgBiAIaiALIBAgEv0NCAkKCwwNDg8YGRobHB0eH/3mAf0LBAAgBiAJaiALIBEgE/0NAAECAwQFBgcQERITFBUWF/3mAf0LBAAgBiAKaiALIBEgE/0NCAkKCwwNDg8YGRobHB0eH/3mAf0LBAAgBSAIQQJ0aiEFIAZBEGohBiAEQQRqIQQMAAsLIANBBGohAwwACwsLZAEDfyACQQJ0IQQgBEFwcSEFAkADQCADIAVPDQEgASADaiAAIANq/QAEAP3jAf0LBAAgA0EQaiEDDAALCwJAA0AgAyAETw0BIAEgA2ogACADaioCAJE4AgAgA0EEaiEDDAALCws=';

let compiled: WebAssembly.Module | null = null;
/** The module's functions (see {@link simdFunctions}). */
export interface SimdFunctions {
  lc: Lc[];
  mm: Mm;
  mma: Mm;
  tr: Tr;
  mir: Mir;
  sqrt: Sqrt;
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
      mir: exports.mir as unknown as Mir,
      sqrt: exports.sqrt as unknown as Sqrt,
    };
    instances.set(memory, fns);
  }
  return fns;
}
