import { contourSegments, type Grid } from './contours';
import { encodePng } from './png';
import {
  colormap,
  SUCCESS_RADIUS,
  TOY_OPTIMA,
  TOY_SHIFTS,
  type ToyMethod,
  type ToyRun,
  toyLossValue,
} from './toy-problem';

/** How each method is drawn. */
export const METHOD_STYLE: Record<ToyMethod, { color: string; dash: string; width: number }> = {
  VanillaMTL: { color: '#f8fafc', dash: '7 5', width: 2.6 },
  // Wider than RotoGrad's, so that it shows around it where the two coincide.
  RotateOnly: { color: '#fbbf24', dash: '', width: 6 },
  RotoGrad: { color: '#f43f5e', dash: '', width: 2.6 },
};

/** Reference success rates of the official implementation (10 seeds, 400 steps). */
export const REFERENCE_SUCCESS: Record<ToyMethod, number> = {
  VanillaMTL: 0,
  RotateOnly: 0.1,
  RotoGrad: 0.2,
};

/** One method's success count over the sweep. */
export interface SweepSummary {
  method: ToyMethod;
  successes: number;
  seeds: number;
}

const EXTENT = 3; // the panels show [−3, 3]²

const MIN_LOSS = -6; // toy_s at its optimum

/** Task i's landscape on an n×n grid over [−3, 3]² (row 0 at the bottom). */
function landscape(task: number, n: number): Grid {
  const values = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const p0 = -EXTENT + (2 * EXTENT * i) / (n - 1);
      const p1 = -EXTENT + (2 * EXTENT * j) / (n - 1);
      values[j * n + i] = toyLossValue(p0, p1, TOY_SHIFTS[task as 0 | 1]);
    }
  }
  return { nx: n, ny: n, values };
}

/** The colour scale: sqrt of the loss above its minimum, relative to the panel's maximum. */
function scaleOf(grid: Grid): (loss: number) => number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of grid.values) max = Math.max(max, v);
  return (loss) => Math.sqrt(Math.max(0, loss - MIN_LOSS) / (max - MIN_LOSS));
}

function heatmapDataUri(task: number): string {
  const n = 200;
  const grid = landscape(task, n);
  const scale = scaleOf(grid);
  const rgb = new Uint8Array(n * n * 3);
  for (let row = 0; row < n; row++) {
    const j = n - 1 - row; // image rows run top to bottom
    for (let i = 0; i < n; i++)
      rgb.set(colormap(scale(grid.values[j * n + i]!)), (row * n + i) * 3);
  }
  return `data:image/png;base64,${encodePng(n, n, rgb).toString('base64')}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

function star(x: number, y: number, r: number): string {
  const pts: string[] = [];
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const rr = k % 2 === 0 ? r : r * 0.45;
    pts.push(`${f1(x + rr * Math.cos(a))},${f1(y + rr * Math.sin(a))}`);
  }
  return pts.join(' ');
}

/** What the figure shows. */
export interface FigureInput {
  /** The runs of the shown seed, one per method. */
  runs: ToyRun[];
  /** The shown seed. */
  seed: number;
  /** Success counts over the whole sweep. */
  summary: SweepSummary[];
  /** Steps per run. */
  steps: number;
}

/**
 * The figure: both tasks' loss landscapes (colour and contour lines) with each method's
 * trajectory of the rotated representation that task's head sees, as a standalone SVG.
 */
export function renderFigure({ runs, seed, summary, steps }: FigureInput): string {
  const W = 1100;
  const H = 790;
  const size = 470;
  const top = 150;
  const lefts = [62, 62 + size + 70];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Inter, 'Helvetica Neue', Arial, sans-serif" role="img">`,
    `<title>RotoGrad's toy problem, seed ${seed}: both tasks' loss landscapes with the trajectories of ${runs.map((r) => r.method).join(', ')}</title>`,
    `<rect width="${W}" height="${H}" fill="#0f172a"/>`,
    `<text x="${lefts[0]}" y="44" font-size="25" font-weight="700" fill="#f8fafc">RotoGrad's 2-D toy problem: two tasks, opposite optima</text>`,
    `<text x="${lefts[0]}" y="72" font-size="14.5" fill="#cbd5e1">Seed ${seed} (the same initialisation for every method), ${steps} steps. Lines: the representation each task's head sees (R<tspan baseline-shift="sub" font-size="10">i</tspan> z; z for VanillaMTL).</text>`,
    `<text x="${lefts[0]}" y="93" font-size="14.5" fill="#cbd5e1">◆ start   ● end   ★ the task's optimum; a run succeeds when both ends are within ${SUCCESS_RADIUS} of their optima.</text>`,
  );
  for (let task = 0; task < 2; task++) {
    const x0 = lefts[task]!;
    const sx = (p: number) => x0 + ((p + EXTENT) / (2 * EXTENT)) * size;
    const sy = (p: number) => top + size - ((p + EXTENT) / (2 * EXTENT)) * size;
    const clip = `clip${task}`;
    out.push(
      `<clipPath id="${clip}"><rect x="${x0}" y="${top}" width="${size}" height="${size}" rx="6"/></clipPath>`,
      `<g clip-path="url(#${clip})">`,
      `<image href="${heatmapDataUri(task)}" x="${x0}" y="${top}" width="${size}" height="${size}" preserveAspectRatio="none"/>`,
    );
    // Contour lines.
    const n = 121;
    const grid = landscape(task, n);
    const scale = scaleOf(grid);
    const max = Math.max(...grid.values);
    const gx = (i: number) => x0 + (i / (n - 1)) * size;
    const gy = (j: number) => top + size - (j / (n - 1)) * size;
    for (let k = 1; k <= 11; k++) {
      const t = k / 12;
      const level = MIN_LOSS + t * t * (max - MIN_LOSS);
      const d = contourSegments(grid, level)
        .map(([a, b, c, e]) => `M${f1(gx(a))} ${f1(gy(b))}L${f1(gx(c))} ${f1(gy(e))}`)
        .join('');
      const light = scale(level) > 0.55;
      out.push(
        `<path d="${d}" fill="none" stroke="${light ? '#0f172a' : '#ffffff'}" stroke-opacity="${light ? 0.28 : 0.22}" stroke-width="1"/>`,
      );
    }
    // Trajectories, then their end points, so that no line covers a marker.
    for (const run of runs) {
      const { color, dash, width } = METHOD_STYLE[run.method];
      const pts = run.trajectories[task as 0 | 1].map(([a, b]) => `${f1(sx(a))},${f1(sy(b))}`);
      out.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="#0f172a" stroke-opacity="0.55" stroke-width="${width + 3}" stroke-linejoin="round" stroke-linecap="round"/>`,
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round" stroke-linecap="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      );
    }
    for (const run of runs) {
      const { color } = METHOD_STYLE[run.method];
      const traj = run.trajectories[task as 0 | 1];
      const [s0, s1] = traj[0]!;
      const [e0, e1] = traj[traj.length - 1]!;
      out.push(
        `<rect x="${f1(sx(s0) - 5)}" y="${f1(sy(s1) - 5)}" width="10" height="10" transform="rotate(45 ${f1(sx(s0))} ${f1(sy(s1))})" fill="${color}" stroke="#0f172a" stroke-width="1.6"/>`,
        `<circle cx="${f1(sx(e0))}" cy="${f1(sy(e1))}" r="6" fill="${color}" stroke="#0f172a" stroke-width="1.8"/>`,
      );
    }
    const [o0, o1] = TOY_OPTIMA[task]!;
    out.push(
      `<polygon points="${star(sx(o0), sy(o1), 13)}" fill="#fde047" stroke="#0f172a" stroke-width="1.6"/>`,
      '</g>',
      `<rect x="${x0}" y="${top}" width="${size}" height="${size}" rx="6" fill="none" stroke="#334155" stroke-width="1.5"/>`,
    );
    // Axes.
    for (const v of [-3, -2, -1, 0, 1, 2, 3]) {
      out.push(
        `<text x="${f1(sx(v))}" y="${top + size + 20}" font-size="12" fill="#94a3b8" text-anchor="middle">${v}</text>`,
        `<text x="${x0 - 10}" y="${f1(sy(v) + 4)}" font-size="12" fill="#94a3b8" text-anchor="end">${v}</text>`,
      );
    }
    out.push(
      `<text x="${x0 + size / 2}" y="${top + size + 40}" font-size="13" fill="#94a3b8" text-anchor="middle">first coordinate</text>`,
      `<text x="${x0 - 40}" y="${top + size / 2}" font-size="13" fill="#94a3b8" text-anchor="middle" transform="rotate(-90 ${x0 - 40} ${top + size / 2})">second coordinate</text>`,
      `<text x="${x0}" y="${top - 10}" font-size="16" font-weight="600" fill="#f1f5f9">Task ${task + 1}: optimum (${o0}, ${o1})</text>`,
    );
    // Each method's final distance, in the panel's lower right corner.
    const bw = 196;
    const bh = 26 + runs.length * 19;
    const bx = x0 + size - bw - 10;
    const by = top + size - bh - 10;
    out.push(
      `<rect x="${bx}" y="${by}" width="${bw}" height="${bh}" rx="5" fill="#0f172a" fill-opacity="0.78"/>`,
      `<text x="${bx + 10}" y="${by + 17}" font-size="11.5" fill="#94a3b8">final distance to the optimum</text>`,
    );
    runs.forEach((run, k) => {
      const d = run.distances[task as 0 | 1];
      const y = by + 36 + k * 19 - 2;
      out.push(
        `<circle cx="${bx + 15}" cy="${y - 4}" r="4.5" fill="${METHOD_STYLE[run.method].color}"/>`,
        `<text x="${bx + 26}" y="${y}" font-size="13" fill="#f8fafc">${esc(run.method)}</text>`,
        `<text x="${bx + bw - 10}" y="${y}" font-size="13" fill="#f8fafc" text-anchor="end" font-weight="600">${d.toFixed(2)}${d < SUCCESS_RADIUS ? ' ✓' : ''}</text>`,
      );
    });
  }
  // Legend and the sweep's success rates.
  const ly = top + size + 78;
  out.push(
    `<text x="${lefts[0]}" y="${ly}" font-size="14" font-weight="600" fill="#f1f5f9">Reached both optima, over ${summary[0]?.seeds ?? 0} seeds (this implementation · official reference)</text>`,
  );
  summary.forEach((s, k) => {
    const { color, dash } = METHOD_STYLE[s.method];
    const x = lefts[0]! + k * 330;
    const y = ly + 32;
    const ref = Math.round(REFERENCE_SUCCESS[s.method] * 10);
    out.push(
      `<line x1="${x}" y1="${y - 5}" x2="${x + 34}" y2="${y - 5}" stroke="${color}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${x + 44}" y="${y}" font-size="15" fill="#f8fafc"><tspan font-weight="600">${esc(s.method)}</tspan>  ${s.successes}/${s.seeds} · ${ref}/10</text>`,
    );
  });
  out.push(
    `<text x="${lefts[0]}" y="${ly + 62}" font-size="12.5" fill="#94a3b8">VanillaMTL's identity heads see the same point, so it can reach at most one optimum. The rotations let each task see its own view of z; most seeds still end in a local minimum.</text>`,
    '</svg>',
  );
  return out.join('\n');
}
