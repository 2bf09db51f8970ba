// The package's cache API on a page (no demo UI): list/has/usage/clear, option checks, and damaged
// chunks: 'only' refuses them, 'auto' drops the entry and fetches the rest with a Range request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelRequests, openDemo, session } from './lib.mjs';

test('cache API: usage, list, has, damaged chunks, clear, option errors', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const r = await page.evaluate(async () => {
    const { cache, loadModel } = await import('wasm-chord');
    const url = '/models/stories260K.gguf';
    const abs = new URL(url, location.href).href;
    const greedy = async (m) => (await m.complete('Once upon a time', { maxTokens: 16, temperature: 0, topK: 1 })).text;
    const load = async (cacheOpt) => {
      const phases = [];
      const m = await loadModel(url, {
        cache: cacheOpt,
        cacheChunkBytes: 65536,
        onProgress: (e) => {
          if (phases.at(-1) !== e.phase) phases.push(e.phase);
        },
      });
      const text = await greedy(m);
      await m.dispose();
      return { phases: phases.join(','), text };
    };
    // Overwrites a byte of stored chunk `index` (as disk corruption would); chunks are Blobs.
    const damage = async (index) => {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open('wasm-chord-cache');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const store = (mode) => db.transaction('chunks', mode).objectStore('chunks');
      const rec = await new Promise((resolve, reject) => {
        const get = store('readonly').get([abs, index]);
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      });
      const bytes = new Uint8Array(rec.data instanceof Blob ? await rec.data.arrayBuffer() : rec.data);
      bytes[100] ^= 0xff;
      rec.data = rec.data instanceof Blob ? new Blob([bytes]) : bytes.buffer;
      await new Promise((resolve, reject) => {
        const tx = store('readwrite').transaction;
        tx.objectStore('chunks').put(rec);
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    };
    const out = {};
    out.first = await load('auto');
    out.has = await cache.has(url);
    out.list = await cache.list();
    out.usage = await cache.usage();
    out.cached = await load('only');
    await damage(3);
    try {
      await load('only');
      out.onlyDamaged = 'loaded';
    } catch (e) {
      out.onlyDamaged = `${e.code}: ${e.message}`;
    }
    out.hasAfterDamage = await cache.has(url);
    await load('auto'); // cached again
    await damage(7);
    out.autoDamaged = await load('auto');
    out.hasAfterAuto = await cache.has(url);
    out.plain = await load('none');
    await load('auto');
    await cache.clear();
    out.cleared = { list: await cache.list(), usage: (await cache.usage()).cachedBytes };
    out.errors = [];
    for (const bad of [{ cache: 'bogus' }, { cacheChunkBytes: 100 }, { cacheChunkBytes: 1.5e6 + 0.5 }]) {
      try {
        await loadModel(url, bad);
        out.errors.push('loaded');
      } catch (e) {
        out.errors.push(e.code);
      }
    }
    out.deleteMissing = await cache.delete('/models/none.gguf');
    return out;
  });
  const size = r.list[0]?.size;
  assert.equal(r.first.phases, 'download,load');
  assert.equal(r.has, true);
  assert.equal(r.list.length, 1);
  assert.equal(r.list[0].url, `${server.url}/models/stories260K.gguf`);
  assert.equal(r.list[0].complete, true);
  assert.equal(r.list[0].storedBytes, size);
  assert.ok(r.list[0].cachedAt > Date.now() - 600_000 && r.list[0].etag, JSON.stringify(r.list[0]));
  assert.equal(r.usage.cachedBytes, size);
  assert.equal(r.usage.entries, 1);
  assert.ok(r.usage.usage >= size && r.usage.quota > r.usage.usage, JSON.stringify(r.usage));
  assert.deepEqual(r.cached, { phases: 'cache,load', text: r.first.text });
  assert.match(r.onlyDamaged, /^io_error: .*damaged/);
  assert.equal(r.hasAfterDamage, false, 'a damaged entry is deleted');
  assert.equal(r.autoDamaged.phases, 'cache,download,load', 'chunks before the damage from the cache, the rest downloaded');
  assert.equal(r.autoDamaged.text, r.first.text, 'the right bytes in the end');
  assert.equal(r.hasAfterAuto, false);
  assert.equal(r.plain.text, r.first.text);
  assert.ok(
    modelRequests(server, 'stories260K').some((q) => q.range === `bytes=${7 * 65536}-`),
    'the rest came by a Range request',
  );
  assert.deepEqual(r.cleared, { list: [], usage: 0 });
  assert.deepEqual(r.errors, ['invalid_argument', 'invalid_argument', 'invalid_argument']);
  assert.equal(r.deleteMissing, false);
});
