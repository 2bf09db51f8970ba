// Optional reference row (bench.mjs --native): native llama.cpp through @fugood/llama.node on the
// same GGUF, prompts and token counts, one model and thread count per process. Prints one JSON line.
// Usage: node bench-native.mjs '{"model": PATH, "threads": N, "contextLength": 512, "genN": 64,
//   "warmGenN": 2, "warm": TEXT, "prompts": [TEXT..], "ban": [ids..]}'
import { NEUTRAL as ORACLE_NEUTRAL } from '../lib/llama-oracle.mjs';

const cfg = JSON.parse(process.argv[2]);
const llama = await import('@fugood/llama.node');
try {
  await llama.toggleNativeLog?.(false);
} catch {
  /* older builds */
}

// Greedy with every other sampler neutralised (shared/DESIGN.md: DRY and XTC are on by default).
const NEUTRAL = {
  ...ORACLE_NEUTRAL,
  temperature: 0,
  top_k: 1,
  ignore_eos: true,
  seed: 1,
  logit_bias: cfg.ban.map((id) => [id, -1000]),
};

const t0 = performance.now();
const ctx = await llama.loadModel({ model: cfg.model, n_gpu_layers: 0, use_mmap: false, n_ctx: cfg.contextLength, n_threads: cfg.threads });
const loadMs = performance.now() - t0;

async function run(prompt, nGen) {
  const c0 = process.cpuUsage();
  const r = await ctx.completion({ ...NEUTRAL, prompt, n_predict: nGen });
  const t = r.timings;
  return {
    // llama.node's predicted_n counts decode steps (the first token comes from the prompt pass).
    promptN: t.prompt_n,
    cached: t.cache_n ?? 0,
    genN: t.predicted_n + 1,
    promptMs: t.prompt_ms,
    genMs: t.predicted_ms,
    cpuMs: ((c) => (c.user + c.system) / 1e3)(process.cpuUsage(c0)),
  };
}

const warmup = await run(cfg.warm, cfg.warmGenN);
const runs = [];
for (const p of cfg.prompts) {
  const r = await run(p, cfg.genN);
  runs.push(r);
  process.stderr.write(
    `    native rep ${runs.length}/${cfg.prompts.length}: prefill ${((r.promptN / r.promptMs) * 1e3).toFixed(1)} tok/s, ` +
      `decode ${(((r.genN - 1) / r.genMs) * 1e3).toFixed(1)} tok/s\n`,
  ); // bench.mjs passes only these lines on
}
await ctx.release();
process.stdout.write(`${JSON.stringify({ loadMs, warmup, runs })}\n`);
