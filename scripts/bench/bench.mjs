// `npm run bench`: wasm-chord vs @wllama/wllama (llama.cpp in wasm) on the same synthetic GGUFs, in
// one headless Chromium page (alternating runs, same thread count), plus wasm-chord in Node, the
// memory-bandwidth ceiling for decode and the memory bar. Prints Markdown tables and saves JSON.
// Usage: node scripts/bench/bench.mjs [--quick] [--models a,b] [--threads 1,2] [--reps N]
//        [--prompt N] [--gen N] [--no-node] [--no-browser] [--native] [--json PATH]
//        [--load-reps N] [--no-load] [--load-only] [--no-simd128] [--webgpu]
//        (--native adds native llama.cpp rows through @fugood/llama.node as a reference; the
//        URL-load table (bench-load.mjs) runs --load-reps rounds per model, --load-only runs just it;
//        --webgpu adds Node rows with backend 'webgpu' (any adapter: Dawn's GLES on llvmpipe without a
//        GPU) beside the CPU rows, for the models the GPU backend runs)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBandwidthWasm, measureBandwidth } from './bench-bandwidth.mjs';
import { decodeBytesPerToken, readGguf } from './bench-gguf.mjs';
import {
  browserTable,
  ceilingTable,
  relaxedTable,
  webgpuTable,
  decodeRate,
  memoryBar,
  memoryTable,
  nativeTable,
  nodeTable,
  prefillRate,
} from './bench-report.mjs';
import { loadTable, runLoadTable } from './bench-load.mjs';
import { RendererRss } from './bench-rss.mjs';
import { startServer } from './bench-server.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../lib/chromium.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MODELS_DIR = 'build/bench-models';
// reps: timed generations per runtime after the warm-up (TinyLlama runs take ~10x longer).
const MODELS = [
  // TinyLlama shapes get fewer reps: one wllama run there is ~1 minute, and the whole bench should
  // stay near 30 minutes on the 2-core machine.
  { name: 'smollm2-135m-Q8_0', preset: 'smollm2-135m', type: 'Q8_0', reps: 5 },
  { name: 'tinyllama-Q4_0', preset: 'tinyllama', type: 'Q4_0', reps: 2 },
  { name: 'tinyllama-Q4_K_M', preset: 'tinyllama', type: 'Q4_K_M', reps: 2 },
  { name: 'tinyllama-Q8_0', preset: 'tinyllama', type: 'Q8_0', reps: 2 },
  // Shapes people pick (issue 13): Gemma 3 (5 local : 1 global layers) and an I-quant.
  { name: 'gemma3-1b-Q4_K_M', preset: 'gemma3-1b', type: 'Q4_K_M', reps: 2 },
  { name: 'tinyllama-IQ4_XS', preset: 'tinyllama', type: 'IQ4_XS', reps: 2 },
];

function parseArgs(argv) {
  const a = {
    quick: false,
    node: true,
    browser: true,
    threads: [1, 2],
    promptN: 128,
    genN: 64,
    warmPromptN: 16,
    warmGenN: 2,
    contextLength: 512,
    load: true,
    loadOnly: false,
    loadReps: 3,
    simd128: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--no-node') a.node = false;
    else if (k === '--no-browser') a.browser = false;
    else if (k === '--native') a.native = true;
    else if (k === '--webgpu') a.webgpu = true;
    else if (k === '--models') a.models = v().split(',');
    else if (k === '--threads') a.threads = v().split(',').map(Number);
    else if (k === '--reps') a.reps = Number(v());
    else if (k === '--prompt') a.promptN = Number(v());
    else if (k === '--gen') a.genN = Number(v());
    else if (k === '--json') a.json = v();
    else if (k === '--load-reps') a.loadReps = Number(v());
    else if (k === '--no-load') a.load = false;
    else if (k === '--no-simd128') a.simd128 = false;
    else if (k === '--load-only') a.loadOnly = true;
    else if (k === '--help' || k === '-h') {
      console.log(
        'usage: node scripts/bench/bench.mjs [--quick] [--models a,b] [--threads 1,2] [--reps N] [--prompt N] [--gen N] [--no-node] [--no-browser] [--native] [--json PATH] [--load-reps N] [--no-load] [--load-only] [--no-simd128] [--webgpu]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  let models = MODELS;
  if (a.quick) {
    models = MODELS.filter((m) => m.preset === 'smollm2-135m').map((m) => ({ ...m, reps: 1 }));
    a.loadReps = 1;
  }
  if (a.loadOnly) {
    a.node = false;
    a.load = true;
  }
  if (a.models) {
    models = a.models.map(
      (n) =>
        MODELS.find((m) => m.name === n) ??
        (() => {
          throw new Error(`unknown model ${n} (${MODELS.map((m) => m.name).join(', ')})`);
        })(),
    );
  }
  if (a.reps !== undefined) models = models.map((m) => ({ ...m, reps: a.reps }));
  a.models = models;
  return a;
}

const t00 = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - t00) / 1e3).toFixed(0).padStart(4)}s] ${msg}\n`);

function ensurePackage(args) {
  for (const f of ['js/dist/node.js', 'js/dist/browser.js', 'js/dist/wasm/chord.wasm', 'js/dist/wasm/chord-mt.wasm']) {
    if (!existsSync(join(repo, f))) throw new Error(`${f} is missing: run \`npm run build:package\` first`);
  }
  if (args.browser && !existsSync(join(repo, 'node_modules/@wllama/wllama/esm/index.js')))
    throw new Error('@wllama/wllama is not installed: run `npm ci`');
}

function ensureModels(models) {
  const missing = models.filter((m) => !existsSync(join(repo, MODELS_DIR, `${m.name}.gguf`)));
  if (!missing.length) return;
  const synth = join(repo, 'build/native-release/chord-synth');
  if (!existsSync(synth)) {
    log('building chord-synth (native release)');
    execFileSync('cmake', ['-S', repo, '-B', join(repo, 'build/native-release'), '-DCMAKE_BUILD_TYPE=Release', '-DCHORD_TESTS=OFF'], {
      stdio: 'inherit',
    });
    execFileSync('cmake', ['--build', join(repo, 'build/native-release'), '--target', 'chord-synth', '-j2'], { stdio: 'inherit' });
  }
  mkdirSync(join(repo, MODELS_DIR), { recursive: true });
  for (const m of missing) {
    log(`generating ${MODELS_DIR}/${m.name}.gguf`);
    execFileSync(
      synth,
      [
        '--preset',
        m.preset,
        '--type',
        m.type,
        '--seed',
        '1',
        '--threads',
        String(availableParallelism()),
        '-o',
        join(repo, MODELS_DIR, `${m.name}.gguf`),
      ],
      {
        stdio: 'inherit',
      },
    );
  }
}

/** Runs a bench child script in its own process; resolves to its last stdout line as JSON.
 *  stderr lines matching `keep` are passed on (llama.cpp logs a lot). */
function child(script, cfg, keep = /./) {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [join(repo, 'scripts/bench', script), JSON.stringify(cfg)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: repo,
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      err += d;
      const lines = err.split('\n');
      err = lines.pop();
      for (const l of lines) if (keep.test(l)) process.stderr.write(`${l}\n`);
    });
    p.on('error', rej);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) rej(new Error(`${script} exited with ${code}`));
      else res(JSON.parse(line));
    });
  });
}
const nodeChild = (cfg) => child('bench-node.mjs', cfg);

function seedsFor(m) {
  return Array.from({ length: m.reps }, (_, i) => i + 1);
}

async function runNode(args, m, g, threads, ceiling, backend = 'cpu') {
  log(`node   ${m.name} ${threads}T ${backend}: load, warm-up, ${m.reps} reps`);
  const r = await nodeChild({
    backend,
    model: join(repo, MODELS_DIR, `${m.name}.gguf`),
    threads,
    contextLength: args.contextLength,
    promptN: args.promptN,
    genN: args.genN,
    warmPromptN: args.warmPromptN,
    warmGenN: args.warmGenN,
    reps: m.reps,
    seeds: seedsFor(m),
    warmSeed: 99,
  });
  const kvBytes = decodeBytesPerToken(g, 0).kvBytesPerPos * args.contextLength;
  return { model: m.name, threads, ceiling, ...r, bar: memoryBar(g.fileSize, kvBytes) };
}

/** One (model, threads) pair in the page: both loaded, then alternating timed runs. */
async function runBrowserPair(args, page, rss, m, g, threads, ceiling, prompts, idx) {
  // ours128: the SIMD128-only build beside the default (relaxed) one, so the relaxed gain shows.
  const who3 = args.simd128 ? ['ours', 'ours128', 'wllama'] : ['ours', 'wllama'];
  const order = idx % 2 === 0 ? who3 : [...who3].reverse();
  const side = Object.fromEntries(who3.map((w) => [w, { runs: [] }]));
  const fnName = { ours: 'Ours', ours128: 'Ours128', wllama: 'Wllama' };
  const call = (who, what, ...a) => page.evaluate(([fn, xs]) => window.bench[fn](...xs), [`${what}${fnName[who]}`, a]);
  for (const who of order) {
    // Peak memory of this runtime: renderer RSS from just before its load until after its warm-up.
    const base = rss.mark();
    log(`browser ${m.name} ${threads}T: load ${who}`);
    const l = await call(who, 'load', threads, args.contextLength);
    if (l.error) {
      side[who].error = `load: ${l.error}`;
      log(`  ${who} load failed: ${l.error}`);
      continue;
    }
    side[who].loadMs = l.loadMs;
    side[who].info = l.info;
    if (l.info.threads !== threads) log(`  warning: ${who} runs ${l.info.threads} thread(s), not ${threads}`);
    const w = await call(who, 'run', prompts.warm, args.warmGenN);
    if (w.error) side[who].error = `warm-up: ${w.error}`;
    side[who].memBytes = rss.peakSinceMark() - base;
    await new Promise((r) => setTimeout(r, 2000)); // transient load buffers are often collected by then
    side[who].memAfterBytes = rss.now() - base;
    log(
      `  ${who}: load ${(l.loadMs / 1e3).toFixed(2)} s, renderer RSS +${Math.round(side[who].memBytes / 2 ** 20)} MB peak, ` +
        `+${Math.round(side[who].memAfterBytes / 2 ** 20)} MB 2 s after warm-up`,
    );
  }
  for (let i = 0; i < m.reps; i++) {
    const o = i % 2 === 0 ? order : [...order].reverse();
    for (const who of o) {
      if (side[who].error) continue;
      const c0 = rss.cpuSeconds();
      const r = await call(who, 'run', prompts.prompts[i], args.genN);
      r.cpuMs = (rss.cpuSeconds() - c0) * 1e3; // CPU time of the whole generation (all threads)
      side[who].runs[i] = r;
      if (r.error) log(`  rep ${i + 1}/${m.reps} ${who}: ERROR ${r.error}`);
      else
        log(
          `  rep ${i + 1}/${m.reps} ${who.padEnd(6)}: prefill ${prefillRate(r).toFixed(1)} tok/s (${r.promptN} tok), decode ${decodeRate(r).toFixed(2)} tok/s (${r.genN} tok)`,
        );
      // ours may reuse the BOS of the previous prompt from its KV cache (cached = 1).
      if (!r.error && r.promptN + (r.cached ?? 0) !== args.promptN)
        log(`  warning: ${who} prompt was ${r.promptN + (r.cached ?? 0)} tokens, not ${args.promptN}`);
    }
  }
  // Greedy outputs should start the same (later near-ties may differ: llama.cpp quantizes
  // activations to 8 bits for quantized matmuls): characters in common per rep.
  const agree = [];
  for (let i = 0; i < m.reps; i++) {
    const a = side.ours.runs[i];
    const b = side.wllama.runs[i];
    if (!a || !b || a.error || b.error) continue;
    let k = 0;
    while (k < a.text.length && k < b.text.length && a.text[k] === b.text[k]) k++;
    agree.push(`${k}/${Math.max(a.text.length, b.text.length)}`);
  }
  for (const who of who3) await call(who, 'dispose');
  await rss.settle(); // terminated Workers free their heaps asynchronously: next baseline after that
  const kvBytes = decodeBytesPerToken(g, 0).kvBytesPerPos * args.contextLength;
  return { model: m.name, threads, ceiling, ...side, agree, fileBytes: g.fileSize, kvBytes, bar: memoryBar(g.fileSize, kvBytes) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  ensurePackage(args);
  ensureModels(args.models);

  // Bandwidth is a machine limit that other load only lowers: it is sampled at the start, before
  // each model and at the end, and the ceiling uses the best sample per thread count.
  const wasm = buildBandwidthWasm(repo);
  const bandwidth = args.threads.map((t) => ({ threads: t, bytesPerSec: 0, samples: [] }));
  const sampleBandwidth = async () => {
    for (const b of bandwidth) {
      const v = await measureBandwidth(wasm, b.threads);
      b.samples.push(v);
      b.bytesPerSec = Math.max(b.bytesPerSec, v);
    }
    log(
      `memory bandwidth (wasm SIMD sum, 256 MiB per thread): ${bandwidth.map((b) => `${b.threads}T ${(b.samples.at(-1) / 1e9).toFixed(2)} GB/s`).join(', ')}`,
    );
  };
  await sampleBandwidth();
  const bwOf = (t) => bandwidth.find((b) => b.threads === t).bytesPerSec;

  const models = await Promise.all(
    args.models.map(async (m) => {
      const g = await readGguf(join(repo, MODELS_DIR, `${m.name}.gguf`));
      // KV read per decoded token at the average decode position.
      return { ...m, g, fileBytes: g.fileSize, perToken: decodeBytesPerToken(g, args.promptN + args.genN / 2) };
    }),
  );

  log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (2 cores shared with other work)`,
  );
  const results = {
    date: new Date().toISOString(),
    loadavgStart: loadavg(),
    args: { ...args, models: args.models.map((m) => m.name) },
    bandwidth,
    node: [],
    native: [],
    webgpu: [],
    browser: [],
    load: [],
    prompts: {},
  };

  for (const m of models) {
    if (args.node || args.native) await sampleBandwidth();
    if (args.node) {
      for (const t of args.threads) {
        try {
          const r = await runNode(args, m, m.g, t, bwOf(t) / m.perToken.total);
          results.node.push(r);
          results.prompts[m.name] ??= { warm: r.warm, prompts: r.prompts, ban: r.ban };
        } catch (e) {
          log(`node ${m.name} ${t}T FAILED: ${e.message}`);
          results.node.push({ model: m.name, threads: t, error: e.message, runs: [] });
        }
        if (!args.webgpu) continue;
        try {
          results.webgpu.push(await runNode(args, m, m.g, t, bwOf(t) / m.perToken.total, 'webgpu'));
        } catch (e) {
          log(`node ${m.name} ${t}T webgpu FAILED: ${e.message}`);
          results.webgpu.push({ model: m.name, threads: t, error: e.message, runs: [] });
        }
      }
    }
    if ((args.browser || args.native) && !results.prompts[m.name]) {
      log(`${m.name}: building prompts with wasm-chord's tokenizer`);
      const p = await nodeChild({
        model: join(repo, MODELS_DIR, `${m.name}.gguf`),
        threads: 1,
        contextLength: args.contextLength,
        promptN: args.promptN,
        warmPromptN: args.warmPromptN,
        seeds: seedsFor(m),
        warmSeed: 99,
        promptsOnly: true,
      });
      results.prompts[m.name] = p;
    }
    if (args.native) {
      const p = results.prompts[m.name];
      for (const t of args.threads) {
        log(`native ${m.name} ${t}T: llama.cpp (llama.node), ${m.reps} reps`);
        try {
          const r = await child(
            'bench-native.mjs',
            {
              model: join(repo, MODELS_DIR, `${m.name}.gguf`),
              threads: t,
              contextLength: args.contextLength,
              genN: args.genN,
              warmGenN: args.warmGenN,
              warm: p.warm,
              prompts: p.prompts,
              ban: p.ban,
            },
            /native rep/,
          );
          results.native.push({ model: m.name, threads: t, ceiling: bwOf(t) / m.perToken.total, ...r });
        } catch (e) {
          log(`native ${m.name} ${t}T FAILED: ${e.message}`);
        }
      }
    }
  }

  if (args.browser) {
    const { chromium } = await import(join(repo, 'node_modules/playwright-core/index.mjs'));
    const server = await startServer(repo);
    const udd = mkdtempSync(join(tmpdir(), 'bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(udd, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const rss = new RendererRss();
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      page.on('pageerror', (e) => log(`page error: ${e.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) log(`page console: ${msg.text().slice(0, 300)}`);
      });
      await page.goto(`${server.url}scripts/bench/bench-page.html`);
      await page.waitForFunction(() => window.benchReady === true);
      const env = await page.evaluate(() => window.bench.env());
      results.browserEnv = env;
      log(`chromium: ${env.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, crossOriginIsolated ${env.crossOriginIsolated}, JSPI ${env.jspi}`);
      if (!env.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: threads are unavailable');
      // The SIMD128 rows only differ from the default ones where the engine runs relaxed SIMD.
      if (!env.capabilities.relaxedSimd) args.simd128 = false;
      let idx = 0;
      for (const m of args.loadOnly ? [] : models) {
        await sampleBandwidth();
        const size = await page.evaluate((u) => window.bench.fetchModel(u), `/${MODELS_DIR}/${m.name}.gguf`);
        log(`browser ${m.name}: ${Math.round(size / 2 ** 20)} MB fetched into a Blob`);
        await page.evaluate((ids) => window.bench.setBan(ids), results.prompts[m.name].ban);
        for (const t of args.threads) {
          results.browser.push(
            await runBrowserPair(args, page, rss, m, m.g, t, bwOf(t) / m.perToken.total, results.prompts[m.name], idx++),
          );
        }
        await page.evaluate(() => window.bench.dropModel());
      }
      if (args.load) {
        log(`URL-load table: ${args.loadReps} round(s) per model, ${args.threads[0]} thread(s)`);
        results.load = await runLoadTable({
          page,
          rss,
          models: models.map((m) => ({
            name: m.name,
            url: `${server.url}${MODELS_DIR}/${m.name}.gguf`,
            fileBytes: m.fileBytes,
            kvBytes: decodeBytesPerToken(m.g, 0).kvBytesPerPos * args.contextLength,
          })),
          reps: args.loadReps,
          threads: args.threads[0],
          contextLength: args.contextLength,
          log,
        });
      }
    } finally {
      rss.stop();
      await ctx.close();
      rmSync(udd, { recursive: true, force: true });
      await server.close();
    }
  }

  await sampleBandwidth();
  // Ceilings use the best bandwidth seen over the whole run.
  for (const r of [...results.node, ...results.native, ...results.browser]) {
    const m = models.find((x) => x.name === r.model);
    if (m) r.ceiling = bwOf(r.threads) / m.perToken.total;
  }
  results.loadavgEnd = loadavg();
  const jsonPath = args.json ?? join(repo, 'build/bench', `results-${results.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(
    jsonPath,
    JSON.stringify(results, (k, v) => (k === 'g' ? undefined : v), 1),
  );

  const out = [];
  out.push(
    `wasm-chord benchmark, ${results.date}; prompt ${args.promptN} tokens, decode ${args.genN} tokens, greedy, context ${args.contextLength}; tok/s are medians over reps, ratios are medians of paired ours/wllama reps (> 1: wasm-chord faster).`,
  );
  if (results.browser.length) {
    out.push(`\n### Headless Chromium (${results.browserEnv?.userAgent.match(/Chrome\/[\d.]+/)?.[0]}), wasm-chord vs wllama 3.8\n`);
    out.push(browserTable(results.browser));
    if (results.browser.some((r) => r.ours128)) {
      out.push('\n### Relaxed SIMD vs the SIMD128-only build (same page, paired reps)\n');
      out.push(relaxedTable(results.browser));
    }
  }
  if (results.load.length) {
    out.push(
      `\n### Loading a URL in headless Chromium (served from 127.0.0.1; medians of ${args.loadReps} rounds, ratio = median of paired wllama / ours times, > 1: ours faster; peak = renderer RSS over its baseline, bar = GGUF + KV + 64 MiB)\n`,
    );
    out.push(loadTable(results.load));
  }
  if (results.node.length) {
    out.push(`\n### Node ${process.version}, wasm-chord in-process\n`);
    out.push(nodeTable(results.node));
  }
  if (results.webgpu.length) {
    const adapter = results.webgpu.find((r) => r.info?.gpu)?.info.gpu ?? 'none found';
    out.push(`\n### WebGPU backend beside the CPU backend (Node, adapter: ${adapter}; ratio = GPU / CPU)\n`);
    out.push(webgpuTable(results.webgpu, results.node));
  }
  if (results.native.length) {
    out.push('\n### Reference: native llama.cpp (@fugood/llama.node, x86-64) on the same files\n');
    out.push(nativeTable(results.native));
  }
  out.push('\n### Decode ceiling from memory bandwidth\n');
  out.push(
    `Read bandwidth (wasm SIMD128 sum in Node worker_threads, best of ${bandwidth[0].samples.length} samples over the run): ` +
      `${bandwidth.map((b) => `${b.threads} thread(s) ${(b.bytesPerSec / 1e9).toFixed(2)} GB/s (samples ${b.samples.map((v) => (v / 1e9).toFixed(1)).join(', ')})`).join('; ')}. ` +
      'Ceiling = bandwidth / bytes read per decoded token (weights + KV at the mean decode position).\n',
  );
  out.push(ceilingTable(models, bandwidth));
  if (results.browser.length) {
    out.push('\n### Memory bar (peak ≤ GGUF + KV cache + 64 MiB)\n');
    out.push(memoryTable(results.browser));
  }
  const errors = [
    ...results.browser.flatMap((r) =>
      ['ours', 'ours128', 'wllama']
        .filter((w) => r[w])
        .flatMap((w) => [r[w].error, ...r[w].runs.map((x) => x?.error)].filter(Boolean).map((e) => `${r.model} ${r.threads}T ${w}: ${e}`)),
    ),
    ...results.node.filter((r) => r.error).map((r) => `node ${r.model} ${r.threads}T: ${r.error}`),
  ];
  if (errors.length) out.push(`\nFailures:\n${errors.map((e) => `- ${e}`).join('\n')}`);
  out.push(
    `\nLoad average (1/5/15 min) at start ${results.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${results.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}.`,
  );
  out.push(
    `\nRaw results: ${jsonPath.startsWith(repo) ? jsonPath.slice(repo.length + 1) : jsonPath}; total ${((Date.now() - t00) / 60e3).toFixed(1)} min.`,
  );
  console.log(out.join('\n'));
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
