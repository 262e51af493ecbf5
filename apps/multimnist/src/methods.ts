import { type MultitaskModel, RotateOnly, RotoGrad, VanillaMTL } from '@rotograd/core';
import { GradNorm, RotoGradNorm } from '@rotograd/gradnorm';
import type { Network } from './network';

/** The compared methods, VanillaMTL (the baseline of the improvements) first. */
export const METHODS = [
  'VanillaMTL',
  'RotateOnly',
  'RotoGrad',
  'RotoGradNorm',
  'GradNorm',
] as const;
export type MethodName = (typeof METHODS)[number];

/** Options the methods share. */
export interface MethodOptions {
  /** The width of `z`: every rotation is `n × n` with this `n`. */
  rotationShape: number;
  /** GradNorm's asymmetry α (RotoGradNorm and GradNorm). */
  alpha: number;
  /** The step at which L0 (and RotoGrad's N0) are recorded again. */
  burnInPeriod: number;
  /** Seed of the Haar-random initial rotations. */
  seed: number;
}

/** The multitask model of `method` on the network's backbone and heads. */
export function makeModel(method: MethodName, net: Network, o: MethodOptions): MultitaskModel {
  const rotation = {
    rotationShape: o.rotationShape,
    burnInPeriod: o.burnInPeriod,
    seed: o.seed,
  };
  switch (method) {
    case 'VanillaMTL':
      return new VanillaMTL(net.backbone, net.heads);
    case 'RotateOnly':
      return new RotateOnly(net.backbone, net.heads, rotation);
    case 'RotoGrad':
      return new RotoGrad(net.backbone, net.heads, rotation);
    case 'RotoGradNorm':
      return new RotoGradNorm(net.backbone, net.heads, { ...rotation, alpha: o.alpha });
    case 'GradNorm':
      return new GradNorm(net.backbone, net.heads, {
        alpha: o.alpha,
        burnInPeriod: o.burnInPeriod,
      });
  }
}
