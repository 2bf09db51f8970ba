// PackageSide (lib/package-side.mjs) run inside headless Chromium: a 127.0.0.1 page imports the
// package's browser build (js/dist, the model in its Worker) and package-side.mjs; each call is
// forwarded with page.evaluate. Model files are linked into the served folder as they are asked
// for. WebGPU is on (--enable-unsafe-webgpu: SwiftShader here) for the 'webgpu' backend.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>equivalence side</title></head>
<body><script type="module">
import { loadModel } from './dist/browser.js';
import { PackageSide } from './package-side.mjs';
window.sides = new Map();
window.side = (name, options) => {
  if (!window.sides.has(name)) window.sides.set(name, new PackageSide(loadModel, options));
  return window.sides.get(name);
};
document.body.dataset.ready = 'true';
</script></body></html>
`;

// One Chromium page shared by every BrowserSide of a run (the WebGPU side and its CPU reference).
export class BrowserPage {
  static async open() {
    const p = new BrowserPage();
    p.dir = mkdtempSync(join(tmpdir(), 'wasm-chord-equiv-'));
    writeFileSync(join(p.dir, 'index.html'), PAGE);
    symlinkSync(join(ROOT, 'js/dist'), join(p.dir, 'dist'));
    symlinkSync(join(ROOT, 'scripts/lib/package-side.mjs'), join(p.dir, 'package-side.mjs'));
    p.urls = new Map(); // model path -> URL on the page
    p.errors = [];
    try {
      p.site = await startServer({ port: 0, root: p.dir, coi: false });
      p.browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
      p.page = await p.browser.newPage();
      p.page.on('pageerror', (e) => p.errors.push(e.message));
      await p.page.goto(`${p.site.url}/`);
      await p.page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
    } catch (e) {
      await p.close();
      throw new Error(`the Chromium page did not start: ${e.message}${p.errors.length ? `\n${p.errors.join('\n')}` : ''}`);
    }
    return p;
  }

  url(path) {
    if (!this.urls.has(path)) {
      const name = `m${this.urls.size}.gguf`;
      symlinkSync(resolve(path), join(this.dir, name));
      this.urls.set(path, `./${name}`);
    }
    return this.urls.get(path);
  }

  async call(name, options, method, args) {
    try {
      return await this.page.evaluate(([n, o, m, a]) => window.side(n, o)[m](...a), [name, options, method, args]);
    } catch (e) {
      throw new Error(`${name}.${method} in Chromium failed: ${e.message}${this.errors.length ? `\n${this.errors.join('\n')}` : ''}`);
    }
  }

  async close() {
    await this.browser?.close().catch(() => {});
    await this.site?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// A PackageSide in the page, named so that several coexist (each holds its own model).
export class BrowserSide {
  constructor(page, name, options) {
    this.page = page;
    this.name = name;
    this.options = options;
    this.info = null;
  }

  async #call(method, src, ...args) {
    const r = await this.page.call(this.name, this.options, method, [this.page.url(src), ...args]);
    // the backend and adapter of the model loaded (ModelInfo has more than page.evaluate can return)
    this.info = await this.page.page.evaluate((n) => {
      const i = window.sides.get(n)?.info;
      return i ? { backend: i.backend, gpu: i.gpu ?? null } : null;
    }, this.name);
    return r;
  }

  tokenize(src, text, opts) {
    return this.#call('tokenize', src, text, opts);
  }

  score(src, ids, top, opts) {
    return this.#call('score', src, ids, top, opts);
  }

  greedy(src, ids, n) {
    return this.#call('greedy', src, ids, n);
  }

  close() {
    return this.page.call(this.name, this.options, 'close', []);
  }
}
