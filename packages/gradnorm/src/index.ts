export { GradNorm } from './grad-norm';
export {
  type GradNormStats,
  GradNormWeighting,
  type GradNormWeightingOptions,
} from './gradnorm-weighting';
export {
  type AlphaOption,
  type GradNormOptions,
  parseAlpha,
  type RotoGradNormOptions,
} from './options';
export { relativePower } from './relative-power';
export { RotoGradNorm } from './rotograd-norm';
export { numTasksOf, TaskWeightedModel } from './task-weighted-model';
