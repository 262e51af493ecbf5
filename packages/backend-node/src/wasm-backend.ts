import type * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of the wasm backend our kernels use (`BackendWasm` is not exported as a type): its
 * output allocation, views of a tensor's memory in the heap, and the heap itself.
 */
export interface WasmBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of the tensor's data in the heap; its `byteOffset` is the tensor's address. */
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  wasm: { asm: { memory: WebAssembly.Memory } };
}
