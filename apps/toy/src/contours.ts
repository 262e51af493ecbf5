/** A scalar field sampled on a regular grid: `values[j * nx + i]` at column i, row j. */
export interface Grid {
  nx: number;
  ny: number;
  values: Float64Array;
}

/**
 * Contour lines of `grid` at `level` by marching squares: a list of segments
 * `[x0, y0, x1, y1]` in grid coordinates (i along x, j along y).
 */
export function contourSegments(grid: Grid, level: number): [number, number, number, number][] {
  const { nx, ny, values } = grid;
  const out: [number, number, number, number][] = [];
  const at = (i: number, j: number) => values[j * nx + i]!;
  // Where the level crosses the edge from (i0, j0) to (i1, j1).
  const cross = (i0: number, j0: number, i1: number, j1: number): [number, number] => {
    const a = at(i0, j0);
    const b = at(i1, j1);
    const t = a === b ? 0.5 : (level - a) / (b - a);
    return [i0 + t * (i1 - i0), j0 + t * (j1 - j0)];
  };
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const c =
        (at(i, j) > level ? 1 : 0) |
        (at(i + 1, j) > level ? 2 : 0) |
        (at(i + 1, j + 1) > level ? 4 : 0) |
        (at(i, j + 1) > level ? 8 : 0);
      if (c === 0 || c === 15) continue;
      const bottom = () => cross(i, j, i + 1, j);
      const right = () => cross(i + 1, j, i + 1, j + 1);
      const top = () => cross(i, j + 1, i + 1, j + 1);
      const left = () => cross(i, j, i, j + 1);
      const seg = (p: [number, number], q: [number, number]) => out.push([p[0], p[1], q[0], q[1]]);
      switch (c) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(right(), top());
          break;
        case 6:
        case 9:
          seg(bottom(), top());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5: // saddles: resolved by the cell's mean
        case 10: {
          const mean = (at(i, j) + at(i + 1, j) + at(i + 1, j + 1) + at(i, j + 1)) / 4;
          if (mean > level === (c === 5)) {
            seg(left(), top());
            seg(bottom(), right());
          } else {
            seg(left(), bottom());
            seg(right(), top());
          }
          break;
        }
      }
    }
  }
  return out;
}
