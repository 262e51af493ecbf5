import type { ModuleLike } from './module';
import { MultitaskModel } from './multitask-model';
import { parseLossTracking, parseRotation, type RotationOptions } from './options';
import { sumCombiner } from './sum-combiner';

/**
 * RotoGrad's rotations without its gradient scaling: each head sees `R_i z`, and the rotations
 * learn to align every task's gradient with a common direction; the backbone receives the sum
 * of the (rotated back) task gradients.
 *
 * ```js
 * const model = new RotateOnly(backbone, [head1, head2], { rotationShape: 16 });
 * ```
 */
export class RotateOnly extends MultitaskModel {
  constructor(backbone: ModuleLike, heads: ModuleLike[], options: RotationOptions) {
    const tracking = parseLossTracking(options ?? ({} as RotationOptions), 'RotateOnly');
    super(backbone, heads, {
      name: 'RotateOnly',
      combiner: sumCombiner(),
      rotation: parseRotation(options, 'RotateOnly'),
      trackLosses: true,
      ...tracking,
    });
  }
}
