export { ADD_TRANSPOSE } from './add-transpose';
export { INNER_PRODUCT } from './inner-product';
export { LINEAR_COMBINATION } from './linear-combination';
export { SQUARED_NORMS } from './squared-norms';
export { SYMMETRIC_MAT_MUL, SYMMETRIC_MAT_MUL_SUM } from './symmetric-product';
export {
  type NodeBackendAttempt,
  type NodeBackendChoice,
  type NodeBackendName,
  type NodeBackendOptions,
  useNodeBackend,
} from './use-node-backend';
export { restoreWasmKernels, useWasmFastKernels, wasmFastKernelsActive } from './wasm-kernels';
export { WEIGHTED_SUM } from './weighted-sum';
