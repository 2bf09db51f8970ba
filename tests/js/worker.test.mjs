// The worker path (the one browsers use by default), exercised with Node's worker_threads:
// results equal in-process ones, the caller's thread stays free, errors keep their class and code
// across the boundary, aborts work, and the ModelCache seam is consulted from the caller's side.
import assert from 'node:assert/strict';
import { openAsBlob, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AbortError, WasmChordError, loadModel } from 'wasm-chord';
import { GOLDEN_JSON, GREEDY, STORIES, rejection, serve } from './helpers.mjs';

const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const storiesBytes = readFileSync(STORIES);
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1, worker: true });
});
after(async () => {
  await model.dispose();
});

test('info, metadata and greedy output cross the boundary intact', async () => {
  assert.equal(model.info.nVocab, 512);
  assert.equal(model.metadata['llama.block_count'], 5);
  assert.equal(model.metadata['tokenizer.ggml.tokens'].length, 512);
  const r = await model.complete('', { ...GREEDY, maxTokens: 40 });
  assert.deepEqual(r.tokens, golden.generated.slice(0, 40));
  assert.equal((await model.metadataValue('tokenizer.ggml.tokens'))[2], '</s>');
  assert.deepEqual(await model.tokenize('Once upon'), [1, 403, 407]);
});

test('generation runs off the calling thread, streaming chunks as they come', async () => {
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
  }, 1);
  const at = [];
  try {
    for await (const c of model.generate('', { ...GREEDY, maxTokens: 120 })) at.push([performance.now(), c.token]);
  } finally {
    clearInterval(ticker);
  }
  assert.equal(at.length, 120);
  assert.deepEqual(
    at.map(([, t]) => t),
    golden.generated.slice(0, 120),
  );
  assert.ok(ticks >= 3, `timers kept firing (${ticks})`);
  assert.ok(at[0][0] < at.at(-1)[0]);
});

test('errors keep their class and code across the boundary', async () => {
  const bad = await rejection(() => loadModel(new Uint8Array(storiesBytes.subarray(0, 100)), { threads: 1, worker: true }));
  assert.ok(bad instanceof WasmChordError);
  assert.equal(bad.code, 'bad_gguf');
  const missing = await rejection(() => loadModel('/no/such/file.gguf', { threads: 1, worker: true }));
  assert.equal(missing.code, 'not_found');
  const tmpl = await rejection(() =>
    model.chat.completions.create({
      messages: [{ role: 'user', content: 'x' }],
      chat_template: "{{ raise_exception('no thanks') }}",
    }),
  );
  assert.ok(tmpl instanceof WasmChordError);
  assert.equal(tmpl.code, 'template_error');
  assert.match(tmpl.message, /no thanks/);
  const oov = await rejection(() => model.detokenize([100000]));
  assert.equal(oov.code, 'invalid_argument');
  const tooLong = await rejection(() => model.complete(new Array(3000).fill(5)));
  assert.equal(tooLong.code, 'context_full');
});

test('abort mid-stream in the worker: AbortError with the reason as cause; model reusable', async () => {
  const ctl = new AbortController();
  let n = 0;
  const e = await rejection(async () => {
    for await (const _ of model.generate('', { ...GREEDY, maxTokens: 300, signal: ctl.signal })) {
      if (++n === 4) ctl.abort(new Error('stop please'));
    }
  });
  assert.ok(e instanceof AbortError);
  assert.equal(e.name, 'AbortError');
  assert.equal(e.cause?.message, 'stop please');
  assert.equal(n, 4);
  // breaking out of a loop also stops the worker's generation
  for await (const _ of model.generate('', { maxTokens: 300 })) break;
  assert.deepEqual((await model.complete('', { ...GREEDY, maxTokens: 10 })).tokens, golden.generated.slice(0, 10));
});

test('streamed chat with usage through the worker', async () => {
  const stream = await model.chat.completions.create({
    messages: [{ role: 'user', content: 'Hi' }],
    stream: true,
    max_tokens: 12,
    temperature: 0,
  });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-1).usage.completion_tokens, 12);
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
});

for (const worker of [false, true]) {
  test(`ModelCache seam (${worker ? 'worker' : 'in-process'}): hits read as 'cache', downloads offered to put()`, async () => {
    const srv = await serve({ '/m.gguf': { body: storiesBytes } });
    const store = new Map();
    const puts = [];
    const cache = {
      get: async (key) => store.get(key),
      put: async (key, blob) => {
        puts.push(key);
        store.set(key, blob);
      },
    };
    try {
      const url = srv.url('/m.gguf');
      const phases1 = new Set();
      const m1 = await loadModel(url, { threads: 1, worker, cache, onProgress: (e) => phases1.add(e.phase) });
      await m1.dispose();
      assert.ok(phases1.has('download'));
      for (let i = 0; i < 50 && puts.length === 0; ++i) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(puts, [url]);
      const cached = store.get(url);
      assert.equal(cached.size, storiesBytes.byteLength);
      assert.deepEqual(new Uint8Array(await cached.arrayBuffer()), new Uint8Array(storiesBytes));
      await srv.close(); // the second load cannot use the network
      const phases2 = new Set();
      const m2 = await loadModel(url, { threads: 1, worker, cache, onProgress: (e) => phases2.add(e.phase) });
      try {
        assert.ok(phases2.has('cache') && !phases2.has('download'), [...phases2].join());
        assert.deepEqual((await m2.complete('', { ...GREEDY, maxTokens: 8 })).tokens, golden.generated.slice(0, 8));
      } finally {
        await m2.dispose();
      }
    } finally {
      await srv.close();
    }
  });
}

test('a cached Blob that cannot be posted to the worker (file-backed, Node) is a miss, not a hang', async () => {
  const srv = await serve({ '/m.gguf': { body: storiesBytes } });
  try {
    const phases = new Set();
    const cache = { get: async () => openAsBlob(STORIES) };
    const m = await loadModel(srv.url('/m.gguf'), { threads: 1, worker: true, cache, onProgress: (e) => phases.add(e.phase) });
    await m.dispose();
    assert.ok(phases.has('download') && !phases.has('cache'), [...phases].join());
  } finally {
    await srv.close();
  }
});

test('dispose ends the worker; later calls are typed errors', async () => {
  const m = await loadModel(STORIES, { threads: 1, worker: true });
  await m.dispose();
  const e = await rejection(() => m.tokenize('x'));
  assert.equal(e.code, 'invalid_argument');
});
