import './register-gradients';

export { ADD_TRANSPOSE_KERNEL, addTranspose } from './add-transpose';
export { cached, isCaching } from './cached';
export { stableDivide } from './divide';
export {
  disposeExpmState,
  type ExpmForwardOptions,
  type ExpmFrechetOptions,
  type ExpmNormBoundOptions,
  type ExpmOptions,
  type ExpmPlan,
  type ExpmPlanOptions,
  type ExpmState,
  expm,
  expmForward,
  expmFrechet,
  expmFrechetAt,
  expmFrechetRotated,
  expmNormBound,
  expmNormBounds,
  expmPlan,
  expmPlanCoverage,
  expmPlanProducts,
  MAX_SQUARINGS,
} from './expm';
export type { CombineInput, CombineOutput, GradientCombiner } from './gradient-combiner';
export { haarRotation, normalGenerator } from './haar';
export { INNER_PRODUCT_KERNEL, innerProducts } from './inner-product';
export {
  hasLinearCombinationKernel,
  LINEAR_COMBINATION_KERNEL,
  linearCombinations,
} from './linear-combination';
export {
  type BatchStrategy,
  batchStrategy,
  matMul,
  setBatchStrategy,
  WASM_BATCH_MAX_SIZE,
} from './mat-mul';
export {
  type ApplyOptions,
  type LayersLike,
  type Module,
  type ModuleLike,
  toModule,
} from './module';
export {
  type BackboneLossFn,
  type ComputeGradientsOptions,
  type GradientMap,
  type Gradients,
  type GradientsDetails,
  type LossFn,
  MultitaskModel,
  type MultitaskModelConfig,
  type StepOptions,
} from './multitask-model';
export {
  type CommonOptions,
  type LossTrackingOptions,
  parseCheckFinite,
  parseLossTracking,
  parseRotation,
  type RotationOptions,
} from './options';
export {
  fromRows,
  type MatrixChunks,
  type RotationLayout,
  rotate,
  rotateBack,
  rotationLayout,
  toRows,
} from './rotate';
export { RotateOnly } from './rotate-only';
export { Rotation, type RotationInit } from './rotation';
export {
  RotationGroup,
  type RotationGroupOptions,
  TaskRotation,
} from './rotation-group';
export { RotoGrad } from './rotograd';
export { RotoGradScaling, type RotoGradScalingStats, taskNorms } from './rotograd-scaling';
export { skewFromLower, strictLower } from './skew';
export { SQUARED_NORMS_KERNEL, squaredNorms } from './squared-norms';
export { stopGradient } from './stop-gradient';
export { sumAll } from './sum';
export { sumCombiner } from './sum-combiner';
export {
  hasSymmetricMatMulKernel,
  SYMMETRIC_MAT_MUL_KERNEL,
  SYMMETRIC_MAT_MUL_SUM_KERNEL,
  symmetricMatMul,
  symmetricMatMulSum,
} from './symmetric-mat-mul';
export { VanillaMTL } from './vanilla-mtl';
export { WEIGHTED_SUM_KERNEL, weightedSum } from './weighted-sum';
