// Node side of the benchmark, one model and thread count per process (so peak RSS is its own):
// loads the model with wasm-chord in-process, warms up, runs timed generations, and prints one
// JSON line with timings, the wasm heap size after generation and the process's peak RSS.
// Usage: node bench-node.mjs '{"model": PATH, "threads": N, "contextLength": 512, "promptN": 128, "genN": 64,
//   "warmPromptN": 64, "warmGenN": 4, "reps": 3, "seeds": [..], "warmSeed": S}'   ("promptsOnly": true: just print the prompts)
import { makePrompt, timedCompletion } from './bench-prompt.mjs';

// Record every wasm Memory so the heap size can be read after generation: the pthreads build
// creates a shared Memory in JS, the single-thread build exports its own from the instance.
const memories = [];
const keep = (inst) => {
  for (const m of Object.values(inst?.exports ?? {})) {
    // export names are minified
    if (m instanceof WebAssembly.Memory && !memories.includes(m)) memories.push(m);
  }
  return inst;
};
WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
  construct(target, args, nt) {
    const m = Reflect.construct(target, args, nt);
    memories.push(m);
    return m;
  },
});
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args, nt) {
    return keep(Reflect.construct(target, args, nt));
  },
});
const origInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function instantiate(...args) {
  const r = await origInstantiate.apply(WebAssembly, args);
  keep(r instanceof WebAssembly.Instance ? r : r.instance);
  return r;
};

const cfg = JSON.parse(process.argv[2]);
const { loadModel } = await import(new URL('../../js/dist/node.js', import.meta.url).href);

const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const model = await loadModel(cfg.model, {
  threads: cfg.threads,
  contextLength: cfg.contextLength,
  simd: cfg.simd,
  backend: cfg.backend,
  memory64: cfg.memory64,
});
const loadMs = performance.now() - t0;
const info = model.info;

// Tokens that are not valid UTF-8 on their own (byte tokens, split characters). Random-weight
// models emit them, and wllama 3.8 fails to serialize a reply holding invalid UTF-8, so both
// runtimes are run with these tokens banned (the same sampling constraint on both sides).
const fatal = new TextDecoder('utf-8', { fatal: true });
const ban = [];
for (let id = 0; id < info.nVocab; id++) {
  try {
    fatal.decode(await model.tokenBytes(id));
  } catch {
    ban.push(id);
  }
}
const logitBias = ban.map((id) => [id, -1000]);

async function run(prompt, nGen) {
  const c0 = process.cpuUsage();
  const { text, ...r } = await timedCompletion(model, prompt, nGen, logitBias);
  return { ...r, cpuMs: ((c) => (c.user + c.system) / 1e3)(process.cpuUsage(c0)) }; // all threads of the process
}

const tok = (t) => model.tokenize(t);
const warm = await makePrompt(tok, cfg.warmSeed, cfg.warmPromptN ?? cfg.promptN);
const prompts = [];
for (const s of cfg.seeds) prompts.push(await makePrompt(tok, s, cfg.promptN));
if (cfg.promptsOnly) {
  await model.dispose();
  process.stdout.write(`${JSON.stringify({ warm, prompts, ban })}\n`);
  process.exit(0);
}
const warmup = await run(warm, cfg.warmGenN);
const runs = [];
for (let i = 0; i < cfg.reps; i++) {
  const r = await run(prompts[i % prompts.length], cfg.genN);
  runs.push(r);
  process.stderr.write(
    `    node rep ${i + 1}/${cfg.reps}: prefill ${((r.promptN / r.promptMs) * 1e3).toFixed(1)} tok/s, ` +
      `decode ${(((r.genN - 1) / r.genMs) * 1e3).toFixed(1)} tok/s\n`,
  );
}
const heapBytes = Math.max(0, ...memories.map((m) => m.buffer.byteLength));
const out = {
  loadMs,
  warmup,
  runs,
  heapBytes,
  warm,
  prompts,
  ban,
  rssBefore,
  maxRss: process.resourceUsage().maxRSS * 1024,
  info: {
    wasm: info.wasm,
    simd: info.simd,
    memory64: info.memory64,
    backend: info.backend,
    gpu: info.gpu?.description || [info.gpu?.vendor, info.gpu?.device].filter(Boolean).join(' ') || undefined,
    threads: info.threads,
    contextLength: info.contextLength,
    contextBytes: info.contextBytes,
    fileBytes: info.fileBytes,
  },
};
await model.dispose();
process.stdout.write(`${JSON.stringify(out)}\n`);
