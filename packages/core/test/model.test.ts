import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cached, type MultitaskModel, RotateOnly, RotoGrad, VanillaMTL } from '../src/index';
import { batchStrategy } from '../src/mat-mul';
import { problem, values } from './helpers';

const methods = {
  VanillaMTL: (b: never, h: never[]) => new VanillaMTL(b, h),
  RotateOnly: (b: never, h: never[]) => new RotateOnly(b, h, { rotationShape: 6, seed: 1 }),
  RotoGrad: (b: never, h: never[]) =>
    new RotoGrad(b, h, { rotationShape: 6, seed: 1, burnInPeriod: 5 }),
} as const;

function build(method: keyof typeof methods, p: ReturnType<typeof problem>): MultitaskModel {
  return methods[method](p.backbone as never, p.heads as never[]);
}

afterEach(() => vi.restoreAllMocks());

describe.each(Object.keys(methods) as Array<keyof typeof methods>)('%s', (method) => {
  it('trains (losses fall) and leaks no tensor over 50 steps, inside and outside cached()', async () => {
    // K = 8: more task gradients than one WebGPU kernel may bind by default (see sumAll).
    const p = problem({ seed: 3, k: 8 });
    const model = build(method, p);
    const optimizer = tf.train.adam(0.02);
    const rotogradOptimizer = tf.train.adam(0.01);
    let first: number[] = [];
    let last: number[] = [];
    let before = -1;
    for (let i = 0; i < 51; i++) {
      const run = () => model.step(p.x, p.lossFn, { optimizer, rotogradOptimizer });
      const losses = i % 2 ? cached(run) : run();
      last = await values(losses);
      tf.dispose(losses);
      if (i === 0) {
        first = last;
        await model.flush(); // reads in flight hold a tensor each on WebGPU
        before = tf.memory().numTensors; // optimizer slots exist from here on
      }
    }
    await model.flush();
    expect(tf.memory().numTensors).toBe(before);
    expect(last.reduce((a, b) => a + b)).toBeLessThan(0.5 * first.reduce((a, b) => a + b));
    // predict, task(i) and computeGradients leak nothing either.
    const n0 = tf.memory().numTensors;
    tf.dispose(model.predict(p.x));
    tf.dispose(model.task(1).apply(p.x));
    model
      .computeGradients(p.x, p.lossFn, {
        details: true,
        backboneLoss: (z) => tf.mean(tf.square(z)),
      })
      .dispose();
    await model.flush();
    expect(tf.memory().numTensors).toBe(n0);
    model.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
    p.dispose();
  });

  it("records only the backbone and the backbone loss on the backbone's gradient tape", () => {
    // The heads, their gradients, the rotations and the combiner feed the backbone's gradient but
    // are not differentiated through: recorded there, every kernel input would be copied and held
    // until the backbone's gradient returned. (Reads tfjs-core's tape, as offTape does.)
    const p = problem({ seed: 3, k: 3 });
    const model = build(method, p);
    const state = (tf.engine() as unknown as { state: { activeTape: { kernelName: string }[] } })
      .state;
    let tape: { kernelName: string }[] = [];
    const backbone = p.backbone.apply;
    p.backbone.apply = (x, o) => {
      tape = state.activeTape;
      return backbone(x, o);
    };
    model.computeGradients(p.x, p.lossFn, { backboneLoss: (z) => tf.mean(tf.abs(z)) }).dispose();
    // The backbone (two dense layers), the backbone loss, and the node through which the combined
    // gradient enters (a custom gradient, named after the scope it runs in), added to the loss.
    expect(tape.map((n) => n.kernelName).filter((k) => !k.endsWith('__op'))).toEqual([
      ...['BatchMatMul', 'Add', 'Relu', 'BatchMatMul', 'Add'],
      ...['Abs', 'Mean'],
      'forward',
      'Add',
    ]);
    model.dispose();
    p.dispose();
  });

  it('trains with a single Adam for the model and the rotations', async () => {
    const p = problem({ seed: 9 });
    const model = build(method, p);
    const optimizer = tf.train.adam(0.02);
    let first = 0;
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const losses = model.step(p.x, p.lossFn, { optimizer });
      last = (await values(losses)).reduce((a, b) => a + b);
      if (i === 0) first = last;
      tf.dispose(losses);
    }
    expect(last).toBeLessThan(0.5 * first);
    model.dispose();
    optimizer.dispose();
    p.dispose();
  });

  it('leaves no tensor behind after construction and dispose()', () => {
    const p = problem({ seed: 8 });
    const before = tf.memory().numTensors;
    build(method, p).dispose();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('reads nothing back synchronously during a step', () => {
    const p = problem({ seed: 4 });
    const model = build(method, p);
    const optimizer = tf.train.sgd(0.01);
    const proto = tf.Tensor.prototype;
    const spies = [
      vi.spyOn(proto, 'dataSync'),
      vi.spyOn(proto, 'arraySync'),
      vi.spyOn(proto, 'bufferSync'),
    ];
    for (let i = 0; i < 3; i++) {
      tf.dispose(
        model.step(p.x, p.lossFn, { optimizer, backboneLoss: (z) => tf.mean(tf.square(z)) }),
      );
      model.computeGradients(p.x, p.lossFn, { details: true }).dispose();
    }
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    model.dispose();
    optimizer.dispose();
    p.dispose();
  });

  it('predict and task(i) agree with the training forward pass', async () => {
    const p = problem({ seed: 5, k: 3 });
    const model = build(method, p);
    let trainPreds: number[][] = [];
    const r = model.computeGradients(p.x, (preds) => {
      trainPreds = preds.map((t) => Array.from(t.dataSync()));
      return p.lossFn(preds);
    });
    r.dispose();
    const preds = model.predict(p.x);
    for (let i = 0; i < 3; i++) {
      const viaTask = model.task(i).apply(p.x) as tf.Tensor;
      const a = await preds[i]!.data();
      const b = await viaTask.data();
      a.forEach((v, j) => {
        expect(v).toBeCloseTo(trainPreds[i]![j]!, 5);
        expect(b[j]).toBeCloseTo(v, 5);
      });
      viaTask.dispose();
    }
    tf.dispose(preds);
    expect(model.numTasks).toBe(3);
    expect(model.modelVariables().length).toBe(4 + 3 * 2);
    // One [K, n, n] variable W for all K rotations.
    const rv = model.rotogradVariables();
    expect(rv.map((v) => v.shape)).toEqual(method === 'VanillaMTL' ? [] : [[3, 6, 6]]);
    model.dispose();
    p.dispose();
  });
});

describe('rotations under training', () => {
  it('stay orthogonal with determinant +1 after 300 steps with a large rotation learning rate', async () => {
    const p = problem({ seed: 6, rep: 4 });
    const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 4, seed: 9 });
    const optimizer = tf.train.adam(0.01);
    const rotogradOptimizer = tf.train.adam(0.2);
    for (let i = 0; i < 300; i++) {
      const losses = model.step(p.x, p.lossFn, { optimizer, rotogradOptimizer });
      await values(losses);
      tf.dispose(losses);
    }
    for (const rot of model.rotations) {
      const r = rot.matrix();
      const rrt = tf.matMul(r, r, false, true);
      const err = (await tf.max(tf.abs(tf.sub(rrt, tf.eye(4)))).data())[0]!;
      expect(err).toBeLessThan(1e-5);
      // det via the product of LU pivots computed on the host, in float64
      const m = Array.from(await r.data());
      let det = 1;
      for (let c = 0; c < 4; c++) {
        let piv = c;
        for (let rr = c + 1; rr < 4; rr++)
          if (Math.abs(m[rr * 4 + c]!) > Math.abs(m[piv * 4 + c]!)) piv = rr;
        if (piv !== c) {
          for (let k = 0; k < 4; k++)
            [m[c * 4 + k], m[piv * 4 + k]] = [m[piv * 4 + k]!, m[c * 4 + k]!];
          det = -det;
        }
        det *= m[c * 4 + c]!;
        for (let rr = c + 1; rr < 4; rr++) {
          const f = m[rr * 4 + c]! / m[c * 4 + c]!;
          for (let k = c; k < 4; k++) m[rr * 4 + k]! -= f * m[c * 4 + k]!;
        }
      }
      expect(det).toBeCloseTo(1, 5);
      const w = rot.weight();
      const wNorm = (await tf.norm(w).data())[0]!;
      expect(wNorm).toBeGreaterThan(0.5); // the rotation really moved
      tf.dispose([r, rrt, w]);
    }
    model.dispose();
    optimizer.dispose();
    rotogradOptimizer.dispose();
    p.dispose();
  });
});

describe("the rotations' exact gradient", () => {
  it('takes 15 n×n products per task with the degree-12 plan and one squaring', () => {
    // n = 64 (batch 16, hidden 12: no other product is n×n by n×n). Per task: the exponential
    // (4 + 1 squaring), R = B·e^A, its derivative (2 per product, but X² and X⁴ = (X²)² in 1 each
    // because A and K are skew-symmetric, and 2 for the squaring: 8) and the final ·e^{−A}.
    const p = problem({ seed: 4, rep: 64 });
    const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 64, seed: 1, expmMaxNorm: 3 });
    const spy = vi.spyOn(tf.engine(), 'runKernel');
    model.computeGradients(p.x, p.lossFn).dispose();
    // Counted per matrix: [64, 64] products, or [K, 64, 64] batches of K (the batched layout).
    let square = 0;
    for (const [name, inputs] of spy.mock.calls) {
      const ts = Object.values(inputs as Record<string, tf.Tensor>);
      if (name === 'BatchMatMul' && ts.every((t) => t.shape.slice(-2).join() === '64,64'))
        square += Math.max(...ts.map((t) => (t.rank === 3 ? t.shape[0]! : 1)));
    }
    spy.mockRestore();
    expect(square).toBe(2 * 15);
    model.dispose();
    p.dispose();
  });
});

describe('cached()', () => {
  it('computes the rotation matrices once per weight value and disposes them on exit', async () => {
    const p = problem({ seed: 7 });
    const model = new RotoGrad(p.backbone, p.heads, { rotationShape: 6, seed: 2 });
    const before = tf.memory().numTensors;
    // Count the matrix products the engine runs.
    const engine = tf.engine();
    const spy = vi.spyOn(engine, 'runKernel');
    const products = () => spy.mock.calls.filter((c) => c[0] === 'BatchMatMul').length;
    cached(() => {
      const a = model.rotations[0]!.matrix();
      const afterFirst = products();
      const b = model.rotations[0]!.matrix();
      expect(afterFirst).toBeGreaterThan(0);
      expect(products()).toBe(afterFirst); // the second call reuses the cached matrix
      tf.dispose([a, b]);
      tf.dispose(model.predict(p.x));
      const beforePredict = products();
      tf.dispose(model.predict(p.x));
      // The second predict runs only backbone (2), rotation and heads (2): no exponential. The
      // rotation is one product for both tasks, or one per task in the per-task layout.
      const rotation = batchStrategy(6) === 'loop' ? 2 : 1;
      expect(products() - beforePredict).toBe(4 + rotation);
    });
    await model.flush(); // on WebGPU each norm read in flight holds a tensor
    expect(tf.memory().numTensors).toBe(before);
    const n = products();
    tf.dispose(model.rotations[0]!.matrix());
    expect(products()).toBeGreaterThan(n); // outside cached(): computed each time
    spy.mockRestore();
    // A weight update inside the scope is seen.
    const seen: number[] = [];
    cached(() => {
      const a = model.rotations[1]!.matrix();
      seen.push((a.dataSync() as Float32Array)[0]!);
      tf.tidy(() => model.rotations[1]!.assign({ weight: tf.mul(tf.ones([6, 6]), 0.3) }));
      const b = model.rotations[1]!.matrix();
      seen.push((b.dataSync() as Float32Array)[0]!);
      tf.dispose([a, b]);
    });
    expect(seen[0]).not.toBeCloseTo(seen[1]!, 3);
    model.dispose();
    p.dispose();
  });
});
