import type * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of the wasm backend our kernels use (`BackendWasm` is not exported as a type): its
 * output allocation, views of a tensor's memory in the heap, and the heap itself.
 */
export interface WasmBackend extends tf.KernelBackend {
  /** With `memoryOffset`: a tensor registered at that address, owning nothing there. */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  /** A view of the tensor's data in the heap; its `byteOffset` is the tensor's address. */
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  /** tfjs's own table of tensors: `id` names a tensor to the C++ side. */
  dataIdMap: { get(dataId: object): { id: number } | undefined; delete(dataId: object): boolean };
  wasm: {
    asm: { memory: WebAssembly.Memory };
    /** Emscripten's `cwrap` of an exported function (`'array'` arguments copied to the stack). */
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    /** Forgets a tensor id on the C++ side (and what is cached on it); frees nothing. */
    tfjs: { disposeData(id: number): void };
  };
}
