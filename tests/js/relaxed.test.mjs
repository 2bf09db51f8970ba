// The relaxed-SIMD builds through the package, under Node 24 (npm run test:relaxed; Node 20 does
// not validate relaxed SIMD, so there the loader picks the SIMD128 builds): feature detection picks
// chord-relaxed*, ModelInfo and the module report it, single thread and pthreads, and greedy output
// matches the SIMD128 build's in the same process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel, capabilities, WasmChordError } from 'wasm-chord';
import { GREEDY, STORIES, rejection, disposeAfterEach } from './helpers.mjs';

const track = disposeAfterEach();

async function greedyText(model, n = 48) {
  return (await model.complete('Once upon a time', { ...GREEDY, maxTokens: n })).text;
}

test('this Node validates relaxed SIMD; auto picks the relaxed build', async () => {
  assert.equal(capabilities().relaxedSimd, true, `run under Node >= 22 (this is ${process.version})`);
  const m = track(await loadModel(STORIES, { threads: 1 }));
  assert.equal(m.info.simd, 'relaxed');
  assert.equal(m.info.wasm, 'st');
});

test('relaxed and SIMD128 builds give the same greedy text, single thread and pthreads', async () => {
  for (const threads of [1, 2]) {
    const r = track(await loadModel(STORIES, { threads, simd: 'relaxed' }));
    const s = track(await loadModel(STORIES, { threads, simd: 'simd128' }));
    assert.equal(r.info.simd, 'relaxed');
    assert.equal(s.info.simd, 'simd128');
    assert.equal(r.info.wasm, threads > 1 ? 'mt' : 'st');
    const text = await greedyText(r);
    assert.ok(text.length > 20);
    assert.equal(text, await greedyText(s));
  }
});

test('a bad simd option is a typed error', async () => {
  const e = await rejection(() => loadModel(STORIES, { simd: 'avx' }));
  assert.ok(e instanceof WasmChordError);
  assert.equal(e.code, 'invalid_argument');
});
