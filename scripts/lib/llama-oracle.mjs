// llama.cpp (through @fugood/llama.node) as the oracle for equivalence checks: greedy decoding,
// next-token probabilities along its own continuation, and exact token ids read from a saved
// session file (llama.node reports candidates only by piece text).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Samplers neutralised (see shared/DESIGN.md): DRY and XTC are on by default in this build.
export const NEUTRAL = {
  top_p: 1,
  min_p: 0,
  typical_p: 1,
  penalty_repeat: 1,
  penalty_freq: 0,
  penalty_present: 0,
  penalty_last_n: 0,
  dry_multiplier: 0,
  xtc_probability: 0,
  mirostat: 0,
  top_n_sigma: -1,
};

// Token ids stored at the head of a llama.cpp session file: u32 magic 'ggsn', u32 version,
// u32 n_token_count, then n_token_count i32 ids (llama_state_save_file).
export function readSessionTokens(path) {
  const b = readFileSync(path);
  if (b.length < 12 || b.readUInt32LE(0) !== 0x6767736e) throw new Error(`${path}: not a llama.cpp session file`);
  const n = b.readUInt32LE(8);
  if (12 + 4 * n > b.length) throw new Error(`${path}: truncated token list`);
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(b.readInt32LE(12 + 4 * i));
  return ids;
}

let llamaModule = null;
async function llamaNode() {
  if (!llamaModule) {
    llamaModule = await import('@fugood/llama.node');
    // Quiet the native log (it writes every load to stderr).
    try {
      await llamaModule.toggleNativeLog?.(false);
    } catch {
      /* older builds */
    }
  }
  return llamaModule;
}

export class Oracle {
  constructor(modelPath, opts = {}) {
    this.modelPath = modelPath;
    this.opts = { n_ctx: 256, n_batch: 256, n_threads: 2, ...opts };
    this.ctx = null;
    this.dir = mkdtempSync(join(tmpdir(), 'chord-oracle-'));
    this.nSession = 0;
  }

  async open() {
    const { loadModel } = await llamaNode();
    this.ctx = await loadModel({ model: this.modelPath, n_gpu_layers: 0, use_mmap: true, ...this.opts });
    return this;
  }

  async close() {
    if (this.ctx) await this.ctx.release();
    this.ctx = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  // A completion, retried on a fresh context after "Another completion is in progress".
  async completion(params) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ctx.completion(params);
      } catch (e) {
        if (attempt >= 3 || !/in progress/i.test(String(e?.message ?? e))) throw e;
        await this.ctx.release().catch(() => {});
        await new Promise((r) => setTimeout(r, 50));
        await this.open();
      }
    }
  }

  // Ids of everything the context holds now (prompt with BOS + generated tokens).
  async sessionTokens() {
    const path = join(this.dir, `s${this.nSession++}.bin`);
    await this.ctx.saveSession(path);
    return readSessionTokens(path);
  }

  async tokenize(text) {
    return Array.from((await this.ctx.tokenize(text)).tokens);
  }

  // The session holds the prompt and every generated token but the last (sampled, never
  // decoded), so callers ask for one token more than they need ids for.
  // tokens_predicted does not count the first token (sampled after the batched prompt), and
  // tokens_evaluated = prompt + tokens_predicted.
  async splitSession(r, nGenerated) {
    const ids = await this.sessionTokens();
    const nPrompt = r.tokens_evaluated - r.tokens_predicted;
    if (nPrompt <= 0 || ids.length !== nPrompt + nGenerated - 1) {
      throw new Error(`session holds ${ids.length} tokens for ${nPrompt} prompt + ${nGenerated} generated`);
    }
    return { prompt: ids.slice(0, nPrompt), gen: ids.slice(nPrompt) };
  }

  // Greedy continuation of n tokens: { prompt: ids, gen: ids }.
  async greedy(prompt, n) {
    const r = await this.completion({
      ...NEUTRAL,
      prompt,
      temperature: 0,
      top_k: 1,
      n_predict: n + 1,
      ignore_eos: true,
      seed: 1,
    });
    return this.splitSession(r, n + 1);
  }

  // A continuation of n tokens sampled at temperature 1 from the full distribution (no
  // truncation), and the top nProbs candidates (piece text, probability) at each of the n + 1
  // positions from the last prompt token on: probs[k] is the distribution of the token after
  // prompt + gen[0..k). { prompt: ids, gen: ids, content: [piece of gen[k]], probs: [[{piece, p}]] }.
  async sample(prompt, n, nProbs, seed) {
    const r = await this.completion({
      ...NEUTRAL,
      prompt,
      temperature: 1,
      top_k: 0,
      n_predict: n + 1,
      n_probs: nProbs,
      ignore_eos: true,
      seed,
    });
    // The list accumulates over completions on one context (never cleared): take the tail.
    const cp = (r.completion_probabilities ?? []).slice(-(n + 1));
    if (cp.length !== n + 1) throw new Error(`llama.node returned ${cp.length} probability lists for ${n + 1} tokens`);
    return {
      ...(await this.splitSession(r, n + 1)),
      content: cp.slice(0, n).map((c) => c.content),
      probs: cp.map((c) => c.probs.map((q) => ({ piece: q.tok_str, p: q.prob }))),
    };
  }
}

/** For a child process: answers the one job it is sent with run(job)'s result, or { ok: false,
 *  error } when it throws, then exits. */
export function answerJob(run) {
  process.once('message', async (job) => {
    let reply;
    try {
      reply = await run(job);
    } catch (e) {
      reply = { ok: false, error: String(e?.stack ?? e) };
    }
    process.send(reply, () => process.exit(0));
  });
}
