/**
 * `pnpm bench`: times one full training step (forward, computeGradients, both optimizer updates,
 * awaited to completion) of VanillaMTL, RotateOnly, RotoGrad and RotoGradNorm on the reference's
 * grid on every backend available in Node, and writes results/bench.{md,json}.
 *
 * Flags: --quick (small smoke run), --backends=wasm,cpu, --steps=N, --warmup=N, --d=16,64,
 * --k=2,8, --out=NAME (report file stem), --profile (kernel profile of RotoGrad d=256 K=8),
 * --norms=0.1,1,3 (the rotation part against its floor at set ‖A_i‖₂; `none` to skip),
 * --sweep-backends=wasm (the backends that run that sweep), --batch-strategy=loop (core's
 * `setBatchStrategy` for the K rotations: auto, batched or loop; default auto),
 * --tf-flags=WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE:64 (TF.js environment flags, set after the backend).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BatchStrategy,
  type Module,
  type MultitaskModel,
  RotateOnly,
  RotoGrad,
  type StepOptions,
  SYMMETRIC_MAT_MUL_KERNEL,
  setBatchStrategy,
  skewFromLower,
  VanillaMTL,
} from '@rotograd/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const list = (name: string, def: number[]) => opt(name)?.split(',').map(Number) ?? def;
const quick = flag('quick');
const steps = Number(opt('steps') ?? (quick ? 3 : 20));
const warmup = Number(opt('warmup') ?? (quick ? 2 : 5));
const ds = list('d', quick ? [16, 64] : [16, 64, 256]);
const ks = list('k', quick ? [2] : [2, 4, 8]);
const backends = opt('backends')?.split(',') ?? ['cpu', 'wasm', 'webgpu', 'tensorflow'];
const stem = opt('out') ?? (quick ? 'bench-quick' : 'bench');
/**
 * The ‖A_i‖₂ of the norm sweep ({@link sweepNorm}), run at the grid's largest d and K, on the
 * backends where such a step takes well under a second (not cpu, not webgpu on a software
 * adapter). `trained` is the grid cell's own rotations: trained from A = 0 as the cell trains
 * them, then held.
 */
const sweepNorms: (number | 'trained')[] =
  opt('norms') === 'none'
    ? []
    : (opt('norms')
        ?.split(',')
        .map((x) => (x === 'trained' ? x : Number(x))) ??
      (quick ? [] : ['trained', 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3]));
const sweepBackends = opt('sweep-backends')?.split(',') ?? ['wasm', 'tensorflow'];
const batchStrategy = (opt('batch-strategy') ?? 'auto') as BatchStrategy;
setBatchStrategy(batchStrategy);
/** TF.js environment flags (`NAME:value`), set once each backend is selected. */
const tfFlags = Object.fromEntries(
  (opt('tf-flags')?.split(',') ?? []).map((kv) => {
    const [name, value = ''] = kv.split(':');
    return [
      name as string,
      value === 'true' || value === 'false' ? value === 'true' : Number(value),
    ];
  }),
);
const B = 256;
const IN = 64;
const HIDDEN = 256;

/** The reference's table (/work/shared/bench/reference-pytorch.md): ms per step. */
const REFERENCE: Record<string, [number, number, number, number]> = {
  '16,2': [4.44, 6.62, 6.8, 6.71],
  '16,4': [4.78, 8.59, 8.33, 17.98],
  '16,8': [4.92, 11.84, 12.3, 13.06],
  '64,2': [8.41, 17.94, 18.33, 17.94],
  '64,4': [8.61, 28.19, 26.79, 28.85],
  '64,8': [8.93, 44.3, 46.37, 45.65],
  '256,2': [22.97, 325.6, 430.1, 319.9],
  '256,4': [23.64, 627.9, 633.9, 621.8],
  '256,8': [26.82, 1283, 1221, 1292],
};
const METHODS = ['VanillaMTL', 'RotateOnly', 'RotoGrad', 'RotoGradNorm'] as const;
type Method = (typeof METHODS)[number];

type Ctor = new (b: Module, h: Module[], o: Record<string, unknown>) => MultitaskModel;
let RotoGradNorm: Ctor | undefined;
let gradnormSkip = '';
try {
  RotoGradNorm = (await import('@rotograd/gradnorm')).RotoGradNorm as unknown as Ctor;
} catch (e) {
  gradnormSkip = `@rotograd/gradnorm not importable: ${(e as Error).message}`;
}

function dense(inp: number, out: number, seed: number, relu = false) {
  const w = tf.variable(tf.randomNormal([inp, out], 0, 1 / Math.sqrt(inp), 'float32', seed));
  const b = tf.variable(tf.zeros([out]));
  const apply = (x: tf.Tensor) =>
    tf.tidy(() => {
      const y = tf.add(tf.matMul(x as tf.Tensor2D, w), b);
      return relu ? tf.relu(y) : y;
    });
  return { apply, trainableVariables: [w, b], dispose: () => tf.dispose([w, b]) };
}

function problem(d: number, k: number) {
  const l1 = dense(IN, HIDDEN, 1, true);
  const l2 = dense(HIDDEN, d, 2);
  const backbone: Module = {
    apply: (x) => tf.tidy(() => l2.apply(l1.apply(x))),
    trainableVariables: [...l1.trainableVariables, ...l2.trainableVariables],
  };
  const heads = Array.from({ length: k }, (_, i) => dense(d, 1, 10 + i));
  const x = tf.randomNormal([B, IN], 0, 1, 'float32', 100);
  const ys = heads.map((_, i) => tf.randomNormal([B, 1], 0, 1, 'float32', 200 + i));
  const lossFn = (preds: tf.Tensor[]) =>
    preds.map((p, i) =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(p, ys[i] as tf.Tensor))) as tf.Scalar),
    );
  return {
    backbone,
    heads: heads as Module[],
    x,
    lossFn,
    dispose: () => {
      l1.dispose();
      l2.dispose();
      for (const h of heads) h.dispose();
      tf.dispose([x, ...ys]);
    },
  };
}

function build(
  method: Method,
  p: ReturnType<typeof problem>,
  d: number,
): MultitaskModel | undefined {
  const o = { rotationShape: d, seed: 1 };
  if (method === 'VanillaMTL') return new VanillaMTL(p.backbone, p.heads);
  if (method === 'RotateOnly') return new RotateOnly(p.backbone, p.heads, o);
  if (method === 'RotoGrad') return new RotoGrad(p.backbone, p.heads, o);
  return RotoGradNorm ? new RotoGradNorm(p.backbone, p.heads, { ...o, alpha: 1 }) : undefined;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Cell {
  backend: string;
  method: Method;
  d: number;
  k: number;
  ms: number;
  samples: number[];
  ratio: number;
  refMs: number;
  refRatio: number;
  tensorsPerStep: number;
  bytesPerStep: number;
  leakedPerStep: number;
  /** `[n, n] × [n, n]`-shaped products in one step, per task (batched ones counted per matrix). */
  squareProductsPerTask: number;
  rotationGflops?: number;
  /** The largest ‖A_i‖₂ after the timed steps (rotation methods). */
  rotationNorm?: number;
}

/** One training step, awaited to completion (every loss read back). */
async function runStep(model: MultitaskModel, p: ReturnType<typeof problem>, opts: StepOptions) {
  const losses = model.step(p.x, p.lossFn, opts);
  await Promise.all(losses.map((l) => l.data()));
  tf.dispose(losses);
}

async function timeStep(model: MultitaskModel, p: ReturnType<typeof problem>, opts: StepOptions) {
  const t0 = performance.now();
  await runStep(model, p, opts);
  return performance.now() - t0;
}

/** Steps per block when a row's methods take turns (see {@link benchRow}). */
const BLOCK = 4;

/**
 * One row of the grid, (d, k) on one backend: the four methods' models, each on its own copy of
 * the problem, take turns in blocks of {@link BLOCK} steps after their warm-up, until each has
 * `steps` timed steps. This shared machine's speed drifts over seconds; in turns every method
 * sees the same slow moments, so the ratios to VanillaMTL hold (run one after the other, a slow
 * moment during VanillaMTL's steps alone once read RotoGrad as 0.86× VanillaMTL). Then, method by
 * method: the rotations' norms, a kernel profile with `--profile`, and one `tf.profile`d step.
 */
async function benchRow(backend: string, d: number, k: number): Promise<(Cell | string)[]> {
  const arms = METHODS.map((method) => {
    const p = problem(d, k);
    const model = build(method, p, d);
    if (!model) {
      p.dispose();
      return null;
    }
    const opts = { optimizer: tf.train.adam(1e-3), rotogradOptimizer: tf.train.adam(1e-3) };
    return { method, p, model, opts, samples: [] as number[], leaked: 0 };
  });
  const live = arms.filter((a) => a !== null);
  for (const a of live) {
    for (let i = 0; i < warmup; i++) await timeStep(a.model, a.p, a.opts);
    await a.model.flush();
  }
  for (let done = 0; done < steps; done += BLOCK) {
    for (const a of live) {
      const n0 = tf.memory().numTensors;
      for (let i = 0; i < Math.min(BLOCK, steps - done); i++)
        a.samples.push(await timeStep(a.model, a.p, a.opts));
      await a.model.flush();
      a.leaked += tf.memory().numTensors - n0;
    }
  }
  const ref = REFERENCE[`${d},${k}`] as number[];
  const out: (Cell | string)[] = [];
  for (const [mi, a] of arms.entries()) {
    if (!a) {
      out.push(gradnormSkip);
      continue;
    }
    const { method, model, p, opts } = a;
    const rotationNorm =
      method === 'VanillaMTL' ? undefined : Math.max(...(await rotationNorms(model, d)));
    if (flag('profile') && method === 'RotoGrad')
      await kernelProfile(model, p, opts, `${backend} ${method} d=${d} K=${k}`);
    const info = await tf.profile(() => runStep(model, p, opts));
    await model.flush();
    model.dispose();
    opts.optimizer.dispose();
    opts.rotogradOptimizer.dispose();
    p.dispose();
    out.push({
      backend,
      method,
      d,
      k,
      ms: median(a.samples),
      samples: a.samples,
      ratio: Number.NaN,
      refMs: ref[mi] as number,
      refRatio: (ref[mi] as number) / (ref[0] as number),
      tensorsPerStep: info.kernels.reduce((n, kr) => n + kr.outputShapes.length, 0),
      bytesPerStep: info.kernels.reduce(
        (n, kr) => n + kr.outputShapes.reduce((m, sh) => m + 4 * sh.reduce((x, y) => x * y, 1), 0),
        0,
      ),
      leakedPerStep: a.leaked / steps,
      squareProductsPerTask: squareProducts(info.kernels, d) / k,
      ...(rotationNorm === undefined ? {} : { rotationNorm }),
    });
  }
  return out;
}

/** Kernels that run matrix products: plain ones, and those known to be (skew-)symmetric. */
const PRODUCT_KERNELS = new Set(['BatchMatMul', SYMMETRIC_MAT_MUL_KERNEL]);

/**
 * How many `[n, n] × [n, n]` products (a batch counts per matrix) a profiled step ran, symmetric
 * ones (which may compute only a triangle) included.
 */
function squareProducts(kernels: { name: string; inputShapes: number[][] }[], n: number): number {
  let count = 0;
  for (const kr of kernels) {
    if (!PRODUCT_KERNELS.has(kr.name) || kr.inputShapes.length !== 2) continue;
    const [a, b] = kr.inputShapes as [number[], number[]];
    const square = (s: number[]) => s.at(-1) === n && s.at(-2) === n;
    if (square(a) && square(b)) count += a.length === 3 ? (a[0] as number) : 1;
  }
  return count;
}

/**
 * ‖A_i‖₂ of every rotation of a model, `A_i = L_i − L_iᵀ` with L_i the strictly lower part of W_i
 * (FORMAT.md §2): 100 power iterations (A is normal, so ‖A^{j+1}v‖ / ‖A^j v‖ → ‖A‖₂). Outside the
 * timed steps; it reads the values back.
 */
async function rotationNorms(model: MultitaskModel, n: number): Promise<number[]> {
  const norms = tf.tidy(() =>
    model.rotations.map((rotation) => {
      const a = skewFromLower(rotation.weight()) as tf.Tensor2D;
      let v = tf.randomNormal([n, 1], 0, 1, 'float32', 3) as tf.Tensor2D;
      for (let i = 0; i < 100; i++) {
        const av = tf.matMul(a, v);
        v = tf.div(av, tf.maximum(tf.norm(av), 1e-30));
      }
      return tf.norm(tf.matMul(a, v));
    }),
  );
  const out = await Promise.all(norms.map(async (t) => (await t.data())[0] as number));
  tf.dispose(norms);
  return out;
}

/** Sets every W_i to a seeded standard-normal matrix scaled so that ‖A_i‖₂ = nu. */
async function setRotationNorms(model: MultitaskModel, n: number, nu: number): Promise<void> {
  model.rotations.forEach((rotation, i) => {
    tf.tidy(() => rotation.assign({ weight: tf.randomNormal([n, n], 0, 1, 'float32', 700 + i) }));
  });
  const norms = await rotationNorms(model, n);
  model.rotations.forEach((rotation, i) => {
    tf.tidy(() =>
      rotation.assign({ weight: tf.mul(rotation.weight(), nu / (norms[i] as number)) }),
    );
  });
}

interface SweepPoint {
  backend: string;
  d: number;
  k: number;
  /**
   * The ‖A_i‖₂ set (for `trained` rotations, the largest after training), and the largest one
   * after the timed steps.
   */
  norm: number;
  /** Whether the rotations were trained as the grid cell trains them, rather than set. */
  trained: boolean;
  normAfter: number;
  vanillaMs: number;
  rotogradMs: number;
  /** RotoGrad − VanillaMTL, and its floor at the backend's matMul rate. */
  rotationMs: number;
  /** The plain `[n,n]×[n,n]` matMul rate, measured around each block of steps (median). */
  gflops: number;
  floorMs: number;
  /**
   * The rotation part ÷ its floor, block by block (each block's RotoGrad − VanillaMTL medians
   * against the floor at the rate measured just before and after it): the median over the blocks,
   * and the lowest and highest block. Pairing each block with its own rate keeps a slow moment
   * of the machine from landing on one side of the ratio only.
   */
  floorRatio: number;
  floorRatioRange: [number, number];
  squareProductsPerTask: number;
  leakedPerStep: number;
}

/**
 * The rotation part of a RotoGrad step against its floor at a set ‖A_i‖₂. The issue's floor
 * counts the exponential and its exact gradient as 6 n×n products, "when the norm of A is small";
 * the cheapest float32-accurate exponential grows with the norm, so the grid's cells, whose
 * rotations start at A = 0 and grow under Adam, measure wherever training has taken them. Here
 * every W_i is set to a random matrix with ‖A_i‖₂ = nu (a spread spectrum, like FORMAT.md's
 * perturbed cases) and the rotations' Adam runs at 1e-7, so the norm stays put (a step's cost does
 * not depend on the learning rate). RotoGrad and VanillaMTL steps on the same problem alternate in
 * blocks of four, with 10 plain `[n,n]×[n,n]` products before and after each block that give
 * the floor's rate side by side; × floor is taken per block against that block's rate (see
 * {@link SweepPoint.floorRatio}); medians of `steps` steps each. With `nu = 'trained'` the
 * rotations are instead trained from A = 0 for `warmup + steps` steps at 1e-3, as in the grid's
 * cell (whose A, after Adam, has a narrower spectrum than a random one of the same norm, so its
 * norm bound and plan are tighter), then held: the grid cell's own plan, paired block by block.
 */
async function sweepNorm(
  backend: string,
  vanilla: { model: MultitaskModel; opts: StepOptions },
  p: ReturnType<typeof problem>,
  d: number,
  k: number,
  nu: number | 'trained',
): Promise<SweepPoint> {
  const model = new RotoGrad(p.backbone, p.heads, { rotationShape: d, seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  if (nu === 'trained') {
    const training = tf.train.adam(1e-3);
    for (let i = 0; i < warmup + steps; i++)
      await timeStep(model, p, { optimizer, rotogradOptimizer: training });
    await model.flush();
    training.dispose();
  } else await setRotationNorms(model, d, nu);
  const norm = nu === 'trained' ? Math.max(...(await rotationNorms(model, d))) : nu;
  const rotogradOptimizer = tf.train.adam(1e-7);
  const opts = { optimizer, rotogradOptimizer };
  for (let i = 0; i < warmup; i++) await timeStep(model, p, opts);
  await model.flush();
  const operand = tf.randomNormal([d, d]) as tf.Tensor2D;
  const n0 = tf.memory().numTensors;
  const v: number[] = [];
  const r: number[] = [];
  const rates: number[] = [];
  const ratios: number[] = [];
  const floorFlops = rotationFloorFlops(d, k);
  // The plain matMul rate side by side with the steps (the machine's speed drifts): before and
  // after each block of four VanillaMTL and four RotoGrad steps.
  let before = await productRate(operand, operand);
  for (let i = 0; i < steps; i += 4) {
    const [bv, br] = [[], []] as [number[], number[]];
    for (let j = 0; j < 4; j++) bv.push(await timeStep(vanilla.model, p, vanilla.opts));
    for (let j = 0; j < 4; j++) br.push(await timeStep(model, p, opts));
    const after = await productRate(operand, operand);
    const rate = (before + after) / 2;
    rates.push(rate);
    ratios.push((median(br) - median(bv)) / (floorFlops / (rate * 1e6)));
    v.push(...bv);
    r.push(...br);
    before = after;
  }
  await model.flush();
  await vanilla.model.flush();
  const leakedPerStep = (tf.memory().numTensors - n0) / (v.length + r.length);
  operand.dispose();
  const info = await tf.profile(() => runStep(model, p, opts));
  await model.flush();
  const normAfter = Math.max(...(await rotationNorms(model, d)));
  model.dispose();
  optimizer.dispose();
  rotogradOptimizer.dispose();
  const [vanillaMs, rotogradMs] = [median(v), median(r)];
  return {
    backend,
    d,
    k,
    norm,
    trained: nu === 'trained',
    normAfter,
    vanillaMs,
    rotogradMs,
    rotationMs: rotogradMs - vanillaMs,
    gflops: median(rates),
    floorMs: floorFlops / (median(rates) * 1e6),
    floorRatio: median(ratios),
    floorRatioRange: [Math.min(...ratios), Math.max(...ratios)],
    squareProductsPerTask: squareProducts(info.kernels, d) / k,
    leakedPerStep,
  };
}

/** The norm sweep on one backend at (d, k): one VanillaMTL model, one RotoGrad per norm. */
async function sweep(backend: string, d: number, k: number): Promise<SweepPoint[]> {
  const p = problem(d, k);
  const vanilla = {
    model: new VanillaMTL(p.backbone, p.heads),
    opts: { optimizer: tf.train.adam(1e-3) } as StepOptions,
  };
  for (let i = 0; i < warmup; i++) await timeStep(vanilla.model, p, vanilla.opts);
  const points: SweepPoint[] = [];
  for (const nu of sweepNorms) points.push(await sweepNorm(backend, vanilla, p, d, k, nu));
  for (const pt of points) {
    console.info(
      `${backend} sweep d=${d} K=${k} ‖A‖₂=${pt.trained ? `${pt.norm.toFixed(2)} (trained)` : pt.norm}: RotoGrad ${pt.rotogradMs.toFixed(1)} ms, VanillaMTL ${pt.vanillaMs.toFixed(1)} ms, rotation ${pt.floorRatio.toFixed(2)}× its floor (blocks ${pt.floorRatioRange.map((x) => x.toFixed(2)).join('–')}), ${pt.squareProductsPerTask.toFixed(1)} n×n products/task`,
    );
  }
  vanilla.model.dispose();
  vanilla.opts.optimizer.dispose();
  p.dispose();
  return points;
}

const profiles: string[] = [];
/** Kernel time by kernel name over one step (tf.profile; kernel times include per-op overhead). */
async function kernelProfile(
  model: MultitaskModel,
  p: ReturnType<typeof problem>,
  opts: StepOptions,
  title: string,
) {
  const t0 = performance.now();
  const info = await tf.profile(() => runStep(model, p, opts));
  const wall = performance.now() - t0;
  const by = new Map<string, { ms: number; n: number }>();
  for (const kr of info.kernels) {
    const shape =
      PRODUCT_KERNELS.has(kr.name) || kr.name === '_FusedMatMul'
        ? `${kr.name} ${kr.inputShapes.map((s) => `[${s}]`).join('×')}`
        : kr.name;
    const e = by.get(shape) ?? { ms: 0, n: 0 };
    e.ms += Number(kr.kernelTimeMs);
    e.n += 1;
    by.set(shape, e);
  }
  const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
  const rows = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
  profiles.push(
    `### ${title}\n\n${info.kernels.length} kernels, ${total.toFixed(1)} ms in kernels, ${wall.toFixed(1)} ms wall (profiled step; profiling adds overhead)\n\n| kernel | calls | ms |\n|---|---|---|\n${rows.map(([k, e]) => `| ${k} | ${e.n} | ${e.ms.toFixed(2)} |`).join('\n')}\n`,
  );
}

/**
 * Plain 2-D matMul GFLOP/s of the backend at the rotation's shapes ([B,n]×[n,n] and [n,n]×[n,n]):
 * 10 products back to back, then one read (so neither the read nor the per-call round trip to a
 * GPU is counted), median of 7 such runs after one warm-up.
 */
async function matMulGflops(n: number) {
  const a = tf.randomNormal([B, n]) as tf.Tensor2D;
  const r = tf.randomNormal([n, n]) as tf.Tensor2D;
  const run = async (left: tf.Tensor2D) => {
    const rates: number[] = [];
    for (let i = 0; i < 8; i++) rates.push(await productRate(left, r));
    return median(rates.slice(1));
  };
  const out = { bnn: await run(a), nnn: await run(r) };
  tf.dispose([a, r]);
  return out;
}

/** GFLOP/s of 10 `left × right` products back to back, then one read. */
async function productRate(left: tf.Tensor2D, right: tf.Tensor2D): Promise<number> {
  const [m, k] = left.shape;
  const t0 = performance.now();
  const ys: tf.Tensor[] = [];
  for (let j = 0; j < 10; j++) ys.push(tf.matMul(left, right));
  await ys[ys.length - 1]!.data();
  const ms = (performance.now() - t0) / 10;
  tf.dispose(ys);
  return (2 * m * k * right.shape[1]) / (ms * 1e6);
}

/** Floor FLOPs of the rotation part per step: 3 B·n² products per task, Σ r rᵀ shared, expm + gradient ≈ 12 n³ per task. */
const rotationFloorFlops = (n: number, k: number) =>
  k * (3 * 2 * B * n * n + 12 * n ** 3) + 2 * B * n * n;

async function selectBackend(name: string): Promise<string | undefined> {
  try {
    if (name === 'cpu') await tf.setBackend('cpu');
    else if (name === 'wasm') {
      const { useNodeBackend } = await import('@rotograd/backend-node');
      await useNodeBackend({ prefer: ['wasm'], fastKernels: !flag('no-fast-kernels') });
    } else if (name === 'tensorflow') {
      const { useNodeBackend } = await import('@rotograd/backend-node');
      const c = await useNodeBackend({ prefer: ['tensorflow'] });
      if (c.backend !== 'tensorflow')
        return 'tfjs-node is not installed here (libtensorflow cannot be downloaded in this environment)';
    } else if (name === 'webgpu') {
      const { useWebGPUBackend } = await import('@rotograd/backend-webgpu');
      // A full WebGPU adapter (Vulkan on a GPU) where there is one, else a compatibility one
      // (here: Mesa's llvmpipe through OpenGL ES).
      const r = await useWebGPUBackend({ featureLevel: 'core' }).catch(() =>
        useWebGPUBackend({ featureLevel: 'compatibility' }),
      );
      adapters[name] =
        `${r.source} (${r.featureLevel}), ${[r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' ')}`;
      console.info(`webgpu: ${adapters[name]}`);
    }
    await tf.ready();
    tf.env().setFlags(tfFlags);
    if (tf.getBackend() !== name) return `selected ${tf.getBackend()} instead`;
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

const cells: Cell[] = [];
const sweepPoints: SweepPoint[] = [];
const skipped: Record<string, string> = {};
/** What each backend ran on, where it says (the WebGPU adapter). */
const adapters: Record<string, string> = {};
const matmul: Record<string, Record<number, { bnn: number; nnn: number }>> = {};
const started = new Date().toISOString();
for (const backend of backends) {
  const why = await selectBackend(backend);
  if (why) {
    skipped[backend] = why;
    console.info(`skip ${backend}: ${why}`);
    continue;
  }
  matmul[backend] = {};
  // One untimed cell first: the first steps on a fresh backend also pay for JIT compilation,
  // kernel setup and heap growth, which would otherwise land in the first timed cell.
  await benchRow(backend, ds[0] as number, ks[0] as number);
  // The plain matMul rate, taken before the cells and again after them; the higher is reported.
  // A reading taken between cells can land in one of this shared machine's slow moments (seen:
  // 14–18 against 31–32 GFLOP/s, with the cells around it running at full speed).
  const before = new Map<number, { bnn: number; nnn: number }>();
  for (const d of ds) before.set(d, await matMulGflops(d));
  for (const d of ds) {
    for (const k of ks) {
      const row: Cell[] = [];
      for (const [mi, c] of (await benchRow(backend, d, k)).entries()) {
        if (typeof c === 'string') skipped[`${backend} ${METHODS[mi]}`] = c;
        else row.push(c);
      }
      const vanilla = row.find((c) => c.method === 'VanillaMTL');
      for (const c of row) {
        if (vanilla) c.ratio = c.ms / vanilla.ms;
        if (vanilla && c.method !== 'VanillaMTL' && c.ms > vanilla.ms)
          c.rotationGflops = rotationFloorFlops(d, k) / (Math.max(c.ms - vanilla.ms, 1e-3) * 1e6);
        cells.push(c);
        console.info(
          `${backend} d=${d} K=${k} ${c.method}: ${c.ms.toFixed(2)} ms (ref ${c.refMs}), ×${c.ratio.toFixed(2)} (ref ×${c.refRatio.toFixed(2)}), ${c.tensorsPerStep} tensors, leaked ${c.leakedPerStep}`,
        );
      }
    }
  }
  for (const d of ds) {
    const [b, a] = [before.get(d)!, await matMulGflops(d)];
    (matmul[backend] as Record<number, { bnn: number; nnn: number }>)[d] = {
      bnn: Math.max(b.bnn, a.bnn),
      nnn: Math.max(b.nnn, a.nnn),
    };
    console.info(
      `${backend} matMul GFLOP/s at d=${d}: before the cells ${b.bnn.toFixed(1)} / ${b.nnn.toFixed(1)}, after ${a.bnn.toFixed(1)} / ${a.nnn.toFixed(1)}`,
    );
  }
  if (sweepNorms.length && sweepBackends.includes(backend))
    sweepPoints.push(...(await sweep(backend, Math.max(...ds), Math.max(...ks))));
}

const f = (x: number | undefined, p = 2) =>
  x === undefined || Number.isNaN(x) ? '–' : x.toFixed(p);
let md = `# Step-time benchmark\n\nRun ${started}${quick ? ' (--quick)' : ''}; median of ${steps} steps after ${warmup} warm-up steps (the four methods of a row take turns in blocks of ${BLOCK} steps); batch ${B}, input ${IN}, backbone ${IN}→${HIDDEN} ReLU→d, K linear heads, MSE, Adam. Node ${process.version}, ${(await import('node:os')).cpus().length} cores (shared with other jobs: timings are noisy).${batchStrategy === 'auto' ? '' : ` Batch strategy of the K rotations: '${batchStrategy}'.`}${Object.keys(tfFlags).length ? ` TF.js flags: ${JSON.stringify(tfFlags)}.` : ''}${Object.entries(
  adapters,
)
  .map(([k, v]) => ` ${k} adapter: ${v}.`)
  .join('')}\n\n`;
md +=
  "Rotation GFLOP/s = the rotation part's floor FLOPs (K·(3·2Bn² + 12n³) + 2Bn²) ÷ (method ms − VanillaMTL ms); matMul GFLOP/s = the backend's plain 2-D `tf.matMul` at [B,n]×[n,n] / [n,n]×[n,n]; n×n products/task = the `[n,n]×[n,n]`-shaped products of one step ÷ K (the exponential, its exact gradient, B·e^A and Lexp(A, K)·e^{−A}; at d = 256 also the B×n×n ones, since B = n).\n\n";
for (const backend of Object.keys(matmul)) {
  md += `## ${backend}\n\n| d | K | method | ms | ref ms | ÷ Vanilla | ref ÷ Vanilla | rotation GFLOP/s | matMul GFLOP/s | n×n products/task | ‖A_i‖₂ at the end | tensors/step | MB/step | leaked/step |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`;
  for (const c of cells.filter((x) => x.backend === backend)) {
    const mm = matmul[backend]?.[c.d];
    md += `| ${c.d} | ${c.k} | ${c.method} | ${f(c.ms)} | ${c.refMs} | ${f(c.ratio)} | ${f(c.refRatio)} | ${f(c.rotationGflops)} | ${mm ? `${f(mm.bnn)} / ${f(mm.nnn)}` : '–'} | ${c.method === 'VanillaMTL' ? '–' : f(c.squareProductsPerTask, 1)} | ${f(c.rotationNorm)} | ${c.tensorsPerStep} | ${f(c.bytesPerStep / 2 ** 20)} | ${c.leakedPerStep} |\n`;
  }
  md += '\n';
}
if (sweepPoints.length) {
  md += `## The rotation part against its floor, by ‖A_i‖₂\n\nRotoGrad at the grid's largest d and K with every W_i set to a random matrix of the given ‖A_i‖₂ (a spread spectrum, like FORMAT.md's perturbed cases; the grid's rotations start at A = 0 and grow under Adam), held there by a rotation learning rate of 1e-7 (a step's cost does not depend on it). The row marked trained instead trains them from A = 0 for ${warmup + steps} steps at 1e-3, as the grid's cell does (Adam leaves a narrower spectrum than a random matrix's, so the norm bound and the plan are tighter), then holds them: the grid cell's own plan, paired block by block. VanillaMTL and RotoGrad steps on the same problem alternate in blocks of four; medians of ${steps} each after ${warmup} warm-up steps. Before and after each block of steps come 10 plain \`[n,n]×[n,n]\` products (one read): the matMul rate side by side with the steps (the table shows its median over the blocks, and the floor FLOPs above at that rate). × floor is taken block by block, (RotoGrad − VanillaMTL) of the block's medians ÷ the floor at the mean of the rates just before and after it: the median over the blocks, and the lowest and highest block.\n\n| backend | d | K | ‖A_i‖₂ | after | n×n products/task | VanillaMTL ms | RotoGrad ms | rotation ms | matMul GFLOP/s | floor ms | × floor | blocks | leaked/step |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`;
  for (const pt of sweepPoints)
    md += `| ${pt.backend} | ${pt.d} | ${pt.k} | ${pt.trained ? `${f(pt.norm)}, trained` : pt.norm} | ${f(pt.normAfter)} | ${f(pt.squareProductsPerTask, 1)} | ${f(pt.vanillaMs)} | ${f(pt.rotogradMs)} | ${f(pt.rotationMs)} | ${f(pt.gflops)} | ${f(pt.floorMs)} | ${f(pt.floorRatio)} | ${pt.floorRatioRange.map((x) => f(x)).join('–')} | ${pt.leakedPerStep} |\n`;
  md += '\n';
}
if (profiles.length) md += `## Kernel profiles\n\n${profiles.join('\n')}\n`;
md += `## Skipped\n\n${
  Object.entries(skipped)
    .map(([k, v]) => `- ${k}: ${v}`)
    .join('\n') || 'none'
}\n`;
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${stem}.md`), md);
writeFileSync(
  join(dir, `${stem}.json`),
  `${JSON.stringify({ started, quick, steps, warmup, batch: B, batchStrategy, tfFlags, adapters, matmul, skipped, cells, sweep: sweepPoints }, null, 2)}\n`,
);
console.info(md);
