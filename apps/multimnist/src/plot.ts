import type { MethodName } from './methods';
import { mean, smooth } from './stats';
import type { Task } from './tasks';
import type { RunResult } from './train';

/** One line of a panel. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export const METHOD_COLORS: Record<MethodName, string> = {
  VanillaMTL: '#555555',
  RotateOnly: '#1f77b4',
  RotoGrad: '#d62728',
  RotoGradNorm: '#9467bd',
  GradNorm: '#2ca02c',
};

const PANEL_W = 300;
const PANEL_H = 200;
const MARGIN = { left: 52, right: 12, top: 26, bottom: 34 };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 10000)) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(v);
  return out;
}

/** Ticks at 1, 2 and 5 × 10^k between 10^lo and 10^hi (or only the powers of 10 if many). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const mantissas = hi - lo > 2 ? [1] : hi - lo > 0.6 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
    for (const m of mantissas) {
      const v = m * 10 ** k;
      if (Math.log10(v) >= lo && Math.log10(v) <= hi) out.push(v);
    }
  }
  return out;
}

/** One panel (a `<g>` translated to `x, y`) with axes, ticks, a title and its lines. */
export function panel(
  x: number,
  y: number,
  title: string,
  xLabel: string,
  series: readonly Series[],
  logY = false,
): string {
  const all = series.flatMap((s) => s.points);
  const ty = (v: number) => (logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => ty(p[1]));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const px = (v: number) => MARGIN.left + (x1 > x0 ? ((v - x0) / (x1 - x0)) * w : w / 2);
  const py = (v: number) => MARGIN.top + h - ((ty(v) - y0) / (y1 - y0)) * h;
  const parts: string[] = [];
  parts.push(`<g transform="translate(${x},${y})">`);
  parts.push(
    `<text x="${MARGIN.left + w / 2}" y="16" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
  );
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  );
  const yTicks = logY ? logTicks(y0, y1) : ticks(y0, y1).filter((v) => v >= y0 && v <= y1);
  for (const v of yTicks) {
    const yy = py(v);
    if (yy < MARGIN.top - 0.5 || yy > MARGIN.top + h + 0.5) continue;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + w}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 4}" y="${(yy + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (const v of ticks(x0, x1)) {
    const xx = px(v);
    parts.push(
      `<text x="${xx.toFixed(1)}" y="${MARGIN.top + h + 14}" text-anchor="middle">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + w / 2}" y="${PANEL_H - 4}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
  );
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points
      .map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${px(a).toFixed(1)},${py(b).toFixed(1)}`)
      .join('');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${escapeXml(s.name)}</title></path>`,
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

/** At most `n` evenly spaced points of `values` (x = step, 1-based). */
function thin(values: readonly number[], n: number): [number, number][] {
  const every = Math.max(1, Math.ceil(values.length / n));
  const out: [number, number][] = [];
  for (let i = every - 1; i < values.length; i += every) out.push([i + 1, values[i]!]);
  return out;
}

/**
 * The training curves as an SVG: for every task, its training loss (smoothed, averaged over
 * the seeds; log scale) and its test metric at the checkpoints (averaged over the seeds).
 */
export function curvesSvg(
  runs: readonly RunResult[],
  tasks: readonly Task[],
  methods: readonly MethodName[],
  title: string,
): string {
  const cols = tasks.length;
  const legendH = 24;
  const legendStep = 125;
  const width = Math.max(cols * PANEL_W, 20 + methods.length * legendStep);
  const height = 30 + legendH + 2 * PANEL_H;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}: training loss and test metric of each task per method</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  );
  methods.forEach((m, i) => {
    const lx = 10 + i * legendStep;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${30 + 8}" y2="${30 + 8}" stroke="${METHOD_COLORS[m]}" stroke-width="3"/>`,
      `<text x="${lx + 27}" y="${30 + 12}">${m}</text>`,
    );
  });
  tasks.forEach((task, t) => {
    const lossSeries: Series[] = [];
    const metricSeries: Series[] = [];
    for (const m of methods) {
      const mine = runs.filter((r) => r.method === m);
      if (mine.length === 0) continue;
      const steps = Math.min(...mine.map((r) => r.losses[t]!.length));
      const avg = Array.from({ length: steps }, (_, s) => mean(mine.map((r) => r.losses[t]![s]!)));
      const beta = Math.min(0.98, 1 - 5 / Math.max(steps, 10));
      lossSeries.push({ name: m, color: METHOD_COLORS[m], points: thin(smooth(avg, beta), 200) });
      const cps = mine[0]!.checkpoints.map((c, k) => [
        c.step,
        mean(mine.map((r) => r.checkpoints[k]?.metrics[t] ?? Number.NaN)),
      ]) as [number, number][];
      metricSeries.push({ name: m, color: METHOD_COLORS[m], points: cps });
    }
    const top = 30 + legendH;
    parts.push(panel(t * PANEL_W, top, `${task.name}: training loss`, 'step', lossSeries, true));
    parts.push(
      panel(t * PANEL_W, top + PANEL_H, `${task.name}: test ${task.metric}`, 'step', metricSeries),
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
