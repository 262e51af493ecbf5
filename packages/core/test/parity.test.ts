import {
  CASES,
  type CaseFixture,
  loadFixture,
  replayCase,
  rotationOptionsOf,
  summarize,
} from '@rotograd/testing';
import { describe, expect, it } from 'vitest';
import { RotateOnly, RotoGrad, setBatchStrategy, VanillaMTL } from '../src/index';

const methods = ['VanillaMTL', 'RotateOnly', 'RotoGrad'] as const;

type Method = (typeof methods)[number];

/**
 * Replays a fixture through the public API and asserts every compared tensor is within its
 * bound; `label` tells the log line apart.
 */
async function replayAndCheck(name: string, method: Method, label = '') {
  const fixture = loadFixture<CaseFixture>(name);
  const cfg = fixture.config;
  const comparisons = await replayCase(fixture, (_f, backbone, heads) => {
    if (method === 'VanillaMTL') return new VanillaMTL(backbone, heads);
    const options = rotationOptionsOf(cfg);
    return method === 'RotateOnly'
      ? new RotateOnly(backbone, heads, options)
      : new RotoGrad(backbone, heads, options);
  });
  const { worst, failures, worstRel } = summarize(comparisons);
  console.log(
    `${name}${label}: ${comparisons.length} tensors compared over ${fixture.steps.length} steps; worst ${worst.what} at step ${worst.step}: err ${worst.err.toExponential(2)} (${(worstRel * 100).toFixed(1)}% of the bound ${worst.bound.toExponential(2)})`,
  );
  expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
  expect(comparisons.length).toBeGreaterThan(fixture.steps.length * 10);
}

describe.each(methods)('%s replays the official implementation', (method) => {
  it.each(CASES[method].map((n) => [n]))('%s', (name) => replayAndCheck(name, method));
});

describe('RotoGrad and RotateOnly replay the official implementation with batched rotations', () => {
  // The layout GPU backends get ([K, n, n] batches); forced here so every backend covers it.
  const cases = (['RotateOnly', 'RotoGrad'] as const).flatMap((m) =>
    CASES[m].map((n) => [n, m] as const),
  );
  it.each(cases)('%s', async (name, method) => {
    setBatchStrategy('batched');
    try {
      await replayAndCheck(name, method, ' (batched)');
    } finally {
      setBatchStrategy('auto');
    }
  });
});
