import { describe, expect, it } from 'vitest';
import {
  ACTIVE_THRESHOLD,
  CANVAS_HEIGHT,
  CANVAS_WIDTH,
  composeCanvas,
  downsample,
  makeDataset,
  makePairs,
  RIGHT_OFFSET,
} from './dataset';
import { DIGIT_SIZE, loadMnist, splitDigits } from './digits';

const digits = splitDigits();

describe('the mnist package', () => {
  it('ships 10,000 digits of 28×28 grey levels in [0, 1], 863 to 1,127 per class', () => {
    const mnist = loadMnist();
    expect(mnist).toHaveLength(10);
    const total = mnist.reduce((s, d) => s + d.length, 0);
    expect(total).toBe(10_000);
    for (const d of mnist) {
      expect(d.length).toBeGreaterThan(850);
      expect(d.raw.length).toBe(d.length * 28 * 28);
    }
    const sample = mnist[3]!.raw.slice(0, 28 * 28);
    expect(Math.min(...sample)).toBe(0);
    expect(Math.max(...sample)).toBeLessThanOrEqual(1);
    expect(sample.filter((v) => v > 0.5).length).toBeGreaterThan(50);
  });

  it('splits every class 80/20 into disjoint train and test digits', () => {
    expect(digits.train.images.length + digits.test.images.length).toBe(10_000);
    expect(digits.train.images.length).toBeGreaterThan(7900);
    for (let d = 0; d < 10; d++) {
      const train = digits.train.labels.filter((l) => l === d).length;
      const test = digits.test.labels.filter((l) => l === d).length;
      expect(train / (train + test)).toBeCloseTo(0.8, 2);
    }
    // No image appears in both splits.
    const key = (im: Float32Array) => im.join(',');
    const train = new Set(digits.train.images.map(key));
    expect(digits.test.images.filter((im) => train.has(key(im))).length).toBe(0);
  });
});

describe('composeCanvas and downsample', () => {
  it('puts the left digit at column 0 and the right one at column 8, brighter pixel wins', () => {
    const left = new Float32Array(DIGIT_SIZE * DIGIT_SIZE).fill(0.25);
    const right = new Float32Array(DIGIT_SIZE * DIGIT_SIZE).fill(0.75);
    const c = composeCanvas(left, right);
    expect(c).toHaveLength(CANVAS_HEIGHT * CANVAS_WIDTH);
    for (let r = 0; r < CANVAS_HEIGHT; r++) {
      for (let col = 0; col < CANVAS_WIDTH; col++) {
        expect(c[r * CANVAS_WIDTH + col]).toBe(col < RIGHT_OFFSET ? 0.25 : 0.75);
      }
    }
  });

  it('average-pools by the factor', () => {
    const im = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // 2 × 4
    expect(Array.from(downsample(im, 2, 4, 2))).toEqual([(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4]);
    expect(downsample(im, 2, 4, 1)).toBe(im);
    expect(() => downsample(im, 2, 4, 3)).toThrow(/does not divide/);
  });
});

describe('makePairs', () => {
  const pairs = makePairs(digits.train, 300, 7);

  it('labels every generated image with the digits it was drawn from', () => {
    expect(pairs.height).toBe(14);
    expect(pairs.width).toBe(18);
    for (let i = 0; i < pairs.count; i++) {
      const a = pairs.sources[2 * i]!;
      const b = pairs.sources[2 * i + 1]!;
      const canvas = composeCanvas(digits.train.images[a]!, digits.train.images[b]!);
      const image = pairs.x.subarray(i * pairs.features, (i + 1) * pairs.features);
      expect(Array.from(image)).toEqual(Array.from(downsample(canvas, 28, 36, 2)));
      const l = digits.train.labels[a]!;
      const r = digits.train.labels[b]!;
      expect([pairs.left[i], pairs.right[i]]).toEqual([l, r]);
      expect(pairs.sum[i]).toBe(l + r);
      expect(pairs.productEven[i]).toBe(l % 2 === 1 && r % 2 === 1 ? 0 : 1);
      // Active pixels, counted independently from the two source digits.
      let active = 0;
      for (let row = 0; row < 28; row++) {
        for (let col = 0; col < 36; col++) {
          const va = col < 28 ? digits.train.images[a]![row * 28 + col]! : 0;
          const vb = col >= 8 ? digits.train.images[b]![row * 28 + col - 8]! : 0;
          if (Math.max(va, vb) > ACTIVE_THRESHOLD) active++;
        }
      }
      expect(pairs.activePixels[i]).toBe(active);
    }
  });

  it('shows the left digit alone in the leftmost columns and the right one in the rightmost', () => {
    for (let i = 0; i < 20; i++) {
      const a = digits.train.images[pairs.sources[2 * i]!]!;
      const b = digits.train.images[pairs.sources[2 * i + 1]!]!;
      const c = composeCanvas(a, b);
      for (let row = 0; row < 28; row++) {
        for (let col = 0; col < RIGHT_OFFSET; col++) {
          expect(c[row * 36 + col]).toBe(a[row * 28 + col]);
          expect(c[row * 36 + 28 + col]).toBe(b[row * 28 + 20 + col]);
        }
      }
    }
  });

  it('draws every digit class on both sides', () => {
    for (let d = 0; d < 10; d++) {
      expect(pairs.left.includes(d)).toBe(true);
      expect(pairs.right.includes(d)).toBe(true);
    }
  });

  it('is deterministic in the seed', () => {
    const again = makePairs(digits.train, 300, 7);
    expect(again.x).toEqual(pairs.x);
    expect(again.sources).toEqual(pairs.sources);
    const other = makePairs(digits.train, 300, 8);
    expect(other.sources).not.toEqual(pairs.sources);
  });

  it('builds test pairs from test digits only', () => {
    const data = makeDataset(digits, { train: 50, test: 40 }, 3, { downsample: 1 });
    expect(data.train.count).toBe(50);
    expect(data.test.count).toBe(40);
    expect(data.test.features).toBe(28 * 36);
    const max = Math.max(...data.test.sources);
    expect(max).toBeLessThan(digits.test.images.length);
    const first = data.test.x.subarray(0, 28 * 36);
    const expected = composeCanvas(
      digits.test.images[data.test.sources[0]!]!,
      digits.test.images[data.test.sources[1]!]!,
    );
    expect(Array.from(first)).toEqual(Array.from(expected));
  });
});
