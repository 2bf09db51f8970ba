// What packing short texts into shared forward batches buys: the package (wasm SIMD, Node; or the
// WebGPU backend with --webgpu, Dawn) embeds N short texts in one model.embed() call (several texts
// per forward batch) and one call per text (one forward each), alternating runs, and reports ms
// per text for both and the speedup ratio.
//   node scripts/bench/embed-batch.mjs MODEL.gguf [--n 64] [--reps 5] [--threads 1] [--ctx 512]
//     [--batch B] [--webgpu]
// (Dawn without a GPU driver: EGL_PLATFORM=surfaceless, GLES on llvmpipe.) Needs the built package
// (npm run build:package).
import { modelArgs } from '../lib/cli-args.mjs';
const { path, opt, flag } = modelArgs(
  'node scripts/bench/embed-batch.mjs MODEL.gguf [--n 64] [--reps 5] [--threads 1] [--ctx 512] [--batch B] [--webgpu]',
  process.argv.slice(2),
  ['webgpu'],
);
const n = opt('n', 64),
  reps = opt('reps', 5),
  threads = opt('threads', 1),
  ctx = opt('ctx', 512),
  batch = opt('batch', 0),
  backend = flag('webgpu') ? 'webgpu' : 'cpu';
const { loadModel } = await import(new URL('../../js/dist/node.js', import.meta.url).href);
const model = await loadModel(path, { threads, contextLength: ctx, backend, ...(batch ? { batchSize: batch } : {}) });

const WORDS = 'the a cat dog ran sat park sun blue red small happy girl boy ball tree played under over'.split(' ');
const texts = Array.from({ length: n }, (_, i) =>
  Array.from({ length: 4 + (i % 9) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' '),
);
const time = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
const together = () => model.embed(texts);
const oneByOne = async () => {
  for (const t of texts) await model.embed(t);
};
await together(); // warm-up (V8 tiering, first-use allocations)
await oneByOne();
const a = [],
  b = [];
for (let r = 0; r < reps; r++) {
  a.push(await time(together));
  b.push(await time(oneByOne));
}
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const tokens = (await model.embeddings.create({ input: texts })).usage.prompt_tokens;
console.log(
  `${model.info.arch} ${model.info.name || ''}: ${n} texts, ${tokens} tokens (BOS/CLS/SEP included), ${backend}` +
    (backend === 'webgpu' ? ` (${model.info.gpu?.description || model.info.gpu?.architecture || 'adapter'})` : `, threads ${threads}`),
);
console.log(`  together (packed batches): ${(median(a) / n).toFixed(3)} ms/text   (${a.map((x) => x.toFixed(0)).join(' ')} ms)`);
console.log(`  one call per text:         ${(median(b) / n).toFixed(3)} ms/text   (${b.map((x) => x.toFixed(0)).join(' ')} ms)`);
console.log(`  speedup (median one-by-one / median together): ${(median(b) / median(a)).toFixed(2)}x`);
await model.dispose();
