// The WebGPU kernels in Node through Dawn (the optional `webgpu` package): the shared checks of
// tests/webgpu/kernel-checks.mjs against the C++ reference in the wasm module. On a machine
// without a GPU driver Dawn's GLES backend on Mesa llvmpipe is used (compatibility mode, 128 MiB
// bindings); skipped with a message only when no adapter at all is found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeEnv } from '../../js/dist/node-env.js';
import * as lib from '../../js/dist/webgpu/index.js';
import { runKernelChecks } from '../webgpu/kernel-checks.mjs';

test('WebGPU kernels (Dawn) match the C++ reference on every weight type and shape', async (t) => {
  let gpu;
  try {
    gpu = await lib.acquireGpu();
  } catch (e) {
    if (e.code === 'unsupported') return t.skip(`no WebGPU adapter in Node: ${e.message}`);
    throw e;
  }
  const { device, report } = gpu;
  t.diagnostic(
    `adapter: ${report.source} ${report.vendor} ${report.architecture} ${report.description} software=${report.software} packedDot=${report.packedDot} subgroups=${report.subgroups} shaderF16=${report.shaderF16} maxBinding=${report.maxStorageBufferBindingSize}`,
  );
  const errors = [];
  device.addEventListener?.('uncapturederror', (e) => errors.push(e.error.message));
  const ref = await nodeEnv(undefined).instantiate('st', 'simd128', 0);
  try {
    const t0 = Date.now();
    const results = await runKernelChecks({ device, lib, ref, packedDot: report.packedDot });
    t.diagnostic(`${results.length} cases in ${Date.now() - t0} ms; worst error/bound ${Math.max(...results.map((r) => r.worst))}`);
    const bad = results.filter((r) => !r.ok);
    assert.deepEqual(errors, [], 'no WebGPU validation errors');
    assert.equal(
      results.some((r) => r.name.includes('(subgroups)')),
      report.subgroups,
    );
    assert.deepEqual(bad, [], bad.map((r) => `${r.name}: error ${r.worst}x the bound`).join('\n'));
    assert.ok(results.length > (report.packedDot ? 180 : 110));
  } finally {
    device.destroy();
  }
});
