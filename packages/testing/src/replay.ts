import * as tf from '@tensorflow/tfjs-core';
import type { Gradients, Module, MultitaskModel } from '../../core/src/index';
import {
  backboneLossOf,
  type CaseFixture,
  compare,
  FixtureParams,
  flat,
  layersModule,
  type StoredTensor,
  taskLoss,
  toTensor,
} from './fixtures';

/** One tensor compared with the reference. */
export interface Comparison {
  step: number;
  what: string;
  err: number;
  bound: number;
  ok: boolean;
}

/** A model built for a fixture; `weightLogits` when the method has task-weight logits. */
export type FixtureModel = MultitaskModel & { weightLogits?: tf.Variable[] };

export type ModelFactory = (
  fixture: CaseFixture,
  backbone: Module,
  heads: Module[],
) => FixtureModel;

/** Maps a combiner's stats name to the fixture field it must equal. */
export type StatsCheck = (
  stats: Record<string, tf.Tensor>,
  step: CaseFixture['steps'][number],
) => Array<[string, tf.Tensor, unknown]>;

/**
 * Replays a case fixture from `initial` through the public API (`computeGradients` with
 * details, then SGD through `tf.train.sgd` optimizers) and compares every recorded quantity.
 */
export async function replayCase(
  fixture: CaseFixture,
  factory: ModelFactory,
  statsCheck?: StatsCheck,
): Promise<Comparison[]> {
  const cfg = fixture.config;
  const params = new FixtureParams(
    fixture.initial.params,
    (n) => !n.startsWith('rotation.') && !n.startsWith('gradnorm.'),
  );
  const backbone = layersModule(fixture.architecture.backbone.layers, params);
  const heads = fixture.architecture.heads.map((h) => layersModule(h.layers, params));
  const model = factory(fixture, backbone, heads);
  const rotoNames = new Map<string, string>();
  const assign = (v: tf.Variable, t: StoredTensor) => {
    const value = toTensor(t);
    v.assign(value);
    value.dispose();
  };
  model.rotations.forEach((r, i) => {
    tf.tidy(() =>
      r.assign({
        weight: toTensor(fixture.initial.params[`rotation.${i}.original`]!),
        base: toTensor(fixture.initial.buffers[`rotation.${i}.base`]!),
      }),
    );
  });
  // All W_i are rows of one [K, n, n] variable; its gradient is compared row by row.
  const weightsName = model.rotations[0]?.group.weights.name ?? null;
  (model.weightLogits ?? []).forEach((w, i) => {
    assign(w, fixture.initial.params[`gradnorm.weight_logit.${i}`]!);
    rotoNames.set(w.name, `gradnorm.weight_logit.${i}`);
  });
  const nameOf = (varName: string) => params.nameOf(varName) ?? rotoNames.get(varName) ?? null;

  const x = toTensor(fixture.data.x);
  const targets = fixture.data.targets.map(toTensor);
  const lossFn = (preds: tf.Tensor[]) =>
    preds.map((p, i) => taskLoss(cfg.losses[i]!, p, targets[i]!));
  const backboneLoss = backboneLossOf(cfg);
  const sgdModel = tf.train.sgd(cfg.lr_model);
  const sgdRoto = tf.train.sgd(cfg.lr_rotograd ?? cfg.lr_model);
  const out: Comparison[] = [];

  const check = async (
    step: number,
    what: string,
    mine: tf.Tensor | null | undefined,
    ref: unknown,
  ) => {
    if (ref === undefined || ref === null) return;
    if (!mine) {
      out.push({ step, what, err: Number.POSITIVE_INFINITY, bound: 0, ok: false });
      return;
    }
    const refFlat = flat(ref);
    const shapeOk =
      typeof ref === 'object' && ref !== null && 'shape' in ref
        ? (ref as StoredTensor).shape.reduce((a, b) => a * b, 1) === mine.size
        : refFlat.length === mine.size;
    const c = compare(await mine.data(), refFlat);
    out.push({ step, what, ...c, ok: c.ok && shapeOk });
  };

  try {
    for (const st of fixture.steps) {
      const t = st.step;
      const r: Gradients = model.computeGradients(x, lossFn, {
        details: true,
        ...(backboneLoss ? { backboneLoss } : {}),
      });
      const d = r.details!;
      for (let i = 0; i < cfg.K; i++) await check(t, `losses[${i}]`, r.losses[i], st.losses[i]);
      await check(t, 'backbone_loss', r.backboneLoss, st.backbone_loss);
      await check(t, 'rep', d.rep, st.rep);
      for (let i = 0; i < cfg.K; i++) {
        await check(t, `task_grads_wrt_rep[${i}]`, d.taskGrads[i], st.task_grads_wrt_rep[i]);
        if (st.task_grads_wrt_rotated_rep) {
          await check(
            t,
            `task_grads_wrt_rotated_rep[${i}]`,
            d.rotatedTaskGrads?.[i],
            st.task_grads_wrt_rotated_rep[i],
          );
        }
        if (st.rotation_loss)
          await check(t, `rotation_loss[${i}]`, d.rotationLosses?.[i], st.rotation_loss[i]);
        if (st.rotation_loss_grad_R) {
          await check(
            t,
            `rotation_loss_grad_R[${i}]`,
            d.rotationLossGrads?.[i],
            st.rotation_loss_grad_R[i],
          );
        }
      }
      await check(t, 'rotation_reference', d.rotationReference, st.rotation_reference);
      await check(t, 'rep_grad', d.repGrad, st.rep_grad);
      if (statsCheck)
        for (const [what, mine, ref] of statsCheck(d.stats, st)) await check(t, what, mine, ref);
      // Every gradient the reference recorded, and no gradient it did not.
      const mine = new Map<string, tf.Tensor>();
      const rows: tf.Tensor[] = [];
      for (const [k, v] of [...Object.entries(r.modelGrads), ...Object.entries(r.rotogradGrads)]) {
        if (k === weightsName) {
          rows.push(...tf.unstack(v as tf.Tensor));
          for (const [i, row] of rows.entries()) mine.set(`rotation.${i}.original`, row);
          continue;
        }
        const name = nameOf(k);
        if (name === null)
          out.push({ step: t, what: `unexpected gradient ${k}`, err: 1, bound: 0, ok: false });
        else mine.set(name, v as tf.Tensor);
      }
      for (const [name, ref] of Object.entries(st.grads))
        await check(t, `grads[${name}]`, mine.get(name), ref);
      tf.dispose(rows);
      sgdModel.applyGradients(r.modelGrads);
      sgdRoto.applyGradients(r.rotogradGrads);
      r.dispose();
      for (const [name, ref] of Object.entries(st.params_after)) {
        let v: tf.Tensor | undefined;
        const row = name.startsWith('rotation.')
          ? model.rotations[Number(name.split('.')[1])]?.weight()
          : undefined;
        if (row) v = row;
        else if (name.startsWith('gradnorm.')) v = model.weightLogits?.[Number(name.split('.')[2])];
        else v = params.get(name);
        await check(t, `params_after[${name}]`, v, ref);
        row?.dispose();
      }
      for (const [name, ref] of Object.entries(st.derived_after ?? {})) {
        const m = model.rotations[Number(name.split('.')[1])]!.matrix();
        await check(t, `derived_after[${name}]`, m, ref);
        m.dispose();
      }
    }
  } finally {
    model.dispose();
    params.dispose();
    sgdModel.dispose();
    sgdRoto.dispose();
    tf.dispose([x, ...targets]);
  }
  return out;
}

/** The worst comparison (largest err / bound) and any failures, for test messages. */
export function summarize(cs: Comparison[]): {
  worst: Comparison;
  failures: Comparison[];
  worstRel: number;
} {
  let worst = cs[0]!;
  for (const c of cs) if (c.err / c.bound > worst.err / worst.bound) worst = c;
  return { worst, failures: cs.filter((c) => !c.ok), worstRel: worst.err / worst.bound };
}
