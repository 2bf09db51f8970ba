// The package imported from another origin, as from a CDN: the page comes from one 127.0.0.1 port,
// the package, its wasm and the model from a second one (CORS + Cross-Origin-Resource-Policy).
// Browsers refuse `new Worker(crossOriginUrl)`, so this proves the Worker start (a same-origin
// blob: module importing the package's worker, blob: scripts for the pthread Workers) on an
// isolated page (pthreads build) and on a plain one (single thread).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from './lib.mjs';

const page = (cdn) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasm-chord from a CDN</title>
<script type="importmap">${JSON.stringify({ imports: { 'wasm-chord': `${cdn}/node_modules/wasm-chord/js/dist/browser.js` } })}</script>
</head><body><pre id="out">loading…</pre>
<script type="module">
import { capabilities, loadModel } from 'wasm-chord';
const out = document.getElementById('out');
try {
  const phases = new Set();
  const model = await loadModel(${JSON.stringify(`${cdn}/models/stories260K.gguf`)}, { cache: 'none', onProgress: (e) => phases.add(e.phase) });
  let text = '';
  for await (const c of model.generate('Once upon a time', { maxTokens: 24, temperature: 0, topK: 1 })) text += c.text;
  Object.assign(out.dataset, {
    wasm: model.info.wasm, simd: model.info.simd, relaxed: String(capabilities().relaxedSimd),
    threads: String(model.info.threads), coi: String(capabilities().crossOriginIsolated),
    phases: [...phases].join(','), done: 'ok',
  });
  out.textContent = text;
  await model.dispose();
} catch (e) {
  out.textContent = (e.code ?? e.name) + ': ' + e.message;
  out.dataset.done = 'error';
}
</script></body></html>
`;

test('cross-origin package: a page on another origin loads a model in the Worker and generates (threads and not)', async (t) => {
  const cdn = await startServer({ port: 0, coi: false, cors: true });
  const dir = mkdtempSync(join(tmpdir(), 'wasm-chord-e2e-xo-'));
  writeFileSync(join(dir, 'index.html'), page(cdn.url));
  const profile = mkdtempSync(join(tmpdir(), 'wasm-chord-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  t.after(async () => {
    await context.close().catch(() => {});
    await cdn.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });
  const texts = [];
  for (const coi of [true, false]) {
    const site = await startServer({ port: 0, root: dir, coi });
    try {
      assert.notEqual(new URL(site.url).origin, new URL(cdn.url).origin);
      const p = await context.newPage();
      const errors = [];
      p.on('pageerror', (e) => errors.push(e.message));
      p.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} ${r.url()}`);
      });
      await p.goto(`${site.url}/`);
      await p.waitForSelector('#out[data-done]', { timeout: 120_000 });
      const d = await p.$eval('#out', (el) => ({ ...el.dataset, text: el.textContent }));
      await p.screenshot({ path: join(ARTIFACTS, `cross-origin-${coi ? 'isolated' : 'not-isolated'}.png`) });
      assert.equal(d.done, 'ok', d.text);
      assert.deepEqual(errors, []);
      assert.equal(d.coi, String(coi));
      assert.equal(d.wasm, coi ? 'mt' : 'st');
      // This Chromium runs relaxed SIMD: the loader picks the relaxed-SIMD builds.
      assert.equal(d.relaxed, 'true');
      assert.equal(d.simd, 'relaxed');
      if (coi) assert.ok(Number(d.threads) > 1, `threads: ${d.threads}`);
      assert.equal(d.phases, 'download,load');
      assert.ok(d.text.length > 20, d.text);
      texts.push(d.text);
      // Everything the package needed came from the CDN's origin.
      const fromCdn = cdn.stats.requests.map((r) => r.path);
      for (const f of [
        '/node_modules/wasm-chord/js/dist/worker.js',
        `/node_modules/wasm-chord/js/dist/wasm/${coi ? 'chord-relaxed-mt' : 'chord-relaxed'}.wasm`,
      ])
        assert.ok(fromCdn.includes(f), `${f} was fetched from the CDN`);
      // The relaxed builds' pthread Workers run the main script itself (no .worker.js).
      if (coi) assert.ok(fromCdn.includes('/node_modules/wasm-chord/js/dist/wasm/chord-relaxed-mt.js'), 'the pthread Worker script too');
      await p.close();
    } finally {
      await site.close();
    }
  }
  assert.equal(texts[0], texts[1], 'the same greedy text with and without threads');
});
