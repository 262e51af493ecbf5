import {
  colormap,
  type Point,
  TOY_OPTIMA,
  TOY_SHIFTS,
  toyLossValue,
} from '@rotograd/app-toy/toy-problem';

const EXTENT = 3;

/** Task `task`'s loss landscape over [−3, 3]² as an image, with banded contours. */
export function landscapeImage(task: 0 | 1, size: number): ImageData {
  const values = new Float64Array(size * size);
  let max = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const p0 = -EXTENT + (2 * EXTENT * col) / (size - 1);
      const p1 = EXTENT - (2 * EXTENT * row) / (size - 1);
      const v = toyLossValue(p0, p1, TOY_SHIFTS[task]);
      values[row * size + col] = v;
      max = Math.max(max, v);
    }
  }
  const scale = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++)
    scale[k] = Math.sqrt(Math.max(0, values[k]! + 6) / (max + 6));
  const image = new ImageData(size, size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const k = row * size + col;
      const t = scale[k]!;
      const [r, g, b] = colormap(t);
      // Contour lines every 1/12 of the colour scale, about one pixel wide: the distance to the
      // nearest level in pixels is its distance in value over the value's change per pixel.
      const dx =
        (scale[row * size + Math.min(size - 1, col + 1)]! -
          scale[row * size + Math.max(0, col - 1)]!) /
        2;
      const dy =
        (scale[Math.min(size - 1, row + 1) * size + col]! -
          scale[Math.max(0, row - 1) * size + col]!) /
        2;
      const band = (t * 12) % 1;
      const pixels = Math.min(band, 1 - band) / Math.max(1e-9, 12 * Math.hypot(dx, dy));
      const shade = pixels < 0.6 ? 0.8 : 1;
      image.data.set([r * shade, g * shade, b * shade, 255], k * 4);
    }
  }
  return image;
}

/** A method's trajectory on one task's panel. */
export interface Track {
  color: string;
  dash: number[];
  width: number;
  points: Point[];
}

/** Draws the landscape, the tracks, their start and current points, and the optimum. */
export function drawPanel(
  ctx: CanvasRenderingContext2D,
  background: ImageBitmap | HTMLCanvasElement,
  task: 0 | 1,
  tracks: Track[],
): void {
  const size = ctx.canvas.width;
  const sx = (p: number) => ((p + EXTENT) / (2 * EXTENT)) * size;
  const sy = (p: number) => size - ((p + EXTENT) / (2 * EXTENT)) * size;
  ctx.drawImage(background, 0, 0, size, size);
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const tr of tracks) {
    if (tr.points.length === 0) continue;
    for (const [color, width, alpha] of [
      ['#0f172a', tr.width + 3, 0.55],
      [tr.color, tr.width, 1],
    ] as const) {
      ctx.beginPath();
      tr.points.forEach(([a, b], k) => {
        if (k === 0) ctx.moveTo(sx(a), sy(b));
        else ctx.lineTo(sx(a), sy(b));
      });
      ctx.setLineDash(color === tr.color ? tr.dash : []);
      ctx.strokeStyle = color;
      ctx.globalAlpha = alpha;
      ctx.lineWidth = width;
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  for (const tr of tracks) {
    if (tr.points.length === 0) continue;
    const [s0, s1] = tr.points[0]!;
    ctx.save();
    ctx.translate(sx(s0), sy(s1));
    ctx.rotate(Math.PI / 4);
    ctx.fillStyle = tr.color;
    ctx.strokeStyle = '#0f172a';
    ctx.lineWidth = 1.5;
    ctx.fillRect(-5, -5, 10, 10);
    ctx.strokeRect(-5, -5, 10, 10);
    ctx.restore();
    const [e0, e1] = tr.points[tr.points.length - 1]!;
    ctx.beginPath();
    ctx.arc(sx(e0), sy(e1), 6, 0, 2 * Math.PI);
    ctx.fillStyle = tr.color;
    ctx.fill();
    ctx.lineWidth = 1.8;
    ctx.strokeStyle = '#0f172a';
    ctx.stroke();
  }
  const [o0, o1] = TOY_OPTIMA[task];
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const r = k % 2 === 0 ? 13 : 6;
    const x = sx(o0) + r * Math.cos(a);
    const y = sy(o1) + r * Math.sin(a);
    if (k === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.closePath();
  ctx.fillStyle = '#fde047';
  ctx.fill();
  ctx.strokeStyle = '#0f172a';
  ctx.lineWidth = 1.6;
  ctx.stroke();
}
