// "Our side" of scripts/equivalence.mjs through the package API (loadModel, any backend), in Node
// or inside a page (no Node imports): the quantities chord-cli computes for ChordTools
// (lib/chord-tools.mjs), with the same meaning. A side has
//   tokenize(src, text, { bos })   ids with special tokens parsed, BOS/EOS per the model or none
//   score(src, ids, top, { from }) teacher-forced next-token distributions, [{id, p}] best first
//                                  for positions from..ids.length-1 (null before from): p is the
//                                  softmax of the raw logits over the whole vocabulary
//                                  (temperature 1), as chord-cli score prints it
//   greedy(src, ids, n)            greedy continuation of n tokens (EOS ignored)
// Here a distribution is the complete() result's topLogprobs (the model's own softmax, before any
// sampler); one complete() per position, the first over ids[0..from] (a batched prefill), each later
// one a single new token thanks to prefix reuse.
const GREEDY = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, ignoreEos: true };
// chord-tools.mjs's context length (the llama.cpp oracle's n_ctx), longer when the ids need it.
const CTX = 256;

export class PackageSide {
  // loadModel: the package's (js/dist/node.js or js/dist/browser.js); options: loadModel options
  // (backend, threads, ...). One model is kept loaded at a time.
  constructor(loadModel, options) {
    this.loadModel = loadModel;
    this.options = options;
    this.loaded = null; // { src, ctx, model }
    this.info = null; // ModelInfo of the last model loaded
  }

  async #model(src, need) {
    if (this.loaded && this.loaded.src === src && this.loaded.ctx >= need) return this.loaded.model;
    await this.close();
    const ctx = Math.max(CTX, need);
    const model = await this.loadModel(src, { ...this.options, contextLength: ctx });
    this.loaded = { src, ctx, model };
    this.info = model.info;
    return model;
  }

  async close() {
    const m = this.loaded?.model;
    this.loaded = null;
    if (m) await m.dispose();
  }

  async tokenize(src, text, { bos = true } = {}) {
    const m = await this.#model(src, 0);
    return m.tokenize(text, { addSpecial: bos, parseSpecial: true });
  }

  async score(src, ids, top, { from = 0 } = {}) {
    const m = await this.#model(src, ids.length + 8);
    const out = new Array(ids.length).fill(null);
    for (let i = from; i < ids.length; i++) {
      const r = await m.complete(ids.slice(0, i + 1), { ...GREEDY, maxTokens: 1, topLogprobs: top });
      if (r.logprobs?.length !== 1) throw new Error(`position ${i}: complete() returned ${r.logprobs?.length ?? 0} logprob steps`);
      out[i] = r.logprobs[0].top.map((t) => ({ id: t.token, p: Math.exp(t.logprob) }));
    }
    return out;
  }

  async greedy(src, ids, n) {
    const m = await this.#model(src, ids.length + n + 8);
    return (await m.complete(ids, { ...GREEDY, maxTokens: n })).tokens;
  }
}
