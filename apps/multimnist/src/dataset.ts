import { DIGIT_SIZE, type DigitSet, type Digits } from './digits';
import { Random } from './random';

/** How far right the right digit starts: the two 28×28 digits overlap on 20 columns. */
export const RIGHT_OFFSET = 8;
/** The composed canvas, before downsampling: 28 rows × 36 columns. */
export const CANVAS_HEIGHT = DIGIT_SIZE;
export const CANVAS_WIDTH = DIGIT_SIZE + RIGHT_OFFSET;
/** A pixel of the full-resolution canvas is active when its grey level exceeds this. */
export const ACTIVE_THRESHOLD = 0.5;

/** Options of {@link makePairs}. */
export interface PairOptions {
  /** Average-pool the canvas by this factor on both axes (1 keeps 28×36). Default: 2 (14×18). */
  downsample?: number;
}

/**
 * Multi-MNIST pairs: `count` images of two digits overlaid left and right, each with every
 * task's label. Image `i` is `x[i·features … (i+1)·features)`, row-major `height × width`.
 */
export interface Pairs {
  count: number;
  height: number;
  width: number;
  features: number;
  x: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** left + right, 0 … 18. */
  sum: Int32Array;
  /** 1 when left · right is even, else 0 (odd only when both digits are odd). */
  productEven: Int32Array;
  /** The number of active pixels (grey level > 0.5) of the full-resolution canvas. */
  activePixels: Int32Array;
  /** Which source digits each pair was built from (indices into the split's images). */
  sources: Int32Array;
}

/**
 * Overlays two 28×28 digits on a 28×36 canvas, the left one at column 0 and the right one at
 * column 8, taking the brighter pixel where they overlap.
 */
export function composeCanvas(left: Float32Array, right: Float32Array): Float32Array {
  const canvas = new Float32Array(CANVAS_HEIGHT * CANVAS_WIDTH);
  for (let r = 0; r < DIGIT_SIZE; r++) {
    for (let c = 0; c < DIGIT_SIZE; c++) {
      const v = left[r * DIGIT_SIZE + c]!;
      const i = r * CANVAS_WIDTH + c;
      canvas[i] = v;
    }
    for (let c = 0; c < DIGIT_SIZE; c++) {
      const v = right[r * DIGIT_SIZE + c]!;
      const i = r * CANVAS_WIDTH + c + RIGHT_OFFSET;
      if (v > canvas[i]!) canvas[i] = v;
    }
  }
  return canvas;
}

/** Average-pools a `height × width` image by `factor` (which must divide both). */
export function downsample(
  image: Float32Array,
  height: number,
  width: number,
  factor: number,
): Float32Array {
  if (factor === 1) return image;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new Error(`downsample: ${factor} does not divide ${height}×${width}`);
  }
  const h = height / factor;
  const w = width / factor;
  const out = new Float32Array(h * w);
  const scale = 1 / (factor * factor);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const o = Math.floor(r / factor) * w + Math.floor(c / factor);
      out[o] = out[o]! + image[r * width + c]! * scale;
    }
  }
  return out;
}

/** The number of canvas pixels brighter than {@link ACTIVE_THRESHOLD}. */
export function countActive(canvas: Float32Array): number {
  let n = 0;
  for (const v of canvas) if (v > ACTIVE_THRESHOLD) n++;
  return n;
}

/**
 * `count` pairs drawn from `digits` (left and right independently and uniformly among its
 * images), deterministic in `seed`.
 */
export function makePairs(
  digits: DigitSet,
  count: number,
  seed: number,
  options: PairOptions = {},
): Pairs {
  const factor = options.downsample ?? 2;
  const height = CANVAS_HEIGHT / factor;
  const width = CANVAS_WIDTH / factor;
  if (!Number.isInteger(height) || !Number.isInteger(width)) {
    throw new Error(`makePairs: downsample ${factor} must divide ${CANVAS_HEIGHT}×${CANVAS_WIDTH}`);
  }
  const features = height * width;
  const pairs: Pairs = {
    count,
    height,
    width,
    features,
    x: new Float32Array(count * features),
    left: new Int32Array(count),
    right: new Int32Array(count),
    sum: new Int32Array(count),
    productEven: new Int32Array(count),
    activePixels: new Int32Array(count),
    sources: new Int32Array(2 * count),
  };
  const random = new Random(seed);
  const n = digits.images.length;
  for (let i = 0; i < count; i++) {
    const a = random.int(n);
    const b = random.int(n);
    const canvas = composeCanvas(digits.images[a]!, digits.images[b]!);
    pairs.x.set(downsample(canvas, CANVAS_HEIGHT, CANVAS_WIDTH, factor), i * features);
    const l = digits.labels[a]!;
    const r = digits.labels[b]!;
    pairs.left[i] = l;
    pairs.right[i] = r;
    pairs.sum[i] = l + r;
    pairs.productEven[i] = (l * r) % 2 === 0 ? 1 : 0;
    pairs.activePixels[i] = countActive(canvas);
    pairs.sources[2 * i] = a;
    pairs.sources[2 * i + 1] = b;
  }
  return pairs;
}

/** The train and test pairs of one benchmark run: train pairs from train digits only. */
export function makeDataset(
  digits: Digits,
  sizes: { train: number; test: number },
  seed: number,
  options: PairOptions = {},
): { train: Pairs; test: Pairs } {
  const random = new Random(seed);
  return {
    train: makePairs(digits.train, sizes.train, random.seed(), options),
    test: makePairs(digits.test, sizes.test, random.seed(), options),
  };
}
