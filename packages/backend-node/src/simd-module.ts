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

/** `out[i] = √x[i]` for `len` float32s at byte addresses `x` and `out`. */
export type Sqrt = (x: number, out: number, len: number) => void;

/**
 * Our wasm kernels' SIMD functions: `lc1`…`lc4`, `mm`, `mma` (`mm` accumulating: `C += A·B`,
 * each entry's sum starting from C's, same arguments), `tr`, `atr`, `mir` and `sqrt`. Built by `scripts/simd-wasm.mjs`
 * (which prints its text format; `--check` verifies these bytes).
 */
const MODULE =
  'AGFzbQEAAAABVglgBX9/f399AGAHf39/f31/fQBgCX9/f399f31/fQBgC39/f399f31/fX99AGAIf39/f39/f38AYAV/f39/fwBgB39/f39/fX0AYAN/f30AYAN/f38AAg8BA2VudgZtZW1vcnkCAAADCwoAAQIDBAQFBgcIBzwKA2xjMQAAA2xjMgABA2xjMwACA2xjNAADAm1tAAQDbW1hAAUCdHIABgNhdHIABwNtaXIACARzcXJ0AAkK1hsKWQICfwJ7IAT9EyEIIAFBAnQhBgJAA0AgBSAGTw0BIAMgBWr9AAQAIAj95gEhByACBEAgACAFav0ABAAgB/3kASEHCyAAIAVqIAf9CwQAIAVBEGohBQwACwsLcAICfwN7IAT9EyEKIAb9EyELIAFBAnQhCAJAA0AgByAITw0BIAMgB2r9AAQAIAr95gEgBSAHav0ABAAgC/3mAf3kASEJIAIEQCAAIAdq/QAEACAJ/eQBIQkLIAAgB2ogCf0LBAAgB0EQaiEHDAALCwuHAQICfwR7IAT9EyEMIAb9EyENIAj9EyEOIAFBAnQhCgJAA0AgCSAKTw0BIAMgCWr9AAQAIAz95gEgBSAJav0ABAAgDf3mASAHIAlq/QAEACAO/eYB/eQB/eQBIQsgAgRAIAAgCWr9AAQAIAv95AEhCwsgACAJaiAL/QsEACAJQRBqIQkMAAsLC54BAgJ/BXsgBP0TIQ4gBv0TIQ8gCP0TIRAgCv0TIREgAUECdCEMAkADQCALIAxPDQEgAyALav0ABAAgDv3mASAFIAtq/QAEACAP/eYB/eQBIAcgC2r9AAQAIBD95gEgCSALav0ABAAgEf3mAf3kAf3kASENIAIEQCAAIAtq/QAEACAN/eQBIQ0LIAAgC2ogDf0LBAAgC0EQaiELDAALCwupBAILfw57IAVBAnQhCiAEQQJ0IQsgBkECdCEMIAdBAnQhDQJAA0AgCCADTw0BQQAhCQJAA0AgCSAKTw0B/QwAAAAAAAAAAAAAAAAAAAAAIRn9DAAAAAAAAAAAAAAAAAAAAAAhGv0MAAAAAAAAAAAAAAAAAAAAACEb/QwAAAAAAAAAAAAAAAAAAAAAIRz9DAAAAAAAAAAAAAAAAAAAAAAhHf0MAAAAAAAAAAAAAAAAAAAAACEe/QwAAAAAAAAAAAAAAAAAAAAAIR/9DAAAAAAAAAAAAAAAAAAAAAAhICAAIAggC2xqIQ4gDiALaiEPIA8hECABIAlqIRECQANAIA4gEE8NASAOKgIA/RMhEyAPKgIA/RMhFCAR/QAEACEVIBH9AAQQIRYgEf0ABCAhFyAR/QAEMCEYIBkgEyAV/eYB/eQBIRkgGiATIBb95gH95AEhGiAbIBMgF/3mAf3kASEbIBwgEyAY/eYB/eQBIRwgHSAUIBX95gH95AEhHSAeIBQgFv3mAf3kASEeIB8gFCAX/eYB/eQBIR8gICAUIBj95gH95AEhICAOQQRqIQ4gD0EEaiEPIBEgDGohEQwACwsgAiAIIA1saiAJaiESIBIgGf0LBAAgEiAa/QsEECASIBv9CwQgIBIgHP0LBDAgEiANaiESIBIgHf0LBAAgEiAe/QsEECASIB/9CwQgIBIgIP0LBDAgCUHAAGohCQwACwsgCEECaiEIDAALCwvdAwILfw57IAVBAnQhCiAEQQJ0IQsgBkECdCEMIAdBAnQhDQJAA0AgCCADTw0BQQAhCQJAA0AgCSAKTw0BIAIgCCANbGogCWohEiAS/QAEACEZIBL9AAQQIRogEv0ABCAhGyAS/QAEMCEcIBIgDWohEiAS/QAEACEdIBL9AAQQIR4gEv0ABCAhHyAS/QAEMCEgIAAgCCALbGohDiAOIAtqIQ8gDyEQIAEgCWohEQJAA0AgDiAQTw0BIA4qAgD9EyETIA8qAgD9EyEUIBH9AAQAIRUgEf0ABBAhFiAR/QAEICEXIBH9AAQwIRggGSATIBX95gH95AEhGSAaIBMgFv3mAf3kASEaIBsgEyAX/eYB/eQBIRsgHCATIBj95gH95AEhHCAdIBQgFf3mAf3kASEdIB4gFCAW/eYB/eQBIR4gHyAUIBf95gH95AEhHyAgIBQgGP3mAf3kASEgIA5BBGohDiAPQQRqIQ8gESAMaiERDAALCyACIAggDWxqIAlqIRIgEiAZ/QsEACASIBr9CwQQIBIgG/0LBCAgEiAc/QsEMCASIA1qIRIgEiAd/QsEACASIB79CwQQIBIgH/0LBCAgEiAg/QsEMCAJQcAAaiEJDAALCyAIQQJqIQgMAAsLC8YEBAd/AnsDfwh7IANBAnQhDiAOQQF0IQ8gDyAOaiEQQQAhBQJAA0AgBSACTw0BQQAhBgJAA0AgBiADTw0BQQAhBwJAA0AgB0EgTw0BIAAgBSAHaiADbCAGakECdGohCSAEIAdBAnRqIQpBACEIAkADQCAIQSBPDQEgCf0ABAAhESAJIA5q/QAEACESIAkgD2r9AAQAIRMgCSAQav0ABAAhFCARIBL9DQABAgMQERITBAUGBxQVFhchFSARIBL9DQgJCgsYGRobDA0ODxwdHh8hFiATIBT9DQABAgMQERITBAUGBxQVFhchFyATIBT9DQgJCgsYGRobDA0ODxwdHh8hGCAKIBUgF/0NAAECAwQFBgcQERITFBUWF/0LBAAgCiAVIBf9DQgJCgsMDQ4PGBkaGxwdHh/9CwSAASAKIBYgGP0NAAECAwQFBgcQERITFBUWF/0LBIACIAogFiAY/Q0ICQoLDA0ODxgZGhscHR4f/QsEgAMgCUEQaiEJIApBgARqIQogCEEEaiEIDAALCyAHQQRqIQcMAAsLQQAhBwJAA0AgB0EgTw0BIAQgB0EHdGohCSABIAYgB2ogAmwgBWpBAnRqIQogCiAJ/QAEAP0LBAAgCiAJ/QAEEP0LBBAgCiAJ/QAEIP0LBCAgCiAJ/QAEMP0LBDAgCiAJ/QAEQP0LBEAgCiAJ/QAEUP0LBFAgCiAJ/QAEYP0LBGAgCiAJ/QAEcP0LBHAgB0EBaiEHDAALCyAGQSBqIQYMAAsLIAVBIGohBQwACwsL9AUEB38CewN/CHsgBf0TIQ4gBv0TIQ8gA0ECdCEQIBBBAXQhESARIBBqIRJBACEHAkADQCAHIAJPDQFBACEIAkADQCAIIANPDQFBACEJAkADQCAJQSBPDQEgACAHIAlqIANsIAhqQQJ0aiELIAQgCUECdGohDEEAIQoCQANAIApBIE8NASAL/QAEACETIAsgEGr9AAQAIRQgCyARav0ABAAhFSALIBJq/QAEACEWIBMgFP0NAAECAxAREhMEBQYHFBUWFyEXIBMgFP0NCAkKCxgZGhsMDQ4PHB0eHyEYIBUgFv0NAAECAxAREhMEBQYHFBUWFyEZIBUgFv0NCAkKCxgZGhsMDQ4PHB0eHyEaIAwgFyAZ/Q0AAQIDBAUGBxAREhMUFRYX/QsEACAMIBcgGf0NCAkKCwwNDg8YGRobHB0eH/0LBIABIAwgGCAa/Q0AAQIDBAUGBxAREhMUFRYX/QsEgAIgDCAYIBr9DQgJCgsMDQ4PGBkaGxwdHh/9CwSAAyALQRBqIQsgDEGABGohDCAKQQRqIQoMAAsLIAlBBGohCQwACwtBACEJAkADQCAJQSBPDQEgBCAJQQd0aiELIAEgCCAJaiACbCAHakECdGohDCAAIAwgAWtqIQ0gDCAOIA39AAQA/eYBIA8gC/0ABAD95gH95AH9CwQAIAwgDiAN/QAEEP3mASAPIAv9AAQQ/eYB/eQB/QsEECAMIA4gDf0ABCD95gEgDyAL/QAEIP3mAf3kAf0LBCAgDCAOIA39AAQw/eYBIA8gC/0ABDD95gH95AH9CwQwIAwgDiAN/QAEQP3mASAPIAv9AARA/eYB/eQB/QsEQCAMIA4gDf0ABFD95gEgDyAL/QAEUP3mAf3kAf0LBFAgDCAOIA39AARg/eYBIA8gC/0ABGD95gH95AH9CwRgIAwgDiAN/QAEcP3mASAPIAv9AARw/eYB/eQB/QsEcCAJQQFqIQkMAAsLIAhBIGohCAwACwsgB0EgaiEHDAALCwuyBAIIfwl7IAL9EyELIAFBAnQhCCAIQQF0IQkgCSAIaiEKAkADQCADIAFPDQEgACADIAFsIANqQQJ0aiEHIAdBACAIbGogAiAHQQEgCGxqKgIAlDgCBCAHQQAgCGxqIAIgB0ECIAhsaioCAJQ4AgggB0EAIAhsaiACIAdBAyAIbGoqAgCUOAIMIAdBASAIbGogAiAHQQIgCGxqKgIElDgCCCAHQQEgCGxqIAIgB0EDIAhsaioCBJQ4AgwgB0ECIAhsaiACIAdBAyAIbGoqAgiUOAIMIANBBGohBCAHIAhBAnRqIQUgB0EQaiEGAkADQCAEIAFPDQEgBf0ABAAhDCAFIAhq/QAEACENIAUgCWr9AAQAIQ4gBSAKav0ABAAhDyAMIA39DQABAgMQERITBAUGBxQVFhchECAMIA39DQgJCgsYGRobDA0ODxwdHh8hESAOIA/9DQABAgMQERITBAUGBxQVFhchEiAOIA/9DQgJCgsYGRobDA0ODxwdHh8hEyAGIAsgECAS/Q0AAQIDBAUGBxAREhMUFRYX/eYB/QsEACAGIAhqIAsgECAS/Q0ICQoLDA0ODxgZGhscHR4f/eYB/QsEACAGIAlqIAsgESAT/Q0AAQIDBAUGBxAREhMUFRYX/eYB/QsEACAGIApqIAsgESAT/Q0ICQoLDA0ODxgZGhscHR4f/eYB/QsEACAFIAhBAnRqIQUgBkEQaiEGIARBBGohBAwACwsgA0EEaiEDDAALCwtkAQN/IAJBAnQhBCAEQXBxIQUCQANAIAMgBU8NASABIANqIAAgA2r9AAQA/eMB/QsEACADQRBqIQMMAAsLAkADQCADIARPDQEgASADaiAAIANqKgIAkTgCACADQQRqIQMMAAsLCw==';

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
    };
    instances.set(memory, fns);
  }
  return fns;
}
