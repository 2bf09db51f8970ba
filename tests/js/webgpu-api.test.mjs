// The WebGPU backend (Dawn in Node) behaves as the CPU backend where the GPU holds the state:
// contextShift (the KV cache's rows moved and keys re-rotated on the GPU) gives the CPU's greedy
// tokens over several shifts; a long chat on a small context (turns dropped, KV prefix reused)
// gives the CPU's replies (up to near-ties); embeddings (hidden states on the GPU, pooled in C++)
// match the CPU's, of decoders and of encoders (bert, nomic-bert: a whole sequence in one
// non-causal pass), and texts packed several to a GPU pass give what each gives alone;
// sliding-window models (gemma2/3) keep rings of the window on the GPU, as on the CPU, with the
// CPU's greedy tokens far past the window and its prefix reuse after rewinds;
// contextBytes is the GPU's KV cache. Skipped with a message only when no adapter is found.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { acquireGpu } from '../../js/dist/webgpu/index.js';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { GREEDY, STORIES, TINY_RANDOM } from './helpers.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');
const MIN_COSINE = 0.9999; // as tests/js/embed-equivalence.test.mjs asks of us against llama.cpp

let why = '';
before(async () => {
  try {
    const g = await acquireGpu();
    g.device.destroy();
  } catch (e) {
    if (e.code !== 'unsupported') throw e;
    why = e.message;
  }
});

const open = [];
after(async () => {
  for (const m of open) await m.dispose();
});
async function pair(path, opts) {
  const cpu = await loadModel(path, { threads: 1, ...opts });
  open.push(cpu);
  const gpu = await loadModel(path, { threads: 1, ...opts, backend: 'webgpu' });
  open.push(gpu);
  return { cpu, gpu };
}

/** Greedy token lists equal, or equal up to a step where the CPU's top two were a near-tie
 *  (probabilities within 1%): from there on the continuations may differ. */
function assertSameUpToNearTie(cpu, gpu, what) {
  const i = cpu.tokens.findIndex((t, j) => t !== gpu.tokens[j]);
  if (i < 0) return assert.equal(gpu.tokens.length, cpu.tokens.length, what);
  const [a, b] = cpu.logprobs[i].top;
  assert.ok(
    Math.exp(a.logprob) - Math.exp(b.logprob) < 0.01,
    `${what}: token ${i} differs with a top-2 margin of ${a.logprob - b.logprob}`,
  );
}

test('webgpu: contextShift generates past a full context with the CPU backend tokens', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const { cpu, gpu } = await pair(STORIES, { contextLength: 64, batchSize: 16 });
  const base = { ...GREEDY, maxTokens: 150, ignoreEos: true, contextShift: true, topLogprobs: 2 };
  for (const more of [{}, { nKeep: 4 }, { nKeep: -1 }, { nDiscard: 8 }]) {
    const what = JSON.stringify(more);
    const a = await cpu.complete('Once upon a time', { ...base, ...more });
    const b = await gpu.complete('Once upon a time', { ...base, ...more });
    assert.equal(b.usage.completionTokens, 150, what);
    assert.ok(b.timings.contextShifts >= 3, `${what}: ${b.timings.contextShifts} shifts`);
    assert.equal(b.timings.contextShifts, a.timings.contextShifts, what);
    assertSameUpToNearTie(a, b, what);
    if (!more.nKeep && !more.nDiscard) t.diagnostic(`${b.timings.contextShifts} shifts; ${JSON.stringify(b.text.slice(-60))}`);
  }
  // After the shifts the GPU cache still serves prefix reuse and fresh prompts as the CPU's.
  const a = await cpu.complete('The cat sat', { ...GREEDY, maxTokens: 20, topLogprobs: 2 });
  const b = await gpu.complete('The cat sat', { ...GREEDY, maxTokens: 20, topLogprobs: 2 });
  assertSameUpToNearTie(a, b, 'after the shifts');
  await assert.rejects(gpu.complete('x', { contextShift: true, nDiscard: -1 }), (e) => e.code === 'invalid_argument');
});

test('webgpu: contextShift is refused for sliding-window models as on the CPU (tiny-gemma2)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const path = await new ChordTools(BIN).model(join(ROOT, 'build/synth'), 'tiny-gemma2', 'Q8_0', 1);
  const { cpu, gpu } = await pair(path, { contextLength: 512, batchSize: 16 });
  const outcome = (p) =>
    p.then(
      (r) => `ok ${r.tokens.join(',')}`,
      (e) => e.code,
    );
  const opts = { ...GREEDY, maxTokens: 8, contextShift: true };
  const a = await outcome(cpu.complete('Once upon a time', opts));
  assert.equal(a, 'unsupported', 'the CPU cache keeps rings for the sliding-window layers');
  assert.equal(await outcome(gpu.complete('Once upon a time', opts)), a);
});

// The synth presets' window is 16: with batches of 8 a window layer keeps a ring of 23 rows (as
// the CPU's KvCache, whose ring also has 15 mirror rows), so the first request (~60 positions)
// wraps it twice. Each request's prompt is built from that backend's own previous sequence (equal lengths,
// so equal cached-token counts even where a near-tie made the texts differ).
test('webgpu: sliding-window rings give the CPU backend tokens and prefix reuse (tiny-gemma2, tiny-gemma3)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const CTX = 256;
  const BATCH = 8;
  const RING = 16 + BATCH - 1;
  const tools = new ChordTools(BIN);
  for (const [preset, nRing] of [
    ['tiny-gemma2', 1], // window 16 on even layers
    ['tiny-gemma3', 5], // 5 local : 1 global
  ]) {
    const { cpu, gpu } = await pair(await tools.model(join(ROOT, 'build/synth'), preset, 'Q8_0', 1), {
      contextLength: CTX,
      batchSize: BATCH,
    });
    const { nLayer, nHeadKv, headDim } = gpu.info;
    const row = nHeadKv * headDim * 2 * 2; // f16 K and V
    assert.equal(gpu.info.contextBytes, ((nLayer - nRing) * CTX + nRing * RING) * row, `${preset}: rings of ${RING} rows`);
    t.diagnostic(`${preset}: contextBytes ${gpu.info.contextBytes} (full-length ${nLayer * CTX * row})`);
    const opts = { ...GREEDY, ignoreEos: true, topLogprobs: 2 };
    const prompt = await cpu.tokenize('Once upon a time, there was a little girl named Lily. She loved to play outside.');
    assert.ok(prompt.length > 2 * BATCH);
    const seq = { cpu: [], gpu: [] }; // each backend's last prompt + completion
    const run = async (what, make, maxTokens) => {
      const [a, b] = [await cpu.complete(make(seq.cpu), { ...opts, maxTokens }), await gpu.complete(make(seq.gpu), { ...opts, maxTokens })];
      assertSameUpToNearTie(a, b, `${preset} ${what}`);
      assert.equal(b.usage.cachedTokens, a.usage.cachedTokens, `${preset} ${what}: cached tokens`);
      assert.equal(b.usage.promptTokens, a.usage.promptTokens, `${preset} ${what}: prompt tokens`);
      seq.cpu = [...make(seq.cpu), ...a.tokens];
      seq.gpu = [...make(seq.gpu), ...b.tokens];
      return a.usage.cachedTokens;
    };
    await run('far past the window', () => prompt, 40);
    // Continuing the whole sequence: everything cached is kept.
    const cont = await run('continued', (s) => [...s, 306, 263], 6);
    assert.ok(cont >= prompt.length + 39, `continued: ${cont} cached`);
    // A rewind by 5 (less than a batch): the ring still holds the window before it.
    const near = await run('rewound by 5', (s) => [...s.slice(0, -5), 1552], 6);
    assert.ok(near > 50, `rewound by 5: ${near} cached`);
    // A rewind far behind the ring: nothing is kept, the prompt is evaluated again.
    assert.equal(await run('rewound to 40', (s) => [...s.slice(0, 40), 1552], 6), 0);
    assert.equal(await run('a fresh prompt', () => prompt, 6), 0);
    // Embeddings over the rings: short texts packed into one pass (rows 0..n - 1 of a ring), a long
    // one in batches far past the window; then generation starts afresh, as on the CPU.
    const texts = ['Hi', 'The cat', 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'];
    const [ea, eb] = [await cpu.embed(texts), await gpu.embed(texts)];
    eb.forEach((v, i) => assert.ok(cosine(ea[i], v) > MIN_COSINE, `${preset} embedding ${i}: cosine ${cosine(ea[i], v)}`));
    assert.equal(await run('after embeddings', () => prompt, 6), 0);
  }
});

test('webgpu: a long chat on a small context gives the CPU backend replies', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const CTX = 256;
  const { cpu, gpu } = await pair(STORIES, { contextLength: CTX });
  const SYSTEM = { role: 'system', content: 'You tell short stories about a cat named Tom.' };
  const history = [SYSTEM];
  let reused = 0;
  for (let turn = 0; turn < 16; ++turn) {
    history.push({ role: 'user', content: `Turn ${turn}: what did Tom do next in the garden?` });
    const req = { messages: history, max_tokens: 24, temperature: 0, top_k: 1, logprobs: true, top_logprobs: 2 };
    const a = await cpu.chat.completions.create(req);
    const b = await gpu.chat.completions.create(req);
    // The same reply, up to a near-tie of the CPU's top two (stories260K has exact ties in f16).
    const [ca, cb] = [a.choices[0].logprobs.content, b.choices[0].logprobs.content];
    const i = ca.findIndex((x, j) => x.token !== cb[j]?.token);
    if (i >= 0) {
      const [p0, p1] = ca[i].top_logprobs.map((x) => Math.exp(x.logprob));
      assert.ok(p0 - p1 < 0.01, `turn ${turn}: token ${i} differs with a top-2 margin of ${p0 - p1}`);
      t.diagnostic(`turn ${turn}: a near-tie at token ${i} (${p0} vs ${p1})`);
    } else assert.equal(b.choices[0].message.content, a.choices[0].message.content, `turn ${turn}`);
    const usage = (u) => [u.prompt_tokens, u.prompt_tokens_details.cached_tokens, i >= 0 || u.completion_tokens];
    assert.deepEqual(usage(b.usage), usage(a.usage), `turn ${turn}: same prompt, cached and completion tokens`);
    if (b.usage.prompt_tokens_details.cached_tokens > 20) ++reused;
    history.push({ role: 'assistant', content: b.choices[0].message.content });
  }
  const full = (await gpu.tokenize(await gpu.applyChatTemplate(history))).length;
  assert.ok(full > 2 * CTX, `the whole conversation is ${full} tokens: turns were dropped`);
  assert.ok(reused >= 10, `KV prefix reused in ${reused} of 16 turns`);
});

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

const EMBED_TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'Hi',
  // Longer than a batch of 16 (the decoder check's): the GPU runs it in several forward passes.
  'She was happy because the sun was shining and her friends were there to play with her all day long in the park.',
];

/** EMBED_TEXTS embedded with opts by both backends: every GPU vector within MIN_COSINE of the
 *  CPU's (and as long, when not normalized). Returns the lowest cosine. */
async function compareEmbeddings(cpu, gpu, opts, name) {
  const a = await cpu.embed(EMBED_TEXTS, opts);
  const b = await gpu.embed(EMBED_TEXTS, opts);
  assert.equal(b.length, EMBED_TEXTS.length);
  let worst = 1;
  b.forEach((v, i) => {
    assert.equal(v.length, cpu.info.nEmbd);
    const c = cosine(a[i], v);
    worst = Math.min(worst, c);
    assert.ok(c > MIN_COSINE, `${name} ${JSON.stringify(opts)} text ${i}: cosine ${c}`);
    if (opts.normalize === false) assert.ok(Math.abs(norm(v) / norm(a[i]) - 1) < 1e-3, 'the raw vector keeps its length');
  });
  return worst;
}

test('webgpu: embeddings match the CPU backend (decoders: stories260K, tiny-random F16, synthetic tiny-llama)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const tools = new ChordTools(BIN);
  const synth = await tools.model(join(ROOT, 'build/synth'), 'tiny-llama', 'Q8_0', 1);
  let worst = 1;
  for (const [name, path] of [
    ['stories260K', STORIES],
    ['llama-2-tiny-random', TINY_RANDOM],
    ['tiny-llama Q8_0 (chord-synth)', synth],
  ]) {
    const { cpu, gpu } = await pair(path, { contextLength: 128, batchSize: 16 });
    for (const opts of [{}, { pooling: 'last' }, { pooling: 'cls' }, { pooling: 'mean', normalize: false }]) {
      worst = Math.min(worst, await compareEmbeddings(cpu, gpu, opts, name));
    }
    // The embedding cleared the cache: generation goes on as on the CPU.
    const g = await gpu.complete('Once upon', { ...GREEDY, maxTokens: 8, topLogprobs: 2 });
    assertSameUpToNearTie(await cpu.complete('Once upon', { ...GREEDY, maxTokens: 8, topLogprobs: 2 }), g, `${name} after embed`);
    const r = await gpu.embeddings.create({ input: ['a', 'b c'] });
    assert.equal(r.data.length, 2);
    await assert.rejects(gpu.embed('word '.repeat(200)), (e) => e.code === 'context_full');
    await assert.rejects(gpu.embed('x', { pooling: 'rank' }), (e) => e.code === 'invalid_argument');
  }
  t.diagnostic(`worst cosine GPU vs CPU: ${worst}`);
});

test('webgpu: encoder embeddings match the CPU backend (tiny-bert, tiny-nomic-bert; F32 and Q8_0)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const tools = new ChordTools(BIN);
  let worst = 1;
  // Every pooling on F32 weights; the model's own (<arch>.pooling_type) on Q8_0 (the integer path).
  const all = [{}, { pooling: 'mean' }, { pooling: 'cls' }, { pooling: 'last' }, { pooling: 'mean', normalize: false }];
  for (const [preset, type, poolings] of [
    ['tiny-bert', 'F32', all],
    ['tiny-nomic-bert', 'F32', all],
    ['tiny-bert', 'Q8_0', [{}]],
    ['tiny-nomic-bert', 'Q8_0', [{}]],
  ]) {
    const name = `${preset} ${type}`;
    const { cpu, gpu } = await pair(await tools.model(join(ROOT, 'build/synth'), preset, type, 1), { contextLength: 64 });
    for (const opts of poolings) {
      worst = Math.min(worst, await compareEmbeddings(cpu, gpu, opts, name));
    }
    // As on the CPU: no generation (a typed error), a too long input is context_full, and
    // embedding still works after both.
    for (const m of [cpu, gpu]) {
      await assert.rejects(m.complete('Hello', { maxTokens: 4 }), (e) => e.code === 'unsupported', `${name} generation`);
      await assert.rejects(m.embed('word '.repeat(200)), (e) => e.code === 'context_full', `${name} too long`);
    }
    const [again] = await gpu.embed(EMBED_TEXTS[0]);
    assert.ok(cosine(again, (await cpu.embed(EMBED_TEXTS[0]))[0]) > MIN_COSINE, `${name}: embedding after the errors`);
  }
  t.diagnostic(`worst cosine GPU vs CPU (encoders): ${worst}`);
});

test('webgpu: packed embedding batches equal one text at a time (decoders and encoders, every pooling)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const tools = new ChordTools(BIN);
  // Mixed lengths (one-token texts included), more tokens than a batch (several packs), and one
  // text longer than a decoder's batch of 16 (alone, in several passes) between packed ones.
  const texts = [
    'Hi',
    'Once upon a time, there was a little girl named Lily.',
    'a',
    'The cat sat.',
    'She was happy because the sun was shining and her friends were there to play with her.',
    'Tom ran home',
    'x y',
    'It was a big red ball and it rolled away down the hill.',
    'Yes',
    'They all had fun together.',
  ];
  let worst = 0;
  for (const [name, path, opts, poolings] of [
    ['stories260K', STORIES, { contextLength: 128, batchSize: 16 }, [{}, { pooling: 'last' }, { pooling: 'cls', normalize: false }]],
    ['tiny-llama Q8_0', await tools.model(join(ROOT, 'build/synth'), 'tiny-llama', 'Q8_0', 1), { contextLength: 64, batchSize: 32 }, [{}]],
    [
      'tiny-bert F32',
      await tools.model(join(ROOT, 'build/synth'), 'tiny-bert', 'F32', 1),
      { contextLength: 32 },
      [{ pooling: 'mean' }, { pooling: 'cls' }, { pooling: 'last', normalize: false }],
    ],
    ['tiny-nomic-bert Q8_0', await tools.model(join(ROOT, 'build/synth'), 'tiny-nomic-bert', 'Q8_0', 1), { contextLength: 32 }, [{}]],
  ]) {
    const { cpu, gpu } = await pair(path, opts);
    for (const o of poolings) {
      const packed = await gpu.embed(texts, o);
      const cpuPacked = await cpu.embed(texts, o);
      for (let i = 0; i < texts.length; ++i) {
        const [alone] = await gpu.embed(texts[i], o);
        const err = packed[i].reduce((m, x, j) => Math.max(m, Math.abs(x - alone[j])), 0) / norm(alone);
        worst = Math.max(worst, err);
        assert.ok(err < 1e-5, `${name} ${JSON.stringify(o)} text ${i}: packed differs from alone by ${err} of its norm`);
        const c = cosine(cpuPacked[i], packed[i]);
        assert.ok(c > MIN_COSINE, `${name} ${JSON.stringify(o)} text ${i}: cosine ${c} to the CPU's`);
      }
    }
  }
  t.diagnostic(`worst |packed - alone| / |alone|: ${worst}`);
});

test('webgpu: contextBytes is the GPU KV cache (the wasm heap holds none)', async (t) => {
  if (why) return t.skip(`no WebGPU adapter: ${why}`);
  const { cpu, gpu } = await pair(TINY_RANDOM, { contextLength: 256 });
  const { nLayer, nHeadKv, headDim } = cpu.info;
  assert.equal(gpu.info.contextBytes, nLayer * 2 * 256 * nHeadKv * headDim * 2); // f16 K and V per layer, as the CPU's
  assert.ok(cpu.info.contextBytes > 0);
  t.diagnostic(`contextBytes: cpu ${cpu.info.contextBytes}, webgpu ${gpu.info.contextBytes}`);
  // No KV cache in the heap, so the heap no longer bounds the context: the GPU's limits do.
  await assert.rejects(
    loadModel(STORIES, { threads: 1, backend: 'webgpu', contextLength: 2 ** 20 + 1 }),
    (e) => e.code === 'out_of_memory',
  );
});
