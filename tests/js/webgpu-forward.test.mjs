// The decoder forward pass on WebGPU (js/src/webgpu/transformer.ts, Dawn in Node), built from the
// C++ model's description and weight views (Model.describe), against the CPU backend on llama models:
// along the CPU's greedy continuation, the GPU's logits give the same argmax and log-probabilities
// of the CPU's top tokens within 2e-2 (the CPU keeps its KV cache in f16); a prompt evaluated as
// one batch equals it token by token; evaluating again from an earlier position (prefix reuse)
// reproduces the logits; on gemma2 (window-16 layers, soft-caps) past its window, one batch
// equals token by token and two batches, and its window layer's ring (wrapped) gives the logits
// of a full-length cache. Skipped with a message only when no adapter is found.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { unwrap } from '../../js/dist/errors.js';
import { loadModel } from '../../js/dist/node.js';
import { nodeEnv } from '../../js/dist/node-env.js';
import * as lib from '../../js/dist/webgpu/index.js';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { GREEDY, STORIES, TINY_RANDOM } from './helpers.mjs';

let gpu;
let why = '';
before(async () => {
  try {
    gpu = await lib.acquireGpu();
  } catch (e) {
    if (e.code !== 'unsupported') throw e;
    why = e.message;
  }
});
after(() => gpu?.device.destroy());

function logSoftmax(logits) {
  let mx = -Infinity;
  for (const v of logits) mx = Math.max(mx, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - mx);
  const lse = mx + Math.log(sum);
  return (i) => logits[i] - lse;
}

function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; ++i) if (a[i] > a[best]) best = i;
  return best;
}

/** The GPU model of the GGUF at `path` on device `on`, through the wasm module's Model.load. */
async function gpuModel(path, opts, on = gpu) {
  const raw = await nodeEnv(undefined).instantiate('st', 'simd128', 0);
  const bytes = readFileSync(path);
  const parts = new raw.HeapParts();
  unwrap(parts.add(bytes.length));
  unwrap(parts.view(0, 0, bytes.length)).set(bytes);
  const model = unwrap(raw.Model.load(parts));
  parts.delete();
  try {
    return lib.gpuModel(on, raw, model, opts);
  } finally {
    model.delete();
  }
}

for (const [name, path] of [
  ['stories260K (F32)', STORIES],
  ['llama-2-tiny-random (F16, 32000 vocab)', TINY_RANDOM],
]) {
  test(`GPU forward pass matches the CPU backend: ${name}`, async (t) => {
    if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
    const g = await gpuModel(path, { nCtx: 64, maxBatch: 16 });
    const cpu = await loadModel(path, { threads: 1, contextLength: 64 });
    try {
      const prompt = await cpu.tokenize('Once upon a time', {});
      const steps = [];
      for await (const c of cpu.generate(prompt, { ...GREEDY, maxTokens: 16, topLogprobs: 5 })) steps.push(c);
      assert.ok(steps.length >= 8);
      let pos = 0;
      let input = prompt;
      let worst = 0;
      const history = [];
      for (const c of steps) {
        const logits = await g.forward(input, pos);
        history.push(logits);
        pos += input.length;
        const lp = logSoftmax(logits);
        const top = c.logprobs.top;
        // Greedy: the same token unless the CPU's top two are a near-tie.
        if (top[0].logprob - top[1].logprob > 1e-2) assert.equal(argmax(logits), c.token, `step ${history.length}`);
        for (const { token, logprob } of top) worst = Math.max(worst, Math.abs(lp(token) - logprob));
        input = [c.token];
      }
      t.diagnostic(`${steps.length} steps; worst |logprob(GPU) - logprob(CPU)| over the top 5: ${worst.toExponential(2)}`);
      assert.ok(worst < 2e-2, `logprobs differ by ${worst}`);

      // Token by token equals one batch; re-evaluating from position 2 (prefix reuse) reproduces it.
      let one;
      for (let i = 0; i < prompt.length; ++i) one = await g.forward([prompt[i]], i);
      const batched = history[0];
      const again = await g.forward(prompt.slice(2), 2);
      for (const [label, x] of [
        ['token by token', one],
        ['from position 2', again],
      ]) {
        let d = 0;
        for (let i = 0; i < x.length; ++i) d = Math.max(d, Math.abs(x[i] - batched[i]));
        assert.ok(d < 1e-4, `${label}: logits differ by ${d}`);
      }
      await assert.rejects(g.forward([1], 64), { code: 'context_full' });
      // A lost device: a typed error, not a hang or a crash.
      const own = await lib.acquireGpu();
      const lostModel = await gpuModel(path, { nCtx: 8 }, own);
      own.device.destroy();
      await own.device.lost;
      await assert.rejects(lostModel.forward([1], 0), { code: 'internal', message: /lost/ });
      await assert.rejects(g.forward([1e9], 0), { code: 'invalid_argument' });
    } finally {
      g.dispose();
      await cpu.dispose();
    }
  });
}

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');

// (tiny-gemma2 Q8_0 as tests/js/webgpu-api.test.mjs makes it: one synthesis for both.)
test('GPU forward pass past a sliding window: one batch = token by token = two batches (tiny-gemma2)', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  const path = await new ChordTools(BIN).model(join(ROOT, 'build/synth'), 'tiny-gemma2', 'Q8_0', 1);
  const g = await gpuModel(path, { nCtx: 64, maxBatch: 28 });
  try {
    const tokens = Array.from({ length: 28 }, (_, i) => (i * 7919 + 13) % 30000); // windows of 16
    const batched = await g.forward(tokens, 0);
    let one;
    for (let i = 0; i < tokens.length; ++i) one = await g.forward([tokens[i]], i);
    await g.forward(tokens.slice(0, 19), 0);
    const two = await g.forward(tokens.slice(19), 19);
    let scale = 0;
    for (const v of batched) scale = Math.max(scale, Math.abs(v));
    for (const [label, x] of [
      ['token by token', one],
      ['two batches', two],
    ]) {
      let d = 0;
      for (let i = 0; i < x.length; ++i) d = Math.max(d, Math.abs(x[i] - batched[i]));
      assert.ok(d < 1e-4 * Math.max(1, scale), `${label}: logits differ by ${d} (largest ${scale})`);
    }
  } finally {
    g.dispose();
  }
});

// The window-16 layer keeps a ring of 16 + maxBatch - 1 rows where the CPU would (ringRows:
// the ring and its mirror shorter than the context): 8 + 15 = 23 rows at nCtx 64, none at nCtx
// 38. The same 60 tokens (the ring wrapped twice) give the same logits either way, as batches and
// token by token; positions the ring has overwritten cannot be continued from (keepable).
test('GPU forward pass: a sliding-window ring gives the full-length cache logits (tiny-gemma2)', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  const path = await new ChordTools(BIN).model(join(ROOT, 'build/synth'), 'tiny-gemma2', 'Q8_0', 1);
  const ringed = await gpuModel(path, { nCtx: 64, maxBatch: 8 });
  const full = await gpuModel(path, { nCtx: 38, maxBatch: 8 });
  try {
    assert.equal(lib.ringRows(16, 8, 64), 23);
    assert.equal(lib.ringRows(16, 8, 38), 0);
    assert.equal(lib.ringRows(0, 8, 64), 0);
    const { nHeadKv, headDim } = ringed.desc;
    const row = nHeadKv * headDim * 2 * 2; // f16 K and V
    assert.equal(ringed.kvBytes, (64 + 23) * row, 'layer 0: a ring of 23 rows; layer 1: 64');
    assert.equal(full.kvBytes, 2 * 38 * row);
    const tokens = Array.from({ length: 38 }, (_, i) => (i * 7919 + 13) % 30000);
    let a, b;
    for (let off = 0; off < tokens.length; off += 8) {
      a = await ringed.forward(tokens.slice(off, off + 8), off);
      b = await full.forward(tokens.slice(off, off + 8), off);
      let d = 0;
      for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
      assert.ok(d === 0, `batch at ${off}: logits differ by ${d}`);
    }
    // On past the full model's context, token by token: the ring wraps again.
    const next = (p) => (p * 31) % 30000;
    let at55;
    for (let p = 38; p < 60; ++p) {
      a = await ringed.forward([next(p)], p);
      if (p === 55) at55 = a;
    }
    assert.ok(a.every(Number.isFinite));
    assert.equal(ringed.keepable(60), 60);
    // The ring holds positions 37..59: continuing at n needs n - 15 .. n - 1.
    assert.equal(ringed.keepable(55), 55, 'positions 40..54 are still in the ring');
    assert.equal(ringed.keepable(51), 0, 'position 36 was overwritten');
    await assert.rejects(ringed.forward([1], 51), { code: 'invalid_argument' });
    await assert.rejects(ringed.shift(0, 4, 60), { code: 'unsupported' });
    // Continuing at 55 (a rewind the ring still holds) equals the first pass there.
    assert.deepEqual(await ringed.forward([next(55)], 55), at55);
    t.diagnostic(`kvBytes: ring ${ringed.kvBytes}, full-length ${2 * 64 * row} at nCtx 64`);
  } finally {
    ringed.dispose();
    full.dispose();
  }
});

// Attention streams the cache (no scores buffer of max_batch x n_head x n_ctx floats, which capped
// stories260K at 65536 positions on a 128 MiB binding), so the context is bounded by one layer's
// f16 cache: a context twice that long loads, its cache is f16, and a prompt at its far end gives
// the logits it gives in a small context at the same positions; a context whose layer cache is
// past the binding limit is out_of_memory.
test('GPU forward pass: a long context (f16 cache, no scores buffer)', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  const limit = Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
  const nCtx = 131072; // twice what the scores buffer allowed on a 128 MiB binding (Dawn GLES)
  const long = await gpuModel(STORIES, { nCtx, maxBatch: 64 });
  const small = await gpuModel(STORIES, { nCtx: 64, maxBatch: 64 });
  try {
    const { nLayer, nHeadKv, headDim } = long.desc;
    assert.equal(long.kvBytes, nLayer * 2 * nCtx * nHeadKv * headDim * 2);
    const tokens = [1, 403, 407, 261, 378];
    const a = await small.forward(tokens, 0);
    const b = await long.forward(tokens, 0);
    let d = 0;
    for (let i = 0; i < a.length; ++i) d = Math.max(d, Math.abs(a[i] - b[i]));
    assert.ok(d === 0, `logits differ by ${d}`);
    // The last positions of the long context (RoPE angles of ~1e5 radians): finite logits.
    const end = await long.forward(tokens, nCtx - tokens.length);
    assert.ok(end.every(Number.isFinite));
    // One layer's cache past the binding limit: out_of_memory that says so.
    const over = Math.floor(limit / (nHeadKv * headDim * 2)) + 1;
    await assert.rejects(gpuModel(STORIES, { nCtx: over }), (e) => e.code === 'out_of_memory' && /binding limit/.test(e.message));
    t.diagnostic(`nCtx ${nCtx}: kvBytes ${long.kvBytes}; one layer past the limit at ${over} positions`);
  } finally {
    long.dispose();
    small.dispose();
  }
});
