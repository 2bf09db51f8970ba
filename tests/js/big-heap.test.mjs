// Addresses and sizes past 2^31 at the JS <-> wasm boundary, cheaply: the heap is first padded with
// 2.25 GiB that is allocated but never touched (no resident memory), so the model's bytes, the KV
// cache and every string crossing Embind live above 2 GiB. A 2.5 GiB part (more than dlmalloc asks
// sbrk for at once) is allocated and written at offsets past 2^31. The multi-GB model runs are in
// scripts/bench/big-model.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Engine } from '../../js/dist/engine.js';
import { unwrap } from '../../js/dist/errors.js';
import { LocalBackend } from '../../js/dist/local-backend.js';
import { Model } from '../../js/dist/model.js';
import { nodeCapabilities, nodeEnv } from '../../js/dist/node-env.js';
import { resolveConfig } from '../../js/dist/probe.js';
import { bytesReader } from '../../js/dist/sources.js';
import { GOLDEN_JSON, GREEDY, STORIES } from './helpers.mjs';

const GiB = 2 ** 30;
const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));

for (const flavor of ['st', 'mt']) {
  test(`${flavor}: a 2.5 GiB part is allocated and written past 2^31; a model above 2 GiB generates the golden ids`, async (t) => {
    const threads = flavor === 'mt' ? 2 : 1;
    if (flavor === 'mt' && !nodeCapabilities().threads) return t.skip('no SharedArrayBuffer threads here');
    const base = nodeEnv(undefined);
    const pads = [];
    let raw;
    const env = {
      ...base,
      async instantiate(...args) {
        raw = await base.instantiate(...args);
        const pad = new raw.HeapParts();
        unwrap(pad.add(2.25 * GiB)); // above 2 GiB from here on
        pads.push(pad);
        return raw;
      },
    };
    const cfg = resolveConfig({ threads, contextLength: 128 }, nodeCapabilities());
    assert.equal(cfg.flavor, flavor);
    const engine = await Engine.load([bytesReader('stories260K', readFileSync(STORIES))], cfg, env);
    const model = new Model(new LocalBackend(engine));
    try {
      assert.ok(raw.runtimeInfo().heapSize > 2.25 * GiB);
      // Tokenizing, chat templates and generation all pass strings and arrays through Embind.
      assert.deepEqual((await model.tokenize('Once upon a time')).slice(0, 1), [1]);
      const r = await model.complete('', { ...GREEDY, maxTokens: 24 });
      assert.deepEqual(r.tokens, golden.generated.slice(0, 24));
      assert.equal(r.text, golden.text.slice(0, r.text.length));

      // One more part of 2.5 GiB would not fit beside the padding: a typed refusal naming sizes.
      const more = new raw.HeapParts();
      const refused = more.add(2.5 * GiB);
      assert.equal(refused.code, 'out_of_memory');
      assert.match(refused.message, /2684354560 bytes/);
      more.delete();
    } finally {
      await model.dispose();
    }
  });

  test(`${flavor}: a 2.5 GiB part (more than dlmalloc asks sbrk for at once) is written and read past 2^31`, async (t) => {
    if (flavor === 'mt' && !nodeCapabilities().threads) return t.skip('no SharedArrayBuffer threads here');
    const raw = await nodeEnv(undefined).instantiate(flavor, 'simd128', flavor === 'mt' ? 1 : 0);
    const big = new raw.HeapParts();
    try {
      assert.equal(unwrap(big.add(2.5 * GiB)), 0);
      for (const off of [0, 2 ** 31 - 2, 2 ** 31 + 12345, 2.5 * GiB - 4]) {
        unwrap(big.view(0, off, 4)).set([1, 2, 3, 4]);
        assert.deepEqual([...unwrap(big.view(0, off, 4))], [1, 2, 3, 4], `offset ${off}`);
      }
      assert.equal(big.view(0, 2.5 * GiB - 2, 4).code, 'invalid_argument');
      assert.equal(big.totalBytes(), 2.5 * GiB);
    } finally {
      big.delete();
      raw.chordTerminateWorkers();
    }
  });
}
