/** Where the progress bar writes: a TTY gets one redrawn line, anything else a line per 10%. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A text progress bar over `total` units (training steps):
 * `[########------------]  40% 1200/3000 RotoGrad seed 1  0:31 elapsed, 0:47 left`.
 */
export class ProgressBar {
  private done = 0;
  private label = '';
  private lastDecile = -1;
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(
    readonly total: number,
    private readonly stream: ProgressStream = process.stderr,
    private readonly width = 24,
  ) {}

  /** Sets what is running now (shown after the counts). */
  setLabel(label: string): void {
    this.label = label;
    this.draw(true);
  }

  /** Advances by `n` units. */
  tick(n = 1): void {
    this.done = Math.min(this.total, this.done + n);
    this.draw(false);
  }

  /** The bar's current line. */
  line(): string {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * this.width);
    const elapsed = (performance.now() - this.started) / 1000;
    const left = this.done === 0 ? Number.NaN : (elapsed * (this.total - this.done)) / this.done;
    return (
      `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ` +
      `${String(Math.floor(100 * fraction)).padStart(3)}% ${this.done}/${this.total} ` +
      `${this.label}  ${clock(elapsed)} elapsed, ${clock(left)} left`
    );
  }

  /** Ends the bar's line. */
  finish(): void {
    this.draw(true);
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(force: boolean): void {
    if (this.stream.isTTY) {
      const now = performance.now();
      if (!force && now - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.line()}\x1b[K`);
      return;
    }
    const decile = this.total === 0 ? 10 : Math.floor((10 * this.done) / this.total);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${this.line()}\n`);
    }
  }
}
