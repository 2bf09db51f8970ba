// Browser side of the benchmark: window.bench loads a GGUF (as a Blob, fetched once) into
// wasm-chord (its module Worker) or wllama (its Worker), runs one timed generation from given token
// ids, and reports memory. bench.mjs drives it step by step through Playwright.
import { loadModel, capabilities, cache } from '/js/dist/browser.js';
import { Wllama } from '/node_modules/@wllama/wllama/esm/index.js';
import { makePrompt, timedCompletion } from './bench-prompt.mjs';

const WLLAMA_WASM = '/node_modules/@wllama/wllama/esm/wasm/wllama.wasm';
const quiet = { debug() {}, log() {}, warn: console.warn.bind(console), error: console.error.bind(console) };

let blob = null; // the model bytes, fetched once per model
let ours = null; // wasm-chord Model
let wl = null; // Wllama instance
let ban = []; // [[token id, bias]] applied to both runtimes

function errText(e) {
  return e instanceof Error ? `${e.name}${e.code ? ` (${e.code})` : ''}: ${e.message}` : String(e);
}

let ours128 = null; // wasm-chord Model on the SIMD128-only build (simd: 'simd128')

async function loadOursAs(simd, threads, contextLength) {
  const t0 = performance.now();
  let m;
  try {
    m = await loadModel(blob, { threads, contextLength, cache: false, simd });
  } catch (e) {
    return { error: errText(e) };
  }
  if (simd === 'simd128') ours128 = m;
  else ours = m;
  const loadMs = performance.now() - t0;
  const i = m.info;
  return {
    loadMs,
    info: {
      wasm: i.wasm,
      simd: i.simd,
      threads: i.threads,
      contextLength: i.contextLength,
      contextBytes: i.contextBytes,
      fileBytes: i.fileBytes,
    },
  };
}

async function runOursOn(m, prompt, nGen) {
  try {
    const t0 = performance.now();
    const r = await timedCompletion(m, prompt, nGen, ban);
    return { ...r, wallMs: performance.now() - t0 };
  } catch (e) {
    return { error: errText(e) };
  }
}

window.bench = {
  env() {
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      jspi: !!WebAssembly.Suspending,
      measureMemory: typeof performance.measureUserAgentSpecificMemory === 'function',
      capabilities: capabilities(),
    };
  },

  async fetchModel(url) {
    blob = null;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`fetch ${url}: HTTP ${res.status}`);
    blob = await res.blob();
    return blob.size;
  },

  dropModel() {
    blob = null;
  },

  loadOurs: (threads, contextLength) => loadOursAs('auto', threads, contextLength),
  /** The SIMD128-only build beside the default one (relaxed SIMD where the engine runs it). */
  loadOurs128: (threads, contextLength) => loadOursAs('simd128', threads, contextLength),

  /** Prompt texts of exactly n tokens (by wasm-chord's tokenizer), one per seed. */
  async makePrompts(seeds, n) {
    try {
      const out = [];
      for (const s of seeds) out.push(await makePrompt((t) => ours.tokenize(t), s, n));
      return out;
    } catch (e) {
      return { error: errText(e) };
    }
  },

  /** Token ids both runtimes must not sample (see bench-node.mjs: not valid UTF-8 alone). */
  setBan(ids) {
    ban = ids.map((id) => [id, -1000]);
  },

  runOurs: (prompt, nGen) => runOursOn(ours, prompt, nGen),
  runOurs128: (prompt, nGen) => runOursOn(ours128, prompt, nGen),

  async disposeOurs() {
    if (ours) await ours.dispose();
    ours = null;
  },

  async disposeOurs128() {
    if (ours128) await ours128.dispose();
    ours128 = null;
  },

  async loadWllama(threads, contextLength) {
    const t0 = performance.now();
    try {
      wl = new Wllama({ default: WLLAMA_WASM }, { suppressNativeLog: true, logger: quiet });
      await wl.loadModel([blob], { n_threads: threads, n_ctx: contextLength, n_gpu_layers: 0, n_parallel: 1 });
    } catch (e) {
      return { error: errText(e) };
    }
    const loadMs = performance.now() - t0;
    return {
      loadMs,
      info: { multithread: wl.isMultithread(), threads: wl.getNumThreads(), contextLength: wl.getLoadedContextInfo().n_ctx },
    };
  },

  async runWllama(prompt, nGen) {
    // Streamed: the non-streamed reply fails in wllama 3.8 when the generated text is not valid
    // UTF-8 (random-weight models emit stray byte tokens); chunks hold back partial characters.
    try {
      const t0 = performance.now();
      let text = '';
      let timings;
      let tFirst;
      await wl.createCompletion({
        prompt,
        max_tokens: nGen,
        temperature: 0,
        top_k: 1,
        top_p: 1,
        min_p: 0,
        penalty_repeat: 1,
        penalty_last_n: 0,
        ignore_eos: true,
        cache_prompt: false,
        seed: 1,
        stream: true,
        logit_bias: ban,
        onData: (c) => {
          tFirst ??= performance.now();
          text += c.choices?.[0]?.text ?? '';
          if (c.timings) timings = c.timings;
        },
      });
      const wallMs = performance.now() - t0;
      const t = timings ?? {};
      return { promptN: t.prompt_n, cached: t.cache_n, genN: t.predicted_n, promptMs: t.prompt_ms, genMs: t.predicted_ms, wallMs, text };
    } catch (e) {
      return { error: errText(e) };
    }
  },

  async disposeWllama() {
    if (wl) await wl.exit();
    wl = null;
  },

  // ---- URL-load table (bench-load.mjs): each call loads, records when the bytes were in, and
  // disposes again; the caller samples renderer RSS around it. ----

  async clearCacheOurs() {
    await cache.clear();
    return (await cache.list()).length;
  },

  /** loadModel(url) with the default cache ('auto'); times to the last streamed byte and to ready. */
  async urlLoadOurs(url, threads, contextLength) {
    const t0 = performance.now();
    let bytesMs;
    let phase;
    try {
      ours = await loadModel(url, {
        threads,
        contextLength,
        onProgress: (e) => {
          if (e.phase !== 'load') phase = e.phase;
          if (e.phase !== 'load' && e.loaded === e.total) bytesMs ??= performance.now() - t0;
        },
      });
    } catch (e) {
      return { error: errText(e) };
    }
    const loadMs = performance.now() - t0;
    const fileBytes = ours.info.fileBytes;
    await ours.dispose();
    ours = null;
    return { loadMs, bytesMs, phase, fileBytes, cached: await cache.has(url) };
  },

  /** fetch(url) into a Blob, then loadModel(blob) (no cache). */
  async blobLoadOurs(url, threads, contextLength) {
    const t0 = performance.now();
    try {
      const res = await fetch(url);
      const b = await res.blob();
      const fetchMs = performance.now() - t0;
      ours = await loadModel(b, { threads, contextLength, cache: false });
      const loadMs = performance.now() - t0;
      await ours.dispose();
      ours = null;
      return { loadMs, fetchMs };
    } catch (e) {
      return { error: errText(e) };
    }
  },

  /** wllama's fetch-and-load: fetch(url) into a Blob, then wllama.loadModel([blob]). */
  async blobLoadWllama(url, threads, contextLength) {
    const t0 = performance.now();
    try {
      const res = await fetch(url);
      const b = await res.blob();
      const fetchMs = performance.now() - t0;
      wl = new Wllama({ default: WLLAMA_WASM }, { suppressNativeLog: true, logger: quiet });
      await wl.loadModel([b], { n_threads: threads, n_ctx: contextLength, n_gpu_layers: 0, n_parallel: 1 });
      const loadMs = performance.now() - t0;
      await wl.exit();
      wl = null;
      return { loadMs, fetchMs };
    } catch (e) {
      return { error: errText(e) };
    }
  },

  /** Memory per worker (needs cross-origin isolation); null when the API is missing. */
  async memory() {
    if (typeof performance.measureUserAgentSpecificMemory !== 'function') return null;
    try {
      const m = await performance.measureUserAgentSpecificMemory();
      return {
        bytes: m.bytes,
        breakdown: m.breakdown.map((b) => ({
          bytes: b.bytes,
          types: b.types,
          attribution: b.attribution.map((a) => ({ url: a.url, scope: a.scope })),
        })),
      };
    } catch (e) {
      return { error: errText(e) };
    }
  },
};
window.benchReady = true;
