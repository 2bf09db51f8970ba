// The Memory64 build (chord-m64: wasm64, pthreads, relaxed SIMD) through the package under Node 24
// (npm run test:relaxed): capabilities() detects Memory64, memory64: true loads it and ModelInfo and
// the module report it, and its greedy tokens and log-probabilities equal the wasm32 relaxed
// build's (same kernels) at 1 and 2 threads on stories260K (F32) and synthetic tiny-llama Q4_0 and
// Q4_K_M (chord-synth: build/native-release, cached in build/synth); 'auto' keeps small models on
// wasm32. Addresses and
// sizes past 2^32 cross the JS <-> wasm boundary: a model loaded above 4.25 GiB of padding (allocated,
// never touched: no resident memory) generates the golden ids, and a 4.5 GiB part is written and
// read at offsets past 2^32. The multi-GB model runs are in scripts/bench/big-model.mjs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadModel, capabilities } from 'wasm-chord';
import { Engine } from '../../js/dist/engine.js';
import { unwrap } from '../../js/dist/errors.js';
import { LocalBackend } from '../../js/dist/local-backend.js';
import { Model } from '../../js/dist/model.js';
import { nodeCapabilities, nodeEnv } from '../../js/dist/node-env.js';
import { resolveConfig } from '../../js/dist/probe.js';
import { bytesReader } from '../../js/dist/sources.js';
import { GOLDEN_JSON, GREEDY, STORIES, disposeAfterEach } from './helpers.mjs';

const GiB = 2 ** 30;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** A synthetic tiny-llama of `type` (the file name ChordTools gives it, so the cache is shared). */
function synth(type) {
  const out = join(ROOT, `build/synth/tiny-llama-${type}-s1.gguf`);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const bin = join(process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release'), 'chord-synth');
  execFileSync(bin, ['--preset', 'tiny-llama', '--type', type, '--seed', '1', '-o', `${out}.tmp${process.pid}`]);
  renameSync(`${out}.tmp${process.pid}`, out);
  return out;
}
const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const track = disposeAfterEach();

async function greedy(model) {
  const r = await model.complete('Once upon a time', { ...GREEDY, maxTokens: 40, topLogprobs: 4 });
  return { tokens: r.tokens, text: r.text, logprobs: r.logprobs };
}

test('this Node runs Memory64; auto keeps a small model on wasm32', async () => {
  assert.equal(capabilities().memory64, true, `run under Node >= 24 (this is ${process.version})`);
  const m = track(await loadModel(STORIES, { threads: 1 }));
  assert.equal(m.info.memory64, false);
  assert.equal(m.info.simd, 'relaxed');
});

test("the Memory64 build gives the wasm32 relaxed build's tokens and log-probabilities", async () => {
  for (const path of [STORIES, synth('Q4_0'), synth('Q4_K_M')]) {
    for (const threads of [1, 2]) {
      const w64 = track(await loadModel(path, { threads, memory64: true }));
      const w32 = track(await loadModel(path, { threads, simd: 'relaxed', memory64: false }));
      assert.deepEqual([w64.info.memory64, w64.info.wasm, w64.info.simd, w64.info.threads], [true, 'mt', 'relaxed', threads]);
      assert.equal(w32.info.memory64, false);
      const a = await greedy(w64);
      assert.ok(a.tokens.length === 40 && a.text.length > 20);
      assert.deepEqual(a, await greedy(w32), `${path}, ${threads} thread(s)`);
    }
  }
});

test('memory64 crosses to a worker (worker: true) and comes back in ModelInfo', async () => {
  const w = track(await loadModel(STORIES, { threads: 2, memory64: true, worker: true }));
  const d = track(await loadModel(STORIES, { threads: 2, memory64: true }));
  assert.equal(w.info.memory64, true);
  assert.deepEqual(await greedy(w), await greedy(d));
});

test('a model above 4.25 GiB of heap generates the golden ids; a 4.5 GiB part is used past 2^32', async () => {
  const base = nodeEnv(undefined);
  let raw, pad;
  const env = {
    ...base,
    async instantiate(...args) {
      raw = await base.instantiate(...args);
      pad = new raw.HeapParts(); // kept referenced: Embind frees collected handles
      unwrap(pad.add(4.25 * GiB)); // everything after this lives above 4 GiB
      return raw;
    },
  };
  const cfg = resolveConfig({ threads: 2, contextLength: 128, memory64: true }, nodeCapabilities());
  const engine = await Engine.load([bytesReader('stories260K', readFileSync(STORIES))], cfg, env);
  const model = new Model(new LocalBackend(engine));
  try {
    const rt = raw.runtimeInfo();
    assert.equal(rt.memory64, true);
    assert.ok(rt.heapSize > 4.25 * GiB && rt.heapMax === 16 * GiB, JSON.stringify(rt));
    // Tokens, strings and typed arrays cross Embind from addresses past 2^32.
    assert.deepEqual((await model.tokenize('Once upon a time')).slice(0, 1), [1]);
    const r = await model.complete('', { ...GREEDY, maxTokens: 24 });
    assert.deepEqual(r.tokens, golden.generated.slice(0, 24));
    assert.equal(r.text, golden.text.slice(0, r.text.length));

    const big = new raw.HeapParts();
    assert.equal(unwrap(big.add(4.5 * GiB)), 0);
    for (const off of [0, 2 ** 32 - 2, 2 ** 32 + 12345, 4.5 * GiB - 4]) {
      unwrap(big.view(0, off, 4)).set([1, 2, 3, 4]);
      assert.deepEqual([...unwrap(big.view(0, off, 4))], [1, 2, 3, 4], `offset ${off}`);
    }
    assert.equal(big.view(0, 4.5 * GiB - 2, 4).code, 'invalid_argument');
    assert.equal(big.totalBytes(), 4.5 * GiB);
    big.delete();
  } finally {
    pad?.delete();
    await model.dispose();
  }
});
