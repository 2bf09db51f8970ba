// What constraining costs in decode time: the package (wasm SIMD, Node) decodes the same prompt
// with and without a grammar, alternating runs, and reports ms per generated token and the ratio.
//   node scripts/bench/grammar-overhead.mjs MODEL.gguf [--n 48] [--reps 5] [--threads 1]
// Cases: greedy and top-k 40 sampling under a JSON Schema whose string keeps generation inside a
// JSON string (nearly every token allowed: the costliest state for a full mask), top_k 0 (a full
// trie mask every step), and a digits-only grammar (few tokens allowed: best-first checks fall
// back to the mask). Needs the built package (npm run build:package).
import { modelArgs } from '../lib/cli-args.mjs';
const { path, opt } = modelArgs('node scripts/bench/grammar-overhead.mjs MODEL.gguf [--n 48] [--reps 5] [--threads 1]');
const n = opt('n', 48),
  reps = opt('reps', 5),
  threads = opt('threads', 1);
const { loadModel } = await import(new URL('../../js/dist/node.js', import.meta.url).href);
const model = await loadModel(path, { threads, contextLength: 512 });

const STORY = { type: 'object', properties: { story: { type: 'string', minLength: 1000 } }, required: ['story'] };
const CASES = [
  { name: 'greedy, JSON Schema', base: { temperature: 0 }, constraint: { jsonSchema: STORY } },
  { name: 'top-k 40 sampling, JSON Schema', base: { temperature: 0.8, topK: 40, seed: 1 }, constraint: { jsonSchema: STORY } },
  {
    name: 'top-k 0 (full mask each step), JSON Schema',
    base: { temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 1 },
    constraint: { jsonSchema: STORY },
  },
  { name: 'greedy, digits-only grammar', base: { temperature: 0 }, constraint: { grammar: 'root ::= [0-9]+' } },
];
const prompt = 'Once upon a time, in a small town by the sea, there lived';

async function decodeMsPerToken(opts) {
  const r = await model.complete(prompt, { maxTokens: n, ignoreEos: true, ...opts });
  if (r.tokens.length !== n) throw new Error(`generated ${r.tokens.length} of ${n} tokens`);
  return (r.timings.totalMs - r.timings.promptMs) / (n - 1);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < 2; i++) await decodeMsPerToken({ temperature: 0 }); // warm-up (JIT, caches)
console.log(`${path}: ${model.info.nVocab} tokens, ${n} generated tokens, ${reps} alternating reps, threads ${threads}`);
for (const c of CASES) {
  const plain = [],
    constrained = [];
  for (let r = 0; r < reps; r++) {
    plain.push(await decodeMsPerToken(c.base));
    constrained.push(await decodeMsPerToken({ ...c.base, ...c.constraint }));
  }
  const a = median(plain),
    b = median(constrained);
  console.log(
    `${c.name.padEnd(46)} ${a.toFixed(2)} -> ${b.toFixed(2)} ms/token  ratio ${(b / a).toFixed(3)} (+${(100 * (b / a - 1)).toFixed(1)}%)`,
  );
}
await model.dispose();
