import type { ModuleLike } from './module';
import { MultitaskModel } from './multitask-model';
import { parseLossTracking, parseRotation, type RotationOptions } from './options';
import { RotoGradScaling } from './rotograd-scaling';

/**
 * RotoGrad (Javaloy & Valera, ICLR 2022): per-task rotations of the shared representation that
 * align the task gradients, plus a scaling that gives every task gradient the same magnitude,
 * weighted towards the tasks that have converged least.
 *
 * ```js
 * const model = new RotoGrad(backbone, [head1, head2], { rotationShape: 16, burnInPeriod: 20 });
 * const optimizer = tf.train.adam(1e-3);
 * const rotogradOptimizer = tf.train.adam(1e-4);
 * const losses = model.step(x, ([p1, p2]) => [mse(y1, p1), mse(y2, p2)], { optimizer, rotogradOptimizer });
 * ```
 */
export class RotoGrad extends MultitaskModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[], options: RotationOptions) {
    const tracking = parseLossTracking(options ?? ({} as RotationOptions), 'RotoGrad');
    const numTasks = Array.isArray(heads) ? heads.length : 0;
    super(backbone, heads, {
      name: 'RotoGrad',
      combiner: new RotoGradScaling(numTasks, tracking.burnInPeriod),
      rotation: parseRotation(options, 'RotoGrad'),
      trackLosses: true,
      ...tracking,
    });
  }
}
