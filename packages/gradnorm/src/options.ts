import type { LossTrackingOptions, RotationOptions } from '@rotograd/core';

/**
 * The option every GradNorm-weighted model takes.
 *
 * ```js
 * new GradNorm(backbone, heads, { alpha: 1.5 });
 * ```
 */
export interface AlphaOption {
  /**
   * GradNorm's asymmetry `α ≥ 0`: the target of task i's weighted gradient norm is
   * `m · (L̃_i / L̄)^α`, so a larger `α` pulls harder towards the tasks whose relative loss is
   * highest; `α = 0` asks for equal weighted gradient norms. Required (the official
   * implementation has no default either; its paper uses values between 0.12 and 3).
   */
  alpha: number;
}

/**
 * Options of {@link GradNorm}: `alpha` and the loss bookkeeping of `@rotograd/core`
 * (`normalizeLosses`, default false; `burnInPeriod`, default 20; `checkFinite`, default `'async'`).
 *
 * ```js
 * const options = { alpha: 1.5, burnInPeriod: 20 };
 * ```
 */
export interface GradNormOptions extends LossTrackingOptions, AlphaOption {}

/**
 * Options of {@link RotoGradNorm}: RotoGrad's options (`rotationShape` required; `postShape`,
 * `rotationInit`, `seed`, `expmMaxNorm`, `normalizeLosses`, `burnInPeriod`, `checkFinite` as
 * documented in `@rotograd/core`) plus `alpha`.
 *
 * ```js
 * const options = { rotationShape: 16, alpha: 1, burnInPeriod: 20 };
 * ```
 */
export interface RotoGradNormOptions extends RotationOptions, AlphaOption {}

/**
 * Validates `alpha`: a finite number ≥ 0.
 *
 * ```js
 * parseAlpha({ alpha: 1.5 }, 'GradNorm');  // 1.5
 * parseAlpha({ alpha: -1 }, 'GradNorm');   // throws
 * ```
 */
export function parseAlpha(options: Partial<AlphaOption> | undefined, owner: string): number {
  const alpha = options?.alpha;
  if (alpha === undefined) {
    throw new Error(
      `${owner}: options.alpha is required (GradNorm's asymmetry, a finite number ≥ 0, e.g. 1)`,
    );
  }
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
    throw new Error(`${owner}: alpha must be a finite number ≥ 0, got ${String(alpha)}`);
  }
  return alpha;
}
