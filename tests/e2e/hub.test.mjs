// hf: sources in Chromium: a page loads from the fake Hugging Face hub on another origin (CORS, a
// token in the Worker's requests, a split model), the IndexedDB cache serves the second load without
// a download, offline loads use the last resolution (cache 'only' never asks the hub), a missing
// token is a typed error; the demo's URL field takes hf: names.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TOKENS, fakeHub, storiesRepos } from '../js/fake-hub.mjs';
import { loadUrl, openDemo, session } from './lib.mjs';

let hub;
before(async () => {
  hub = await fakeHub(storiesRepos());
});
after(() => hub.close());

test('hf: sources: token, split parts, cache hit on the second load, offline, typed errors, the demo', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const r = await page.evaluate(
    async ({ base, token }) => {
      const { loadModel } = await import('wasm-chord');
      const load = async (source, extra = {}) => {
        const phases = [];
        const m = await loadModel(source, {
          hfEndpoint: base,
          onProgress: (e) => {
            if (phases.at(-1) !== e.phase) phases.push(e.phase);
          },
          ...extra,
        });
        const text = (await m.complete('Once upon a time', { maxTokens: 12, temperature: 0, topK: 1 })).text;
        const out = { name: m.metadata['general.name'], tensors: m.info.tensorCount, phases: phases.join(','), text };
        await m.dispose();
        return out;
      };
      const out = {};
      out.first = await load('hf:chord-test/private-GGUF', { hfToken: token });
      out.second = await load('hf:chord-test/private-GGUF', { hfToken: token });
      out.split = await load('hf:chord-test/stories-GGUF:Q6_K');
      try {
        await load('hf:chord-test/private-GGUF');
        out.anon = 'loaded';
      } catch (e) {
        out.anon = `${e.code}: ${e.message}`;
      }
      return out;
    },
    { base: hub.base, token: TOKENS.READER },
  );
  assert.deepEqual({ name: r.first.name, phases: r.first.phases }, { name: 'private Q4_K_M', phases: 'download,load' });
  assert.deepEqual({ name: r.second.name, phases: r.second.phases }, { name: 'private Q4_K_M', phases: 'cache,load' });
  assert.equal(r.second.text, r.first.text);
  assert.equal(r.split.name, 'stories Q6_K');
  assert.equal(r.split.tensors, 48);
  assert.equal(r.split.text, r.first.text);
  assert.match(r.anon, /^unauthorized: .*chord-test\/private-GGUF.*pass hfToken/);
  // A first load reads each file's header first (a Range request from the page, js/src/preflight.ts;
  // this hub ignores Range) and then downloads it in the Worker; the second load comes from the cache.
  const cdn = (match) => hub.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/cdn/') && match(q.path));
  const whole = (qs) => qs.filter((q) => !q.range).length;
  const probes = (qs) => qs.filter((q) => q.range).map((q) => q.range);
  const priv = cdn((p) => p.endsWith('/private-Q4_K_M.gguf'));
  assert.equal(whole(priv), 1, 'one download: the second load downloaded nothing');
  assert.deepEqual(probes(priv), ['bytes=0-4194303'], 'one header probe, by the first load');
  const split = cdn((p) => p.includes('/Q6_K/'));
  assert.equal(whole(split), 3);
  assert.deepEqual(probes(split), Array(3).fill('bytes=0-4194303'));
  const privateApi = hub.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/api/models/chord-test/private-GGUF'));
  assert.equal(privateApi.filter((q) => q.auth === `Bearer ${TOKENS.READER}`).length, 2);

  // Offline: cache 'only' never asks the hub; with the hub's API unreachable 'auto' falls back on
  // the last resolution whose files are all cached; a name never loaded is not_found.
  const attempts = (list) =>
    page.evaluate(
      async ({ base, token, list }) => {
        const { loadModel } = await import('wasm-chord');
        const out = [];
        for (const [source, extra] of list) {
          const phases = [];
          const onProgress = (e) => phases.at(-1) !== e.phase && phases.push(e.phase);
          try {
            const m = await loadModel(source, { hfEndpoint: base, hfToken: token, onProgress, ...extra });
            out.push(`${m.metadata['general.name']} ${phases.join(',')}`);
            await m.dispose();
          } catch (e) {
            out.push(`${e.code}: ${e.message}`);
          }
        }
        return out;
      },
      { base: hub.base, token: TOKENS.READER, list },
    );
  const api = () => hub.requests.filter((q) => q.path.startsWith('/api/')).length;
  const apiBefore = api();
  const dlBefore = hub.downloads().length;
  hub.setApiDown(true);
  try {
    const only = await attempts([
      ['hf:chord-test/stories-GGUF:Q6_K', { cache: 'only' }],
      ['hf:chord-test/stories-GGUF:Q8_0', { cache: 'only' }],
    ]);
    assert.deepEqual(only, [
      'stories Q6_K cache,load',
      "not_found: hf:chord-test/stories-GGUF:Q8_0 is not in the model cache (cache: 'only')",
    ]);
    assert.equal(api(), apiBefore, "cache 'only' never asks the hub");
    const auto = await attempts([
      ['hf:chord-test/private-GGUF', {}],
      ['hf:chord-test/stories-GGUF:Q8_0', {}],
    ]);
    assert.equal(auto[0], 'private Q4_K_M cache,load');
    assert.match(auto[1], /^io_error: cannot reach the Hugging Face hub/);
    assert.ok(api() > apiBefore, "'auto' tried the hub");
    assert.equal(hub.downloads().length, dlBefore, 'nothing downloaded offline');
  } finally {
    hub.setApiDown(false);
  }

  // The demo's URL field takes the name as a person types it (the hub from ?hf-endpoint=).
  await openDemo(page, server, `?hf-endpoint=${encodeURIComponent(hub.base)}`);
  assert.equal(await loadUrl(page, 'hf:chord-test/stories-GGUF:F32'), 'ready', await page.textContent('#error'));
  assert.match(await page.textContent('#model-status'), /stories-GGUF:F32/);
  assert.equal(await loadUrl(page, 'hf:chord-test/stories-GGUF:Q5_K_S'), 'error');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'not_found');
  assert.match(await page.textContent('#error'), /available quants: F32, Q4_K_M, Q6_K, Q8_0/);
});
