// The CPU cost of recording WebGPU dispatches through js/src/webgpu/kernels.ts (Node, Dawn): 600
// mixed small dispatches (add, swiglu, rms_norm over 8 buffers, the size of a decode step of a
// 32-layer model) recorded into one encoder, repeated; the median microseconds per dispatch.
// Usage: node scripts/bench/webgpu-dispatch.mjs [--dist DIR] [--reps N]  (DIR default js/dist)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { dist: { type: 'string', default: 'js/dist' }, reps: { type: 'string', default: '12' } } });
const lib = await import(pathToFileURL(resolve(values.dist, 'webgpu/index.js')).href);
const { device, report } = await lib.acquireGpu();
const k = new lib.GpuKernels(device);
const n = 1024;
const N = 600;
const bufs = Array.from({ length: 8 }, () => lib.f32Buffer(device, n, new Float32Array(n)));
const per = [];
for (let rep = 0; rep < Number(values.reps); ++rep) {
  const enc = device.createCommandEncoder();
  const t0 = performance.now();
  for (let i = 0; i < N; ++i) {
    if (i % 3 === 0) k.add(enc, bufs[i % 8], bufs[(i + 1) % 8], n);
    else if (i % 3 === 1) k.swiglu(enc, bufs[i % 8], bufs[(i + 3) % 8], n);
    else k.rmsNorm(enc, bufs[i % 8], bufs[(i + 2) % 8], bufs[(i + 5) % 8], 1, n, 1e-5);
  }
  const t1 = performance.now();
  await k.submit(enc);
  if (rep >= 2) per.push(((t1 - t0) * 1000) / N); // the first two compile pipelines and warm up
}
per.sort((a, b) => a - b);
console.log(
  `${report.source} ${report.description || report.architecture}: recording ${per[per.length >> 1].toFixed(2)} us per dispatch ` +
    `(median of ${per.length} x ${N}; min ${per[0].toFixed(2)})`,
);
device.destroy();
