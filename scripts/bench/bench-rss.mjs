// Resident memory and CPU time of the Chromium renderer processes this Node process started (where a
// page's Workers and their wasm heaps live); RSS sampled every 50 ms to catch a load's peak.
import { readdirSync, readFileSync } from 'node:fs';

function procTable() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(d), ppid });
    } catch {
      // the process exited while we looked
    }
  }
  return out;
}

function descendants(root) {
  const table = procTable();
  const kids = new Map();
  for (const p of table) {
    if (!kids.has(p.ppid)) kids.set(p.ppid, []);
    kids.get(p.ppid).push(p.pid);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    for (const k of kids.get(stack.pop()) ?? []) {
      out.push(k);
      stack.push(k);
    }
  }
  return out;
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const TICKS = 100; // USER_HZ on Linux

function cpuTicksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, all threads
  } catch {
    return 0;
  }
}

function isRenderer(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
  } catch {
    return false;
  }
}

/** Samples the summed RSS of renderer processes under this process; `mark()` starts a peak window. */
export class RendererRss {
  constructor() {
    this.pids = [];
    this.lastScan = 0;
    this.peak = 0;
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
  }
  now() {
    if (Date.now() - this.lastScan > 1000) {
      this.pids = descendants(process.pid).filter(isRenderer);
      this.lastScan = Date.now();
    }
    return this.pids.reduce((s, p) => s + rssOf(p), 0);
  }
  sample() {
    const v = this.now();
    if (v > this.peak) this.peak = v;
    return v;
  }
  /** CPU seconds used so far by the renderer processes (all their threads). */
  cpuSeconds() {
    this.now();
    return this.pids.reduce((s, p) => s + cpuTicksOf(p), 0) / TICKS;
  }
  /** Starts a window; returns the RSS at its start. */
  mark() {
    this.lastScan = 0;
    const v = this.now();
    this.peak = v;
    return v;
  }
  /** Peak RSS since mark(). */
  peakSinceMark() {
    this.sample();
    return this.peak;
  }
  /** Waits (up to 15 s) until the RSS stops falling (terminated Workers free their heaps late). */
  async settle() {
    let last = this.mark();
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const v = this.mark();
      if (last - v < 4 * 2 ** 20 && i >= 1) return;
      last = v;
    }
  }
  stop() {
    clearInterval(this.timer);
  }
}
