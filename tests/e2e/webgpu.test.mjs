// The WebGPU kernels in headless Chromium on its software adapter (SwiftShader): the shared checks
// of tests/webgpu/kernel-checks.mjs against the C++ reference in the wasm module, on a 127.0.0.1
// page. Only this test launches Chromium with --enable-unsafe-webgpu (WebGPU stays off in the other
// suites). Skipped with a message only when the browser offers no adapter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './lib.mjs';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WebGPU kernel checks</title></head>
<body><pre id="out">running…</pre>
<script type="module">
import * as lib from './dist/webgpu/index.js';
import factory from './dist/wasm/chord.mjs';
import { runKernelChecks } from './checks.mjs';
const out = document.getElementById('out');
try {
  let gpu;
  try {
    gpu = await lib.acquireGpu();
  } catch (e) {
    out.dataset.skip = e.message;
    throw e;
  }
  const errors = [];
  gpu.device.addEventListener('uncapturederror', (e) => errors.push(e.error.message));
  const ref = await factory({ locateFile: (p) => './dist/wasm/' + p });
  const t0 = performance.now();
  const results = await runKernelChecks({ device: gpu.device, lib, ref, packedDot: gpu.report.packedDot });
  out.textContent = JSON.stringify({ report: gpu.report, results, errors, ms: Math.round(performance.now() - t0) });
  out.dataset.done = 'ok';
} catch (e) {
  out.textContent = (e.code ?? e.name) + ': ' + e.message + '\\n' + e.stack;
  out.dataset.done = 'error';
}
</script></body></html>
`;

test('WebGPU kernels (Chromium, SwiftShader) match the C++ reference on every weight type and shape', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-chord-e2e-webgpu-'));
  writeFileSync(join(dir, 'index.html'), PAGE);
  symlinkSync(join(REPO, 'js/dist'), join(dir, 'dist'));
  symlinkSync(join(REPO, 'tests/webgpu/kernel-checks.mjs'), join(dir, 'checks.mjs'));
  const site = await startServer({ port: 0, root: dir, coi: false });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
  t.after(async () => {
    await browser.close().catch(() => {});
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const page = await browser.newPage();
  const logs = [];
  page.on('pageerror', (e) => logs.push(e.message));
  await page.goto(`${site.url}/`);
  await page.waitForSelector('#out[data-done]', { timeout: 240_000 });
  const skip = await page.getAttribute('#out', 'data-skip');
  if (skip) return t.skip(`no WebGPU adapter in Chromium: ${skip}`);
  const text = await page.textContent('#out');
  assert.equal(await page.getAttribute('#out', 'data-done'), 'ok', `${text}\n${logs.join('\n')}`);
  const { report, results, errors, ms } = JSON.parse(text);
  t.diagnostic(
    `adapter: ${report.source} ${report.vendor} ${report.architecture} software=${report.software} packedDot=${report.packedDot} shaderF16=${report.shaderF16} maxBinding=${report.maxStorageBufferBindingSize}`,
  );
  t.diagnostic(`${results.length} cases in ${ms} ms; worst error/bound ${Math.max(...results.map((r) => r.worst))}`);
  assert.deepEqual(errors, [], 'no WebGPU validation errors');
  const bad = results.filter((r) => !r.ok);
  assert.deepEqual(bad, [], bad.map((r) => `${r.name}: error ${r.worst}x the bound`).join('\n'));
  assert.ok(results.length > (report.packedDot ? 180 : 110));
});
