// loadModel(src, { backend: 'webgpu' }) in Node (Dawn): the forward pass on the GPU, sampling in
// wasm. Greedy text equals the CPU backend's; streaming, abort, prefix reuse, logprobs; 'auto' is
// the CPU. (Context shift, long chats and embeddings: webgpu-api.test.mjs.) Skipped with a message
// only when no adapter is found.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadModel } from '../../js/dist/node.js';
import { acquireGpu } from '../../js/dist/webgpu/index.js';
import { GREEDY, STORIES, TINY_RANDOM } from './helpers.mjs';

let why = '';
let cpu;
let gpu;
before(async () => {
  try {
    (await acquireGpu()).device.destroy();
  } catch (e) {
    if (e.code !== 'unsupported') throw e;
    why = e.message;
    return;
  }
  cpu = await loadModel(STORIES, { threads: 1, contextLength: 256 });
  gpu = await loadModel(STORIES, { threads: 1, contextLength: 256, backend: 'webgpu', batchSize: 16 });
});
after(async () => {
  await cpu?.dispose();
  await gpu?.dispose();
});

async function text(model, prompt, opts) {
  let s = '';
  for await (const c of model.generate(prompt, { ...GREEDY, ...opts })) s += c.text;
  return s;
}

test('webgpu: info reports the backend and adapter; greedy text equals the CPU backend', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  assert.equal(gpu.info.backend, 'webgpu');
  assert.equal(cpu.info.backend, 'cpu');
  assert.equal(typeof gpu.info.gpu.software, 'boolean');
  assert.equal(gpu.info.contextLength, 256);
  // A prompt longer than the batch (16): several prompt steps.
  const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.';
  const want = await text(cpu, prompt, { maxTokens: 48 });
  const got = await text(gpu, prompt, { maxTokens: 48 });
  t.diagnostic(JSON.stringify(got));
  assert.equal(got, want);
  const r = await gpu.complete(prompt, { ...GREEDY, maxTokens: 8 });
  assert.ok(r.usage.cachedTokens > 10, `prefix reuse: ${r.usage.cachedTokens} cached`);
  assert.equal(r.text, want.slice(0, r.text.length));
});

test('webgpu: abort mid-generation, then the same prompt again gives the same text', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  const want = await text(cpu, 'The cat sat', { maxTokens: 24 });
  const ctl = new AbortController();
  let n = 0;
  await assert.rejects(
    (async () => {
      for await (const c of gpu.generate('The cat sat', { ...GREEDY, maxTokens: 24, signal: ctl.signal })) if (++n === 5) ctl.abort();
    })(),
    { name: 'AbortError' },
  );
  assert.equal(await text(gpu, 'The cat sat', { maxTokens: 24 }), want);
  const longer = await text(gpu, 'The cat sat on the mat', { maxTokens: 12 });
  assert.equal(longer, await text(cpu, 'The cat sat on the mat', { maxTokens: 12 }));
});

test('webgpu: logprobs match the CPU backend', async (t) => {
  if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
  const a = await cpu.complete('Once upon', { ...GREEDY, maxTokens: 6, topLogprobs: 3 });
  const b = await gpu.complete('Once upon', { ...GREEDY, maxTokens: 6, topLogprobs: 3 });
  a.logprobs.forEach((s, i) => {
    assert.equal(b.logprobs[i].sampled.token, s.sampled.token);
    s.top.forEach((x, j) => assert.ok(Math.abs(b.logprobs[i].top[j].logprob - x.logprob) < 2e-2, `step ${i} top ${j}`));
  });
});

test("backend: 'auto' is the CPU; a bad value is invalid_argument; F16 model on the GPU", async (t) => {
  const auto = await loadModel(TINY_RANDOM, { threads: 1, contextLength: 64, backend: 'auto' });
  try {
    assert.equal(auto.info.backend, 'cpu');
    if (!gpu) return t.skip(`no WebGPU adapter: ${why}`);
    const g = await loadModel(TINY_RANDOM, { threads: 1, contextLength: 64, backend: 'webgpu' });
    try {
      assert.equal(await text(g, 'Hello world', { maxTokens: 16 }), await text(auto, 'Hello world', { maxTokens: 16 }));
    } finally {
      await g.dispose();
    }
  } finally {
    await auto.dispose();
  }
  await assert.rejects(loadModel(TINY_RANDOM, { backend: 'gpu' }), { code: 'invalid_argument' });
});
