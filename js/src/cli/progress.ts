// A one-line loading progress bar for a terminal (stderr): phase, bar, percent, bytes, redrawn in
// place at most ~12 times a second and erased when loading ends.
import { formatBytes } from '../format.js';
import type { ProgressEvent } from '../types.js';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private last = 0;
  private shown = false;
  private lastPhase = '';

  constructor(
    private readonly out: ProgressStream,
    private readonly label: string,
  ) {}

  update(e: ProgressEvent): void {
    const now = Date.now();
    const complete = e.total !== undefined && e.loaded >= e.total;
    // Always draw a phase change and the final state; throttle the rest.
    if (!complete && e.phase === this.lastPhase && now - this.last < 80) return;
    this.last = now;
    this.lastPhase = e.phase;
    const cols = Math.max(40, Math.min(this.out.columns || 80, 120));
    const phase = e.phase === 'download' ? 'downloading' : e.phase === 'cache' ? 'reading cache' : 'loading';
    let line: string;
    if (e.total !== undefined && e.total > 0) {
      const frac = Math.min(1, e.loaded / e.total);
      const pct = `${Math.floor(frac * 100)}%`.padStart(4);
      const tail = ` ${pct} ${formatBytes(e.loaded)}/${formatBytes(e.total)}`;
      const head = `${phase} ${this.label} `;
      const width = Math.max(10, cols - head.length - tail.length - 3);
      const fill = Math.round(frac * width);
      line = `${head}[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]${tail}`;
    } else {
      line = `${phase} ${this.label} ${formatBytes(e.loaded)}`;
    }
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.out.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  /** Erases the bar (call when loading ends, successfully or not). */
  finish(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
