import type { RotationInit } from './rotation';

/** Options shared by every model. */
export interface CommonOptions {
  /**
   * How non-finite (NaN, ±Infinity) losses are reported: `'async'` checks each step without
   * blocking and makes the next call (or `await model.flush()`) throw an Error naming the step and
   * the task; `'off'` skips the check. Default: `'async'`.
   */
  checkFinite?: 'async' | 'off';
}

/** Options of the models that track losses (all but VanillaMTL). */
export interface LossTrackingOptions extends CommonOptions {
  /** Differentiate `L_i / L0_i` (losses relative to the first step's) instead of `L_i`. Default: false. */
  normalizeLosses?: boolean;
  /** The step at which the initial losses (and RotoGrad's initial gradient norms) are recorded again. Default: 20. */
  burnInPeriod?: number;
}

/** Options of the rotating models (RotateOnly, RotoGrad, RotoGradNorm). */
export interface RotationOptions extends LossTrackingOptions {
  /**
   * The shape of the rotated part of `z` (its product n is the rotation's size). Required.
   * With `postShape = []` and a `z` of more than n components, only the first n are rotated.
   */
  rotationShape: number | number[];
  /** Trailing axes of `z` carried along unrotated (e.g. the spatial axes of a feature map). Default: `[]`. */
  postShape?: number[];
  /** `'random'`: Haar-uniform on SO(n), as the reference; `'identity'`: start unrotated. Default: `'random'`. */
  rotationInit?: RotationInit;
  /** Seed of the `'random'` initialisation. Default: a random seed. */
  seed?: number;
  /**
   * An upper bound on ‖A_i‖₂ (the Frobenius norm is one) that fixes the matrix exponential's
   * cost. Default: none (the bound is tracked from norms read back asynchronously, at least 4).
   */
  expmMaxNorm?: number;
}

function assertPositiveInts(
  value: unknown,
  name: string,
  owner: string,
  allowEmpty: boolean,
): number[] {
  const arr = typeof value === 'number' ? [value] : value;
  if (
    !Array.isArray(arr) ||
    (!allowEmpty && arr.length === 0) ||
    !arr.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)
  ) {
    throw new Error(
      `${owner}: ${name} must be ${allowEmpty ? 'an array of' : 'a positive integer or a non-empty array of'} positive integers, got ${JSON.stringify(value)}`,
    );
  }
  return arr.slice();
}

/** Validates and fills in defaults. */
export function parseLossTracking(options: LossTrackingOptions, owner: string) {
  const normalizeLosses = options.normalizeLosses ?? false;
  if (typeof normalizeLosses !== 'boolean') {
    throw new Error(
      `${owner}: normalizeLosses must be a boolean, got ${JSON.stringify(normalizeLosses)}`,
    );
  }
  const burnInPeriod = options.burnInPeriod ?? 20;
  if (!Number.isInteger(burnInPeriod) || burnInPeriod < 0) {
    throw new Error(
      `${owner}: burnInPeriod must be an integer ≥ 0, got ${JSON.stringify(burnInPeriod)}`,
    );
  }
  return { normalizeLosses, burnInPeriod, checkFinite: parseCheckFinite(options, owner) };
}

export function parseCheckFinite(options: CommonOptions, owner: string): 'async' | 'off' {
  const v = options.checkFinite ?? 'async';
  if (v !== 'async' && v !== 'off')
    throw new Error(`${owner}: checkFinite must be 'async' or 'off', got ${JSON.stringify(v)}`);
  return v;
}

/** Validates and fills in defaults. */
export function parseRotation(options: RotationOptions, owner: string) {
  if (options == null || options.rotationShape === undefined) {
    throw new Error(
      `${owner}: options.rotationShape is required (the size n of the rotated part of z, e.g. 16, or a shape like [16])`,
    );
  }
  const shape = assertPositiveInts(options.rotationShape, 'rotationShape', owner, false);
  const postShape = assertPositiveInts(options.postShape ?? [], 'postShape', owner, true);
  const init = options.rotationInit ?? 'random';
  if (init !== 'random' && init !== 'identity') {
    throw new Error(
      `${owner}: rotationInit must be 'random' or 'identity', got ${JSON.stringify(init)}`,
    );
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new Error(`${owner}: seed must be a finite number, got ${options.seed}`);
  }
  if (
    options.expmMaxNorm !== undefined &&
    !(options.expmMaxNorm >= 0 && Number.isFinite(options.expmMaxNorm))
  ) {
    throw new Error(
      `${owner}: expmMaxNorm must be a finite number ≥ 0, got ${options.expmMaxNorm}`,
    );
  }
  return {
    shape,
    postShape,
    init,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.expmMaxNorm === undefined ? {} : { expmMaxNorm: options.expmMaxNorm }),
  };
}
