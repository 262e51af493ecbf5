import type * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-backend';

/**
 * The most of a right matrix the SIMD product (`mm`) works on at once, in floats (256 kB, so that it
 * stays in L2 while every row pair of A walks it): a wider right matrix is taken in panels of
 * columns that fit.
 */
export const SIMD_PANEL = 65536;

/**
 * The heap addresses of each matrix of `[batch, m, k] × [batch, k, n] → out` (a batch of 1 on
 * either side broadcast). Read after `out` is allocated, since an allocation may grow the heap.
 */
export function* matrixAddresses(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  out: tf.TensorInfo,
  backend: WasmBackend,
): Generator<[number, number, number]> {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const [ba, bb] = [a, b].map((t) => (t.shape.length === 3 ? t.shape[0]! : 1)) as [number, number];
  const at = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  const [a0, b0, c0] = [at(a), at(b), at(out)];
  for (let i = 0; i < Math.max(ba, bb); i++)
    yield [
      a0 + (ba === 1 ? 0 : i) * m * k * 4,
      b0 + (bb === 1 ? 0 : i) * k * n * 4,
      c0 + i * m * n * 4,
    ];
}

/** The scratch the SIMD module's tiled transposes (`tr`, `atr`) need: one 32×32 float32 tile (4 kB). */
const TILE_SCRATCH = 32 * 32;

/**
 * Calls `each(from, to, scratch)` for every matrix of `x` (`[rows, cols]` or a batch of them,
 * 4-byte elements) with the byte addresses of it, of `out`'s matrix at the same position (as many
 * elements), and of a scratch tile for the SIMD module's tiled transposes, freed afterwards.
 */
export function eachMatrixWithTile(
  x: tf.TensorInfo,
  out: tf.TensorInfo,
  backend: WasmBackend,
  each: (from: number, to: number, scratch: number) => void,
): void {
  const scratch = backend.makeOutput([TILE_SCRATCH], 'float32');
  // Addresses read after makeOutput: an allocation may have grown (and moved) the heap.
  const [from, to, s] = [x, out, scratch].map((t) => backend.typedArrayFromHeap(t).byteOffset) as [
    number,
    number,
    number,
  ];
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const count = x.shape.length === 3 ? x.shape[0]! : 1;
  for (let i = 0; i < count; i++) each(from + i * rows * cols * 4, to + i * rows * cols * 4, s);
  backend.disposeData(scratch.dataId);
}
