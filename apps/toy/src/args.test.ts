import { describe, expect, it } from 'vitest';
import { parseArgs } from './args';

describe('parseArgs', () => {
  it('defaults to 10 seeds of 400 steps', () => {
    const a = parseArgs([]);
    expect(a.seeds).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.steps).toBe(400);
    expect(a.out).toBe('out');
  });
  it('reads --seeds, --first-seed and --quick', () => {
    expect(parseArgs(['--seeds', '3', '--first-seed', '5']).seeds).toEqual([5, 6, 7]);
    expect(parseArgs(['--quick'])).toMatchObject({ seeds: [3, 4], out: 'out/quick' });
  });
  it('rejects bad values', () => {
    expect(() => parseArgs(['--seeds', '0'])).toThrow(/--seeds/);
    expect(() => parseArgs(['--figure-seed', '20'])).toThrow(/not among/);
    expect(() => parseArgs(['--nope'])).toThrow(/unknown option/);
  });
});
