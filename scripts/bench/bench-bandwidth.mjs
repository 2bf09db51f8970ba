// Memory-bandwidth ceiling for decode: builds bench-bandwidth.c to a freestanding wasm module and
// streams a 256 MiB buffer per thread through SIMD loads in Node worker_threads (each thread its
// own instance and buffer, started together). The best of several trials is the ceiling.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(workerData.wasm)), {});
const bytes = workerData.bytes;
const addr = inst.exports.bw_alloc(bytes);
if (addr === 0) throw new Error('bw_alloc failed');
const flag = new Int32Array(workerData.flag);
parentPort.postMessage({ ready: true });
let trial = 0;
for (;;) {
  Atomics.wait(flag, 0, trial);          // main bumps flag[0] to start a trial, -1 to stop
  const v = Atomics.load(flag, 0);
  if (v < 0) break;
  trial = v;
  const t0 = performance.timeOrigin + performance.now();
  let s = 0;
  for (let i = 0; i < workerData.passes; i++) s = (s + inst.exports.bw_sum(addr, bytes)) >>> 0;
  const t1 = performance.timeOrigin + performance.now();
  parentPort.postMessage({ t0, t1, s });
}
`;

/** Compiles the probe if needed; returns the .wasm path. */
export function buildBandwidthWasm(repo) {
  const src = join(repo, 'scripts/bench/bench-bandwidth.c');
  const out = join(repo, 'build/bench/bench-bandwidth.wasm');
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(out), { recursive: true });
    try {
      execFileSync('clang', ['--target=wasm32', '-O3', '-msimd128', '-nostdlib', '-Wl,--no-entry', '-o', out, src], { stdio: 'inherit' });
    } catch (e) {
      if (!existsSync(out)) throw e;
      process.stderr.write('bench-bandwidth: no clang here, using the prebuilt probe\n'); // e.g. a carried one (gpu-machine.sh)
    }
  }
  return out;
}

/** Aggregate read bandwidth in bytes/s with `threads` threads (best of `trials`). */
export async function measureBandwidth(wasm, threads, { bytes = 256 << 20, passes = 4, trials = 8 } = {}) {
  const flag = new SharedArrayBuffer(4);
  const flagView = new Int32Array(flag);
  const workers = [];
  const inbox = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(WORKER, { eval: true, workerData: { wasm, bytes, passes, flag } });
    const q = [];
    let wake = null;
    w.on('message', (m) => {
      q.push(m);
      if (wake) {
        wake();
        wake = null;
      }
    });
    w.on('error', (e) => {
      q.push({ error: e });
      if (wake) {
        wake();
        wake = null;
      }
    });
    const next = async () => {
      while (!q.length)
        await new Promise((r) => {
          wake = r;
        });
      const m = q.shift();
      if (m.error) throw m.error;
      return m;
    };
    workers.push(w);
    inbox.push(next);
  }
  try {
    await Promise.all(inbox.map((n) => n())); // all buffers allocated and touched
    let best = 0;
    for (let t = 1; t <= trials; t++) {
      Atomics.store(flagView, 0, t);
      Atomics.notify(flagView, 0);
      const res = await Promise.all(inbox.map((n) => n()));
      const span = Math.max(...res.map((r) => r.t1)) - Math.min(...res.map((r) => r.t0));
      best = Math.max(best, (threads * passes * bytes) / (span / 1e3));
    }
    return best;
  } finally {
    Atomics.store(flagView, 0, -1);
    Atomics.notify(flagView, 0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
