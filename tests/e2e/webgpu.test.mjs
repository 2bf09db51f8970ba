// WebGPU in headless Chromium on its software adapter (SwiftShader), on 127.0.0.1 pages: the shared
// kernel checks of tests/webgpu/ (kernel-checks.mjs) against the C++ reference in the wasm module, and
// loadModel({ backend: 'webgpu' }) (forward pass on the GPU inside the package's Worker) generating
// the CPU backend's greedy text, also past a full context by context shifts, and its embeddings
// (stories260K), and a synthetic gemma3's greedy text (needs build/native-release/chord-synth, as
// the equivalence tests do). Only these tests launch Chromium with --enable-unsafe-webgpu
// (WebGPU stays off in the other suites). Skipped with a message only when there is no adapter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { findModelsDir } from '../../scripts/serve.mjs';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './lib.mjs';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WebGPU kernel checks</title></head>
<body><pre id="out">running…</pre>
<script type="module">
import * as lib from './dist/webgpu/index.js';
import factory from './dist/wasm/chord.mjs';
import { runKernelChecks } from './checks/kernel-checks.mjs';
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
  symlinkSync(join(REPO, 'tests/webgpu'), join(dir, 'checks'));
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
    `adapter: ${report.source} ${report.vendor} ${report.architecture} software=${report.software} packedDot=${report.packedDot} subgroups=${report.subgroups} shaderF16=${report.shaderF16} maxBinding=${report.maxStorageBufferBindingSize}`,
  );
  t.diagnostic(`${results.length} cases in ${ms} ms; worst error/bound ${Math.max(...results.map((r) => r.worst))}`);
  // SwiftShader has subgroups: the subgroupAdd reductions must have been checked too.
  assert.equal(
    results.some((r) => r.name.includes('(subgroups)')),
    report.subgroups,
  );
  assert.deepEqual(errors, [], 'no WebGPU validation errors');
  const bad = results.filter((r) => !r.ok);
  assert.deepEqual(bad, [], bad.map((r) => `${r.name}: error ${r.worst}x the bound`).join('\n'));
  assert.ok(results.length > (report.packedDot ? 180 : 110));
});

const MODEL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>WebGPU backend</title></head>
<body><pre id="out">running…</pre>
<script type="module">
import { loadModel } from './dist/browser.js';
const out = document.getElementById('out');
const params = new URLSearchParams(location.search);
const file = params.get('model');
const full = params.has('full'); // also context shifts and embeddings
const run = async (backend) => {
  const model = await loadModel('./' + file, { backend, simd: 'simd128', threads: 1, contextLength: 128, batchSize: 16, cache: 'none' });
  try {
    let text = '';
    for await (const c of model.generate('Once upon a time, there was a little girl named Lily who', { maxTokens: 32, temperature: 0, topK: 1 })) text += c.text;
    const again = await model.complete('Once upon a time, there was a little girl named Lily who', { maxTokens: 8, temperature: 0, topK: 1 });
    const i = model.info;
    // contextBytes, and what f16 K and V of every position in every layer would take
    const kv = [i.contextBytes, i.nLayer * 128 * i.nHeadKv * i.headDim * 4];
    const r = { text, backend: i.backend, gpu: i.gpu ?? null, cached: again.usage.cachedTokens, again: again.text, kv };
    if (!full) return r;
    // Past the 128-token context by context shifts (the KV cache moved and re-rotated on the GPU).
    const long = await model.complete('Once upon a time', { maxTokens: 200, temperature: 0, topK: 1, ignoreEos: true, contextShift: true });
    const embeddings = (await model.embed(['Once upon a time', 'Lily liked to play in the park with her friends.'])).map((v) => Array.from(v));
    return { ...r, long: long.text, shifts: long.timings.contextShifts, embeddings };
  } finally {
    await model.dispose();
  }
};
try {
  out.textContent = JSON.stringify({ cpu: await run('cpu'), gpu: await run('webgpu') });
  out.dataset.done = 'ok';
} catch (e) {
  out.textContent = (e.code ?? e.name) + ': ' + e.message;
  out.dataset.done = e.code === 'unsupported' && /no WebGPU adapter/.test(e.message) ? 'skip' : 'error';
}
</script></body></html>
`;

// stories260K (llama; also context shifts and embeddings), and a synthetic gemma3 (chord-synth:
// sliding-window layers, q/k norms, GeGLU, post-norms, embedding scale) for an architecture driven
// by the C++ model description (no shifts there: both backends refuse them over ring caches).
for (const [label, file, path] of [
  [
    'stories260K (llama): greedy text, shifts and embeddings',
    'stories260K.gguf',
    async () => join(findModelsDir(), 'gguf/stories260K.gguf'),
  ],
  [
    'tiny-gemma3 Q8_0: greedy text',
    'tiny-gemma3.gguf',
    () =>
      new ChordTools(join(REPO, 'build/native-release')).model(join(REPO, 'build/synth'), 'tiny-gemma3', 'Q8_0', 1, {
        extra: ['--output-type', 'F16'],
        tag: '-o16',
      }),
  ],
])
  test(`loadModel({ backend: 'webgpu' }) in Chromium's Worker = the CPU backend: ${label}`, async (t) => {
    const full = file === 'stories260K.gguf';
    const dir = mkdtempSync(join(tmpdir(), 'wasm-chord-e2e-webgpu-'));
    writeFileSync(join(dir, 'index.html'), MODEL_PAGE);
    symlinkSync(join(REPO, 'js/dist'), join(dir, 'dist'));
    symlinkSync(await path(), join(dir, file));
    const site = await startServer({ port: 0, root: dir, coi: false });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
    t.after(async () => {
      await browser.close().catch(() => {});
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const page = await browser.newPage();
    await page.goto(`${site.url}/?model=${file}${full ? '&full' : ''}`);
    await page.waitForSelector('#out[data-done]', { timeout: 240_000 });
    const text = await page.textContent('#out');
    const done = await page.getAttribute('#out', 'data-done');
    if (done === 'skip') return t.skip(text);
    assert.equal(done, 'ok', text);
    const { cpu, gpu } = JSON.parse(text);
    t.diagnostic(`GPU: ${JSON.stringify(gpu.text)} on ${gpu.gpu.architecture} (software ${gpu.gpu.software})`);
    assert.equal(cpu.backend, 'cpu');
    assert.equal(gpu.backend, 'webgpu');
    assert.equal(gpu.gpu.source, 'navigator.gpu');
    assert.equal(gpu.text, cpu.text);
    // Prefix reuse as on the CPU: stories260K keeps the prompt; gemma3's window-16 layers keep
    // rings of 16 + 15 rows on both backends (runtime/kv_cache.h keepable), which the first
    // generation has wrapped, so the prompt is read again. Those rings shrink the GPU's cache.
    assert.equal(gpu.cached, cpu.cached);
    if (full) {
      assert.ok(gpu.cached > 10, `prefix reuse: ${gpu.cached} cached`);
      assert.equal(gpu.kv[0], gpu.kv[1]);
    } else {
      assert.equal(gpu.cached, 0);
      assert.ok(gpu.kv[0] < gpu.kv[1] / 2, `contextBytes ${gpu.kv[0]} of ${gpu.kv[1]} full-length`);
    }
    assert.equal(gpu.again, cpu.again);
    if (!full) return;
    assert.ok(gpu.shifts >= 1, `${gpu.shifts} context shifts`);
    assert.equal(gpu.shifts, cpu.shifts);
    assert.equal(gpu.long, cpu.long);
    const norm = (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    gpu.embeddings.forEach((v, i) => {
      const c = cpu.embeddings[i];
      const cos = v.reduce((a, x, j) => a + x * c[j], 0) / (norm(v) * norm(c));
      assert.ok(cos > 0.9999, `embedding ${i}: cosine ${cos}`);
    });
  });
