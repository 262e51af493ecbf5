import { describe, expect, it } from 'vitest';
import { configFromArgs } from './args';
import { FULL, QUICK } from './benchmark';

describe('configFromArgs', () => {
  it('defaults to the full mode, and --quick to the CI setting', () => {
    expect(configFromArgs([]).config).toEqual(FULL);
    expect(configFromArgs([]).out).toBe('out/full');
    const quick = configFromArgs(['--quick']);
    expect(quick.config).toEqual(QUICK);
    expect(quick.out).toBe('out/quick');
  });

  it('takes the extra tasks, a subset of methods in canonical order, and overrides', () => {
    const { config, out } = configFromArgs([
      '--quick',
      '--tasks',
      'all',
      '--methods',
      'RotoGrad,VanillaMTL',
      '--seeds',
      '4',
      '--steps',
      '20',
      '--alpha',
      '1.5',
    ]);
    expect(config.tasks).toEqual(['left', 'right', 'sum', 'parity', 'pixels']);
    expect(config.methods).toEqual(['VanillaMTL', 'RotoGrad']);
    expect(config.seeds).toEqual([0, 1, 2, 3]);
    expect(config.train.steps).toBe(20);
    expect(config.train.alpha).toBe(1.5);
    expect(config.mode).toBe('quick, 5 tasks');
    expect(out).toBe('out/quick-all-tasks');
    expect(QUICK.train.steps).toBe(150);
  });

  it('rejects what it does not know', () => {
    expect(() => configFromArgs(['--tasks', 'left,colour'])).toThrow(/unknown task colour/);
    expect(() => configFromArgs(['--methods', 'PCGrad'])).toThrow(/unknown method PCGrad/);
    expect(() => configFromArgs(['--steps', '0'])).toThrow(/positive integer/);
    expect(() => configFromArgs(['--backend', 'webgl'])).toThrow(/--backend/);
    expect(() => configFromArgs(['--frobnicate'])).toThrow();
  });
});
