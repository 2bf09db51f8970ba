// Benchmark prompts: deterministic English-like word salad cut so that wasm-chord's tokenizer gives
// exactly N prompt tokens (BOS included when the model adds one). Used by the page and by Node.
// Text (not token ids) because wllama's completion API only accepts text prompts.

const WORDS = (
  'the of and to in is was for on that with as by at from his her this which have are were be an or ' +
  'had not but their one all been has they more when who will would there can its other time also after ' +
  'first new two into some city could these may over only such most made years than many them between ' +
  'river house school music people world during under state known later where early through family ' +
  'small great each part place while year long because same both three around before another found ' +
  'light garden morning window story village mountain letter evening silver quiet market bridge winter ' +
  'summer harbor lantern forest meadow orchard teacher painter kitchen station library journey ocean'
).split(' ');

/** A small seeded PRNG (mulberry32): the same numbers on every run (prompts, replayable tests). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function wordSalad(seed, nWords) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < nWords; i++) {
    let w = WORDS[Math.floor(r() * WORDS.length)];
    if (i === 0 || out[out.length - 1].endsWith('.')) w = w[0].toUpperCase() + w.slice(1);
    if (r() < 0.08) w += '.';
    else if (r() < 0.05) w += ',';
    out.push(w);
  }
  return out.join(' ');
}

/** Text whose tokenization (tokenize(text) with special tokens) is exactly n tokens.
 *  tokenize: async (text) => number[]. Throws if no cut gives n tokens. */
export async function makePrompt(tokenize, seed, n) {
  let words = Math.ceil(n * 1.2) + 8;
  for (let attempt = 0; attempt < 6; attempt++) {
    const salad = wordSalad(seed, words);
    // Cut at word boundaries: find the longest prefix with <= n tokens, then trim by characters.
    const parts = salad.split(' ');
    let lo = 1,
      hi = parts.length;
    if ((await tokenize(salad)).length < n) {
      words *= 2;
      continue;
    }
    while (lo < hi) {
      // largest k with tokens(parts[0..k)) <= n
      const mid = (lo + hi + 1) >> 1;
      if ((await tokenize(parts.slice(0, mid).join(' '))).length <= n) lo = mid;
      else hi = mid - 1;
    }
    let text = parts.slice(0, lo).join(' ');
    let count = (await tokenize(text)).length;
    // Top up with single letters (one token each in every vocabulary we use) until n.
    const fill = 'abcdefghijklmnopqrstuvwxyz';
    for (let i = 0; count < n && i < 64; i++) {
      const next = `${text} ${fill[i % fill.length]}`;
      const c = (await tokenize(next)).length;
      if (c <= n) {
        text = next;
        count = c;
      }
    }
    if (count === n) return text;
    seed += 1000;
  }
  throw new Error(`could not build a prompt of exactly ${n} tokens`);
}

/** The timed greedy completion both bench sides run on wasm-chord (page and Node), with its figures:
 *  prompt/decoded token counts and the runtime's own prompt and decode times. */
export async function timedCompletion(model, prompt, nGen, logitBias) {
  const r = await model.complete(prompt, { maxTokens: nGen, temperature: 0, topK: 1, ignoreEos: true, seed: 1, logitBias });
  return {
    promptN: r.usage.promptTokens - r.usage.cachedTokens,
    cached: r.usage.cachedTokens,
    genN: r.usage.completionTokens,
    promptMs: r.timings.promptMs,
    genMs: r.timings.totalMs - r.timings.promptMs,
    text: r.text,
  };
}
