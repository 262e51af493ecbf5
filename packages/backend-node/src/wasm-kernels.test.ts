import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './index';
import { restoreWasmKernels, useWasmFastKernels, wasmFastKernelsActive } from './wasm-kernels';

/** A float64 product of row-major matrices, with optional transposes, as the reference. */
function product(
  a: Float32Array,
  [ar, ac]: number[],
  b: Float32Array,
  [br, bc]: number[],
  ta: boolean,
  tb: boolean,
): number[] {
  const m = ta ? ac! : ar!;
  const k = ta ? ar! : ac!;
  const n = tb ? br! : bc!;
  const at = (i: number, l: number) => (ta ? a[l * ac! + i]! : a[i * ac! + l]!);
  const bt = (l: number, j: number) => (tb ? b[j * bc! + l]! : b[l * bc! + j]!);
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += at(i, l) * bt(l, j);
      out.push(s);
    }
  return out;
}

function maxError(got: ArrayLike<number>, want: number[]): number {
  let worst = 0;
  want.forEach((w, i) => {
    worst = Math.max(worst, Math.abs((got[i] as number) - w));
  });
  return worst;
}

/**
 * Registers, in place of the wasm backend's kernel `name`, one that calls `record` and then the
 * original; returns what restores the original.
 */
function watchWasmKernel(name: string, record: (args: Parameters<tf.KernelFunc>[0]) => void) {
  const config = tf.getKernel(name, 'wasm');
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...config,
    kernelFunc: (args) => {
      record(args);
      return config.kernelFunc(args);
    },
  });
  return () => {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  };
}

/**
 * Runs `run` again on the backend's own kernels (after `restore`, if given, has put back any
 * watched kernel), and expects our kernels' outputs `fast` to equal them in shape, dtype and
 * every value. Returns the own kernels' outputs, which the caller disposes.
 */
async function expectAsOwnKernels(
  fast: tf.Tensor[],
  run: () => tf.Tensor[],
  restore?: () => void,
): Promise<tf.Tensor[]> {
  const fastValues = await Promise.all(fast.map((t) => t.data()));
  restoreWasmKernels();
  restore?.();
  const own = run();
  const ownValues = await Promise.all(own.map((t) => t.data()));
  useWasmFastKernels();
  fast.forEach((t, i) => {
    expect(t.shape, `output ${i}`).toEqual(own[i]!.shape);
    expect(t.dtype).toBe(own[i]!.dtype);
    expect(Array.from(fastValues[i]!), `output ${i}`).toEqual(Array.from(ownValues[i]!));
  });
  return own;
}

describe('useWasmFastKernels', () => {
  afterAll(() => restoreWasmKernels());

  it('is installed by useNodeBackend on wasm, and can be turned off', async () => {
    const off = await useNodeBackend({ prefer: ['wasm'], fastKernels: false });
    expect(wasmFastKernelsActive()).toBe(false);
    expect(off.reason).not.toMatch(/fast transposed/);
    const on = await useNodeBackend({ prefer: ['wasm'] });
    expect(wasmFastKernelsActive()).toBe(true);
    expect(on.reason).toMatch(/fast transposed products, slices and sums/);
    expect(useWasmFastKernels()).toBe(true); // idempotent
  });

  it('computes every transpose combination exactly as a float64 product, without leaking', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const a = tf.randomNormal([37, 19], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([37, 19], 0, 1, 'float32', 2) as tf.Tensor2D;
    const c = tf.randomNormal([19, 23], 0, 1, 'float32', 3) as tf.Tensor2D;
    const [av, bv, cv] = [a.dataSync(), b.dataSync(), c.dataSync()] as Float32Array[];
    const cases: [tf.Tensor2D, Float32Array, tf.Tensor2D, Float32Array, boolean, boolean][] = [
      [a, av!, c, cv!, false, false], // [37,19]×[19,23]
      [a, av!, b, bv!, true, false], // [19,37]×[37,19]
      [a, av!, b, bv!, false, true], // [37,19]×[19,37]
      [c, cv!, a, av!, true, true], // [23,19]×[19,37]
    ];
    const before = tf.memory().numTensors;
    for (const [x, xv, y, yv, ta, tb] of cases) {
      const out = tf.matMul(x, y, ta, tb);
      const want = product(xv, x.shape, yv, y.shape, ta, tb);
      expect(out.shape).toEqual([ta ? x.shape[1] : x.shape[0], tb ? y.shape[0] : y.shape[1]]);
      // float32 sums of ≤ 37 products of unit normals: a few ulps of ~6.
      expect(maxError(await out.data(), want)).toBeLessThan(1e-5 * 37);
      out.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, c]);
  });

  it('keeps fused 2-D products (bias, activation) and batched products exact', async () => {
    // (The wasm backend's own fused kernel mishandles the bias of *batched* inputs, with or
    // without transposes; that is upstream, so fused products are checked in 2-D.)
    await useNodeBackend({ prefer: ['wasm'] });
    const a = tf.randomNormal([8, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
    const b = tf.randomNormal([6, 8], 0, 1, 'float32', 5) as tf.Tensor2D;
    const bias = tf.randomNormal([6], 0, 1, 'float32', 6);
    const a3 = tf.randomNormal([3, 8, 5], 0, 1, 'float32', 7) as tf.Tensor3D;
    const b3 = tf.randomNormal([3, 6, 8], 0, 1, 'float32', 8) as tf.Tensor3D;
    const inputs = [a, b, bias, a3, b3];
    const onWasm = [
      tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' }),
      tf.matMul(a3, b3, true, true),
    ];
    const wasmValues = await Promise.all(onWasm.map((t) => t.data()));
    const values = await Promise.all(inputs.map((t) => t.data()));
    await tf.setBackend('cpu');
    const [ac, bc, biasc, a3c, b3c] = inputs.map((t, i) => tf.tensor(values[i]!, t.shape));
    const want = [
      tf.fused.matMul({
        a: ac as tf.Tensor2D,
        b: bc as tf.Tensor2D,
        transposeA: true,
        transposeB: true,
        bias: biasc,
        activation: 'relu',
      }),
      tf.matMul(a3c!, b3c!, true, true),
    ];
    expect(want.map((t) => t.shape)).toEqual(onWasm.map((t) => t.shape));
    expect(want.map((t) => t.shape)).toEqual([
      [5, 6],
      [3, 5, 6],
    ]);
    for (let i = 0; i < 2; i++)
      expect(maxError(wasmValues[i]!, Array.from(await want[i]!.data()))).toBeLessThan(1e-5);
    expect(Math.min(...wasmValues[0]!)).toBe(0); // relu applied
    expect(Math.min(...wasmValues[1]!)).toBeLessThan(0);
    tf.dispose([...want, ac!, bc!, biasc!, a3c!, b3c!]);
    await tf.setBackend('wasm');
    tf.dispose([...inputs, ...onWasm]);
  });

  it('transposes explicitly, then runs the plain kernel', async () => {
    // Not a timing test: watches which wasm kernels a transposed product reaches.
    await useNodeBackend({ prefer: ['wasm'] });
    const seen: string[] = [];
    const watch = (name: string) =>
      watchWasmKernel(name, (args) => {
        const { transposeA, transposeB } = (args.attrs ?? {}) as Record<string, unknown>;
        seen.push(name === tf.Transpose ? name : `${name}(${transposeA},${transposeB})`);
      });
    restoreWasmKernels();
    const unwatch = [watch(tf.BatchMatMul), watch(tf.Transpose)];
    useWasmFastKernels(); // wraps the watched kernel
    const a = tf.ones([4, 3]);
    const b = tf.ones([2, 4]);
    const before = tf.memory().numTensors;
    const y = tf.matMul(a, b, true, true);
    expect(Array.from(await y.data())).toEqual([4, 4, 4, 4, 4, 4]);
    expect(seen).toEqual([tf.Transpose, tf.Transpose, 'BatchMatMul(false,false)']);
    expect(tf.memory().numTensors).toBe(before + 1);
    restoreWasmKernels();
    for (const u of unwatch.reverse()) u();
    useWasmFastKernels();
    tf.dispose([a, b, y]);
  });

  it('slices, splits and unstacks exactly as the backend’s own kernels, without leaking', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const x = tf.randomNormal([4, 6, 10], 0, 1, 'float32', 9);
    const xi = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const run = () => [
      tf.slice(x, [1, 2, 3], [2, 3, 4]), // non-contiguous
      tf.slice(x, [1, 0, 0], [2, -1, -1]), // contiguous rows
      tf.slice(x, [0, 5, 0], [4, 1, 10]),
      tf.slice(x, [2, 3, 9], [1, 1, 1]),
      ...tf.split(x, [1, 3], 0),
      ...tf.split(x, 5, 2),
      ...tf.split(x, [2, 4], 1),
      ...tf.unstack(x, 0),
      ...tf.unstack(x, 2),
      tf.slice(xi, [0, 1], [2, 2]),
      ...tf.split(xi, 3, 1),
    ];
    const before = tf.memory().numTensors;
    const fast = run();
    expect(tf.memory().numTensors).toBe(before + fast.length);
    const own = await expectAsOwnKernels(fast, run);
    const fastValues = await Promise.all(fast.map((t) => t.data()));
    // And against values read on the host.
    const host = (await x.array()) as number[][][];
    expect(Array.from(fastValues[0]!)).toEqual(
      [1, 2].flatMap((a) => [2, 3, 4].flatMap((b) => [3, 4, 5, 6].map((c) => host[a]![b]![c]!))),
    );
    expect(Array.from(fastValues.at(-4)!)).toEqual([2, 3, 5, 6]);
    tf.dispose([...fast, ...own, x, xi]);
  });

  it('transposes matrices with sides a multiple of 32 on the SIMD module, exactly as the backend’s own kernel', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    // The first seven on the SIMD module (four with rows a power of two, where tiles alias in
    // the cache), the others on the backend's kernel.
    const cases: { shape: number[]; perm: number[] }[] = [
      { shape: [256, 256], perm: [1, 0] },
      { shape: [256, 64], perm: [1, 0] },
      { shape: [128, 2048], perm: [1, 0] },
      { shape: [2048, 256], perm: [1, 0] },
      { shape: [3, 128, 96], perm: [0, 2, 1] },
      { shape: [96, 64], perm: [1, 0] },
      { shape: [32, 32], perm: [1, 0] },
      { shape: [96, 48], perm: [1, 0] }, // a side not a multiple of 32
      { shape: [256, 16], perm: [1, 0] },
      { shape: [128, 128, 64], perm: [1, 0, 2] }, // not the last two axes
      { shape: [2, 2, 128, 64], perm: [0, 1, 3, 2] }, // rank 4
    ];
    const tensors = cases.map(({ shape }, i) => tf.randomNormal(shape, 0, 1, 'float32', 30 + i));
    const ints = tf.cast(tf.mul(tensors[1]!, 100), 'int32');
    const bools = tf.greater(tensors[0]!, 0);
    const run = () => [
      ...cases.map(({ perm }, i) => tf.transpose(tensors[i]!, perm)),
      tf.transpose(ints),
      tf.transpose(bools),
    ];
    // Which shapes reach the backend's own kernel.
    restoreWasmKernels();
    const reached: string[] = [];
    const unwatch = watchWasmKernel(tf.Transpose, (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      reached.push(`${x.shape}|${(args.attrs as unknown as { perm: number[] }).perm}|${x.dtype}`);
    });
    useWasmFastKernels();
    const before = tf.memory().numTensors;
    const fast = run();
    expect(tf.memory().numTensors).toBe(before + fast.length);
    expect(reached).toEqual([
      '96,48|1,0|float32',
      '256,16|1,0|float32',
      '128,128,64|1,0,2|float32',
      '2,2,128,64|0,1,3,2|float32',
      '256,256|1,0|bool',
    ]);
    const mine = await expectAsOwnKernels(fast, run, unwatch);
    // And against the host: [256, 64]ᵀ[j][i] = x[i][j].
    const host = (await tensors[1]!.array()) as number[][];
    const t1 = (await fast[1]!.array()) as number[][];
    expect(t1.length).toBe(64);
    expect(t1[37]![201]).toBe(host[201]![37]);
    expect(t1.flat()).toEqual(host[0]!.flatMap((_, j) => host.map((row) => row[j]!)));
    tf.dispose([...fast, ...mine, ...tensors, ints, bools]);
  });

  it('takes float32 square roots on the SIMD module, exactly as the backend’s own kernel', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const specials = tf.tensor1d([0, -0, 1e-40, 2, -1, Number.POSITIVE_INFINITY, Number.NaN]);
    const tensors = [
      tf.randomUniform([256, 256], 0, 10, 'float32', 41),
      tf.randomUniform([3, 5], 0, 1e-3, 'float32', 42), // 15: three lanes left over
      specials,
      tf.zeros([0, 4]),
    ];
    const run = () => tensors.map((t) => tf.sqrt(t));
    restoreWasmKernels();
    let reached = 0;
    const unwatch = watchWasmKernel(tf.Sqrt, () => {
      reached++;
    });
    useWasmFastKernels();
    const before = tf.memory().numTensors;
    const fast = run();
    expect(tf.memory().numTensors).toBe(before + fast.length);
    expect(reached).toBe(0);
    const mine = await expectAsOwnKernels(fast, run, unwatch);
    const s = await fast[2]!.data();
    expect(Array.from(s.slice(0, 2))).toEqual([0, -0]);
    expect(s[3]).toBe(Math.fround(Math.sqrt(2)));
    expect(Number.isNaN(s[4]!)).toBe(true);
    expect(s[5]).toBe(Number.POSITIVE_INFINITY);
    tf.dispose([...fast, ...mine, ...tensors]);
  });

  it('clones by sharing memory, and the clone outlives its source', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const before = tf.memory();
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors + 2);
    expect(after.numBytes - before.numBytes).toBe(2 * 12); // tfjs counts per tensor
    expect(after.numDataBuffers).toBe(before.numDataBuffers + 1); // one buffer, shared
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    const v = tf.variable(y);
    const next = tf.tensor1d([4, 5, 6]);
    v.assign(next);
    next.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    expect(Array.from(await v.data())).toEqual([4, 5, 6]);
    tf.dispose([y, v]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });

  it('runs batched products as 2-D products in one kernel, broadcasting a batch of one', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const shapes: [number[], number[], boolean, boolean][] = [
      [[4, 5, 7], [4, 7, 3], false, false],
      [[4, 5, 7], [1, 7, 3], false, false],
      [[1, 5, 7], [4, 7, 3], false, false],
      [[4, 7, 5], [4, 3, 7], true, true],
    ];
    const before = tf.memory().numTensors;
    for (const [sa, sb, ta, tb] of shapes) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 21);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 22);
      const y = tf.matMul(a, b, ta, tb);
      expect(y.shape).toEqual([4, 5, 3]);
      const [av, bv, yv] = await Promise.all([a.data(), b.data(), y.data()]);
      for (let i = 0; i < 4; i++) {
        const ai = av.slice((sa[0] === 1 ? 0 : i) * 35, (sa[0] === 1 ? 1 : i + 1) * 35);
        const bi = bv.slice((sb[0] === 1 ? 0 : i) * 21, (sb[0] === 1 ? 1 : i + 1) * 21);
        const want = product(
          Float32Array.from(ai),
          sa.slice(1),
          Float32Array.from(bi),
          sb.slice(1),
          ta,
          tb,
        );
        expect(maxError(yv.slice(i * 15, (i + 1) * 15), want), `${sa}×${sb}[${i}]`).toBeLessThan(
          1e-5,
        );
      }
      tf.dispose([a, b, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs a batch on views of its memory, leaving nothing behind in the heap', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    const heap = () =>
      (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    // 60 columns: not a multiple of 16, so these products take XNNPACK's path, on views.
    const a = tf.randomNormal([8, 64, 64], 0, 1, 'float32', 31);
    const b = tf.randomNormal([8, 64, 60], 0, 1, 'float32', 32);
    const c = tf.randomNormal([8, 60, 60], 0, 1, 'float32', 33);
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const y = tf.matMul(a, b);
        tf.dispose([y, tf.matMul(y, c)]);
      }
    };
    run(20);
    const before = [tf.memory().numTensors, heap()];
    // XNNPACK caches an operator (with a packed copy of B, 15 kB here) per B tensor id; a view
    // whose id were never released would keep one per product: 2400 of them, ~35 MB.
    run(150);
    expect([tf.memory().numTensors, heap()]).toEqual(before);
    // The last matrix of the batch, against a float64 product (views at the right offsets).
    const y = tf.matMul(a, b);
    const [av, bv, yv] = await Promise.all([a.data(), b.data(), y.data()]);
    const want = product(
      av.slice(7 * 4096) as Float32Array,
      [64, 64],
      bv.slice(7 * 3840) as Float32Array,
      [64, 60],
      false,
      false,
    );
    expect(maxError(yv.slice(7 * 3840), want)).toBeLessThan(1e-4);
    tf.dispose([a, b, c, y]);
  });

  it('runs plain products on its SIMD kernel where the shapes allow, as exactly as XNNPACK', async () => {
    await useNodeBackend({ prefer: ['wasm'] });
    // [a shape, b shape, transposeA, transposeB]: 2-D, batched, broadcast, transposed, right
    // matrices over 256 kB (in panels of columns), and shapes the kernel does not take (odd m,
    // n not a multiple of 16, k over 4096).
    const cases: [number[], number[], boolean, boolean][] = [
      [[64, 64], [64, 64], false, false],
      [[256, 64], [64, 256], false, false],
      [[6, 48], [48, 32], false, false],
      [[3, 64, 64], [3, 64, 64], false, false],
      [[1, 32, 48], [4, 48, 32], false, false],
      [[4, 32, 48], [1, 48, 16], false, false],
      [[64, 32], [48, 64], true, true],
      [[5, 64], [64, 64], false, false],
      [[64, 64], [64, 40], false, false],
      [[16, 512], [512, 256], false, false],
      [[2, 64, 256], [2, 256, 1040], false, false],
      [[3, 32, 256], [1, 256, 528], false, false],
      [[2, 4112], [4112, 16], false, false],
    ];
    const before = tf.memory().numTensors;
    // Panels go through a scratch matrix in the heap, which must be freed.
    const dataIds = tf.engine().backend.numDataIds();
    for (const [sa, sb, ta, tb] of cases) {
      const a = tf.randomNormal(sa, 0, 1, 'float32', 41);
      const b = tf.randomNormal(sb, 0, 1, 'float32', 42);
      const y = tf.matMul(a, b, ta, tb);
      useWasmFastKernels({ simdProducts: false });
      const x = tf.matMul(a, b, ta, tb);
      useWasmFastKernels();
      expect(y.shape, `${sa}×${sb}`).toEqual(x.shape);
      const [av, bv, yv, xv] = await Promise.all([a.data(), b.data(), y.data(), x.data()]);
      // Against float64, matrix by matrix; and against XNNPACK's result.
      const batch = y.rank === 3 ? y.shape[0]! : 1;
      const [m, n] = y.shape.slice(-2) as [number, number];
      const [am, bm] = [sa.slice(-2), sb.slice(-2)];
      const [as, bs] = [am[0]! * am[1]!, bm[0]! * bm[1]!];
      // Sums of k products of N(0, 1) values: float32 rounding grows with k.
      const tolerance = Math.max(2e-4, 2e-6 * (ta ? am[0]! : am[1]!));
      for (let i = 0; i < batch; i++) {
        const ai = sa.length === 3 && sa[0] === 1 ? 0 : i;
        const bi = sb.length === 3 && sb[0] === 1 ? 0 : i;
        const want = product(
          av.slice(ai * as, (ai + 1) * as) as Float32Array,
          am,
          bv.slice(bi * bs, (bi + 1) * bs) as Float32Array,
          bm,
          ta,
          tb,
        );
        const got = yv.slice(i * m * n, (i + 1) * m * n);
        expect(maxError(got, want), `${sa}×${sb}[${i}]`).toBeLessThan(tolerance);
      }
      expect(maxError(yv, Array.from(xv)), `${sa}×${sb} against XNNPACK`).toBeLessThan(tolerance);
      tf.dispose([a, b, y, x]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  });
});
