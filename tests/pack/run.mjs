#!/usr/bin/env node
// npm pack test: the tarball `npm pack` makes installs into a fresh project (offline: the package
// has no dependencies) and works from a plain Node script and from a page bundled by Vite 7,
// opened in headless Chromium (cross-origin isolated: threads; and not: single thread).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/lib/chromium.mjs';
import { findModelsDir, startServer } from '../../scripts/serve.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL = join(findModelsDir() ?? '/work/shared/models', 'gguf', 'stories260K.gguf');
const ARTIFACTS = join(REPO, 'test-results', 'pack');
const work = mkdtempSync(join(tmpdir(), 'wasm-chord-pack-'));
const app = join(work, 'app');
let tarball;
let packedFiles;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

before(() => {
  const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], REPO));
  tarball = join(work, out[0].filename);
  packedFiles = out[0].files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-test-app', version: '1.0.0', private: true, type: 'module' }));
  run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund'], app);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the built package and nothing else', () => {
  for (const f of [
    'package.json',
    'README.md',
    'js/dist/browser.js',
    'js/dist/node.js',
    'js/dist/worker.js',
    'js/dist/browser.d.ts',
    'js/dist/cache/index.js',
    'js/dist/wasm/chord.wasm',
    'js/dist/wasm/chord.mjs',
    'js/dist/wasm/chord-mt.wasm',
    'js/dist/wasm/chord-mt.mjs',
    'js/dist/wasm/chord-mt.worker.js',
    'js/dist/wasm/chord-relaxed.wasm',
    'js/dist/wasm/chord-relaxed.mjs',
    'js/dist/wasm/chord-relaxed.js',
    'js/dist/wasm/chord-relaxed-mt.wasm',
    'js/dist/wasm/chord-relaxed-mt.mjs',
    'js/dist/wasm/chord-relaxed-mt.js',
    'js/dist/wasm/chord-m64.wasm',
    'js/dist/wasm/chord-m64.mjs',
    'js/dist/wasm/chord-m64.js',
    'js/dist/wasm/package.json',
  ])
    assert.ok(packedFiles.includes(f), `${f} is packed`);
  const stray = packedFiles.filter((f) => !f.startsWith('js/dist/') && !['package.json', 'README.md', 'js/README.md'].includes(f));
  assert.deepEqual(stray, [], 'only the package files');
  assert.ok(!packedFiles.some((f) => f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), 'no sources or maps');
});

test('no script points at a source map that is not shipped', () => {
  const installed = join(app, 'node_modules', 'wasm-chord');
  const dangling = [];
  for (const f of packedFiles.filter((p) => /\.(m?js|d\.ts)$/.test(p))) {
    for (const m of readFileSync(join(installed, f), 'utf8').matchAll(/[#@] sourceMappingURL=(\S+)/g)) {
      if (m[1].startsWith('data:')) continue;
      const target = join(dirname(f), m[1]);
      if (!packedFiles.includes(target)) dangling.push(`${f} -> ${m[1]}`);
    }
  }
  assert.deepEqual(dangling, []);
});

const NODE_SCRIPT = `
import { loadModel, WasmChordError, capabilities } from 'wasm-chord';
const model = await loadModel(process.argv[2], { threads: 1 });
let text = '';
for await (const c of model.generate('Once upon a time', { maxTokens: 24, temperature: 0, topK: 1 })) text += c.text;
let code = null;
try { await loadModel(new Uint8Array(64)); } catch (e) { code = e instanceof WasmChordError ? e.code : String(e); }
console.log(JSON.stringify({ text, wasm: model.info.wasm, arch: model.info.arch, simd: capabilities().simd, code }));
await model.dispose();
`;

let nodeText;
test('a plain Node script imports the installed package and generates', () => {
  writeFileSync(join(app, 'node-test.mjs'), NODE_SCRIPT);
  const r = JSON.parse(run(process.execPath, ['node-test.mjs', MODEL], app).trim().split('\n').pop());
  assert.equal(r.arch, 'llama');
  assert.equal(r.wasm, 'st');
  assert.equal(r.simd, true);
  assert.equal(r.code, 'bad_gguf');
  assert.ok(r.text.length > 20, `generated: ${JSON.stringify(r.text)}`);
  nodeText = r.text;
});

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pack test</title></head>
<body><pre id="out">loading…</pre><script type="module" src="./main.js"></script></body></html>
`;

const MAIN = `
import { cache, capabilities, loadModel } from 'wasm-chord';
const out = document.getElementById('out');
try {
  const phases = new Set();
  const model = await loadModel('/stories260K.gguf', { wasmBaseUrl: '/wasm/', onProgress: (e) => phases.add(e.phase) });
  let text = '';
  for await (const c of model.generate('Once upon a time', { maxTokens: 24, temperature: 0, topK: 1 })) text += c.text;
  out.textContent = text;
  Object.assign(out.dataset, {
    wasm: model.info.wasm, threads: String(model.info.threads), coi: String(capabilities().crossOriginIsolated),
    phases: [...phases].join(','), cached: String(await cache.has('/stories260K.gguf')), done: 'ok',
  });
} catch (e) {
  out.textContent = (e.code ?? e.name) + ': ' + e.message;
  out.dataset.done = 'error';
}
`;

test('a page bundled by Vite 7 loads the model in a Worker and generates (threads and single thread)', async () => {
  writeFileSync(join(app, 'index.html'), PAGE);
  writeFileSync(join(app, 'main.js'), MAIN);
  // Module workers bundled as ES modules; the wasm files and the model are static assets.
  writeFileSync(join(app, 'vite.config.mjs'), "export default { worker: { format: 'es' }, build: { target: 'es2022' } };\n");
  mkdirSync(join(app, 'public', 'wasm'), { recursive: true });
  const wasmDir = join(app, 'node_modules', 'wasm-chord', 'js', 'dist', 'wasm');
  for (const f of readdirSync(wasmDir)) copyFileSync(join(wasmDir, f), join(app, 'public', 'wasm', f));
  copyFileSync(MODEL, join(app, 'public', 'stories260K.gguf'));
  // Vite is installed into the app as a user would (kept out of the repo's own lock file: its
  // optional per-platform rollup packages make `npm ci` reject the lock).
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'vite@7'], app);
  run(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], app);
  const dist = join(app, 'dist');
  assert.ok(
    readdirSync(join(dist, 'assets')).some((f) => /worker/.test(f)),
    'the Worker was bundled',
  );

  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'wasm-chord-pack-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  try {
    for (const coi of [true, false]) {
      const server = await startServer({ port: 0, root: dist, coi });
      try {
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${server.url}/`);
        await page.waitForSelector('#out[data-done]', { timeout: 60_000 });
        const d = await page.$eval('#out', (el) => ({ ...el.dataset, text: el.textContent }));
        await page.screenshot({ path: join(ARTIFACTS, `vite-${coi ? 'isolated' : 'not-isolated'}.png`) });
        assert.equal(d.done, 'ok', d.text);
        assert.deepEqual(errors, []);
        assert.equal(d.coi, String(coi));
        assert.equal(d.wasm, coi ? 'mt' : 'st');
        assert.equal(d.phases, 'download,load');
        assert.equal(d.cached, 'true', 'the IndexedDB cache works in the bundle');
        assert.equal(d.text, nodeText, 'the same greedy text as in Node');
        await page.close();
      } finally {
        await server.close();
      }
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
