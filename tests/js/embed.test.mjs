// model.embed() and model.embeddings.create() on stories260K, in-process and through the worker:
// vector shapes and unit length, pooling (CLS of a causal model is the BOS state, the same for
// every text), independence of batching, typed errors, aborts, and turn-taking with generations
// (an embedding clears the KV cache; the next generation is unchanged).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AbortError, WasmChordError, loadModel } from 'wasm-chord';
import { GOLDEN_JSON, GREEDY, STORIES, rejection } from './helpers.mjs';

const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const TEXTS = ['Once upon a time there was a dog.', 'The sun was hot and the sky was blue.', 'Lily liked to play.'];
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1, contextLength: 64 });
});
after(async () => {
  await model.dispose();
});

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));
const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('one Float32Array of nEmbd unit-length floats per text, in order', async () => {
  const vs = await model.embed(TEXTS);
  assert.equal(vs.length, 3);
  for (const v of vs) {
    assert.ok(v instanceof Float32Array);
    assert.equal(v.length, model.info.nEmbd);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5);
  }
  const [one] = await model.embed(TEXTS[1]);
  assert.ok(maxDiff(one, vs[1]) < 1e-6, 'a text embeds the same alone or in a list');
  assert.ok(cosine(vs[0], vs[1]) < 0.9999, 'different texts differ');
  assert.deepEqual(await model.embed([]), []);
});

test('normalize: false gives the raw pooled vector; pooling overrides the model', async () => {
  const [raw] = await model.embed(TEXTS[0], { normalize: false });
  const [unit] = await model.embed(TEXTS[0]);
  assert.ok(Math.abs(norm(raw) - 1) > 1e-3);
  assert.ok(
    maxDiff(
      raw.map((x) => x / norm(raw)),
      unit,
    ) < 1e-5,
  );
  const [last] = await model.embed(TEXTS[0], { pooling: 'last' });
  assert.ok(cosine(last, unit) < 0.9999, 'last differs from mean');
  // Causal attention: the first token (BOS) sees only itself, so CLS pooling is text-independent.
  const cls = await model.embed(TEXTS, { pooling: 'cls' });
  assert.ok(maxDiff(cls[0], cls[2]) < 1e-6);
});

test('embeddings.create: OpenAI shape, base64 = float32 little-endian, token-id input, usage', async () => {
  const ids = await model.tokenize(TEXTS[0]);
  const f = await model.embeddings.create({ input: [TEXTS[0], ids], model: 'm' });
  assert.equal(f.object, 'list');
  assert.equal(f.model, 'm');
  assert.equal(f.data.length, 2);
  assert.deepEqual(
    f.data.map((d) => [d.object, d.index]),
    [
      ['embedding', 0],
      ['embedding', 1],
    ],
  );
  assert.ok(Array.isArray(f.data[0].embedding));
  assert.deepEqual(f.data[0].embedding, f.data[1].embedding, 'text and its token ids embed alike');
  assert.deepEqual(f.usage, { prompt_tokens: 2 * ids.length, total_tokens: 2 * ids.length });
  const b = await model.embeddings.create({ input: TEXTS[0], encoding_format: 'base64' });
  const bytes = Buffer.from(b.data[0].embedding, 'base64');
  const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  assert.deepEqual(decoded, f.data[0].embedding);
});

test('bad input is a typed error; the model stays usable', async () => {
  const cases = [
    [() => model.embed(TEXTS, { pooling: 'max' }), 'invalid_argument'],
    [() => model.embed([1, 2]), 'invalid_argument'],
    [() => model.embed('word '.repeat(80)), 'context_full'],
    [() => model.embeddings.create({ input: [] }), 'invalid_argument'],
    [() => model.embeddings.create({ input: [[1, 9999]] }), 'invalid_argument'],
    [() => model.embeddings.create({ input: 'x', encoding_format: 'hex' }), 'invalid_argument'],
    [() => model.embeddings.create({ input: 'x', dimensions: 3 }), 'unsupported'],
  ];
  for (const [fn, code] of cases) {
    const e = await rejection(fn);
    assert.ok(e instanceof WasmChordError, String(e));
    assert.equal(e.code, code, e.message);
  }
  assert.equal((await model.embed('ok')).length, 1);
});

test('an aborted signal rejects with AbortError', async () => {
  const ctl = new AbortController();
  ctl.abort();
  assert.ok((await rejection(() => model.embed(TEXTS, { signal: ctl.signal }))) instanceof AbortError);
});

test('embeddings wait their turn behind a generation, which is unchanged by them', async () => {
  const stream = model.generate('', { ...GREEDY, maxTokens: 30 });
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next(); // the generation holds the model
  let embedded = false;
  const emb = model.embed(TEXTS).then((v) => {
    embedded = true;
    return v;
  });
  const tokens = [first.value.token];
  for (let r = await it.next(); !r.done; r = await it.next()) {
    assert.equal(embedded, false, 'the embedding waits for the generation');
    tokens.push(r.value.token);
  }
  assert.deepEqual(tokens, golden.generated.slice(0, 30));
  assert.equal((await emb).length, 3);
  // The cache was cleared by the embedding: the same prompt generates the same tokens again.
  assert.deepEqual((await model.complete('', { ...GREEDY, maxTokens: 30 })).tokens, golden.generated.slice(0, 30));
});

test('the worker path gives the same vectors', async () => {
  const w = await loadModel(STORIES, { threads: 1, contextLength: 64, worker: true });
  try {
    const a = await model.embed(TEXTS, { pooling: 'last' });
    const b = await w.embed(TEXTS, { pooling: 'last' });
    for (let i = 0; i < a.length; i++) assert.ok(maxDiff(a[i], b[i]) < 1e-6);
    const e = await rejection(() => w.embed(TEXTS, { pooling: 'none' }));
    assert.ok(e instanceof WasmChordError && e.code === 'invalid_argument');
    const r = await w.embeddings.create({ input: TEXTS[0] });
    assert.equal(r.data[0].embedding.length, w.info.nEmbd);
  } finally {
    await w.dispose();
  }
});
