// The IndexedDB model cache through the demo: a downloaded model loads again with the network
// blocked (phase 'cache'), deletes update the list, 'only' fails when not cached, interrupted
// downloads are never reported as cached and resume with a Range request, quota errors are typed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { findModelsDir } from '../../scripts/serve.mjs';
import {
  assistantText,
  cacheList,
  events,
  loadUrl,
  modelRequests,
  openDemo,
  say,
  session,
  setSettings,
  shot,
  waitGenerationEnd,
  waitLoaded,
  isHeaderProbe,
} from './lib.mjs';

const GREEDY = { temperature: 0, 'top-k': 1, 'top-p': 1, 'max-tokens': 24 };

async function greedyAnswer(page) {
  await page.click('#new-chat');
  await setSettings(page, GREEDY);
  await say(page, 'Once upon a time');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done');
  return assistantText(page);
}

/** The cache rows as the page lists them, once the list shows `want` rows. */
async function rows(page, want) {
  if (want !== undefined) await page.waitForFunction((n) => document.querySelectorAll('#cache-list tr').length === n, want);
  return page.$$eval('#cache-list tr', (trs) => trs.map((tr) => ({ url: tr.dataset.url, complete: tr.dataset.complete === 'true' })));
}

test('cache: reload offline and load from the cache, delete, cache "only" fails when not cached', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const url = await page.inputValue('#model-url');
  assert.equal(await loadUrl(page, url), 'ready');
  assert.ok((await events(page, 'download')) > 0);
  assert.deepEqual(await rows(page, 1), [{ url, complete: true }]);
  const online = await greedyAnswer(page);

  // Offline: the server drops every request for the model (no Playwright route: adding or
  // removing one while the page's model Worker is alive hangs now and then); the cached copy is
  // read chunk by chunk.
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  server.stats.offline = /\.gguf/;
  const before = modelRequests(server, '.gguf').length;
  await rows(page, 1);
  await page.click('[data-testid=cache-load]');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  assert.ok((await events(page, 'cache')) > 0, 'cache-read progress');
  assert.equal(await events(page, 'download'), 0, 'no download progress');
  assert.equal(modelRequests(server, '.gguf').length, before, 'nothing even tried the network');
  assert.equal(await greedyAnswer(page), online, 'same greedy answer from the cached bytes');
  await shot(page, 'cache-offline-loaded');

  // Delete: the list updates; loading with 'only' now fails with a clear not-found error.
  await page.click('[data-testid=cache-delete]');
  await rows(page, 0);
  assert.equal(await page.isVisible('#cache-empty'), true);
  assert.equal(await page.evaluate(async (u) => (await import('wasm-chord')).cache.has(u), url), false);
  await page.selectOption('#cache-policy', 'only');
  assert.equal(await loadUrl(page, url), 'error');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'not_found');
  assert.match(await page.textContent('#error'), /not in the model cache/);
  assert.equal(modelRequests(server, '.gguf').length, before);
  await shot(page, 'cache-only-not-found');

  // Network back, 'none': loads, caches nothing.
  server.stats.offline = null;
  await page.selectOption('#cache-policy', 'none');
  assert.equal(await loadUrl(page, url), 'ready');
  await page.click('#cache-refresh');
  assert.deepEqual(await rows(page, 0), []);
});

test('cache: a download cut half-way is not cached; retry downloads again (default 8 MiB chunks)', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const url = `${server.url}/test/flaky/stories260K.gguf?k=big`;
  assert.equal(await loadUrl(page, url), 'error');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'io_error');
  await page.click('#cache-refresh');
  assert.deepEqual(await rows(page, 0), [], 'nothing listed after the cut');
  assert.deepEqual(await cacheList(page), []);
  await shot(page, 'cache-interrupted');
  assert.equal(await loadUrl(page, url), 'ready', await page.textContent('#error'));
  assert.deepEqual(await rows(page, 1), [{ url, complete: true }]);
  const resumes = modelRequests(server, '/test/flaky/').filter((r) => r.range && !isHeaderProbe(r.range));
  assert.equal(resumes.length, 0, 'no Range request: nothing to resume');
});

test('cache: a download cut half-way resumes with a Range request (64 KiB chunks) and the bytes are right', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?chunk=65536');
  const url = `${server.url}/test/flaky/stories260K.gguf?k=small`;
  assert.equal(await loadUrl(page, url), 'error');
  let list = await cacheList(page);
  assert.equal(list.length, 1);
  assert.equal(list[0].complete, false, 'a partial entry is never complete');
  assert.ok(list[0].storedBytes > 0 && list[0].storedBytes < list[0].size && list[0].storedBytes % 65536 === 0, JSON.stringify(list[0]));
  assert.equal(await page.evaluate(async (u) => (await import('wasm-chord')).cache.has(u), url), false);
  const [row] = await rows(page, 1);
  assert.equal(row.complete, false);
  assert.match(await page.textContent('#error'), /stopped after \d+ of 1185376 bytes/);
  assert.equal(await page.textContent('[data-testid=cache-load]'), 'Resume', 'a partial entry offers to resume');
  await shot(page, 'cache-partial');

  await page.click('[data-testid=cache-load]');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  const ranges = modelRequests(server, '/test/flaky/').filter((r) => r.range && !isHeaderProbe(r.range));
  assert.deepEqual(
    ranges.map((r) => r.range),
    [`bytes=${list[0].storedBytes}-`],
  );
  assert.ok((await events(page, 'cache')) > 0 && (await events(page, 'download')) > 0, 'cache read, then download');
  list = await cacheList(page);
  assert.equal(list.length, 1);
  assert.equal(list[0].complete, true);
  assert.equal(list[0].storedBytes, list[0].size);
  const resumed = await greedyAnswer(page);

  // The same answer from a plain download (no cache), and from the cache with the network blocked.
  await page.selectOption('#cache-policy', 'none');
  assert.equal(await loadUrl(page, `${server.url}/models/stories260K.gguf`), 'ready');
  assert.equal(await greedyAnswer(page), resumed);
  // Offline as above, on a fresh page.
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  server.stats.offline = /\.gguf/;
  await page.selectOption('#cache-policy', 'only');
  assert.equal(await loadUrl(page, url), 'ready', await page.textContent('#error'));
  assert.equal(await greedyAnswer(page), resumed);
});

test('cache: quota exceeded while downloading is a typed error, the model still loads, nothing is cached', async (t) => {
  const { page, server, context } = await session(t);
  await openDemo(page, server, '?chunk=65536');
  const cdp = await context.newCDPSession(page);
  // Room for a few 64 KiB chunks, not the model. (estimate() does not reflect this override, so
  // the loader's up-front check passes and IndexedDB itself refuses a put with QuotaExceededError.)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 300_000 });
  assert.equal(await loadUrl(page, `${server.url}/models/stories260K.gguf`), 'ready', await page.textContent('#error'));
  await page.waitForSelector('#notice:not([hidden])');
  assert.equal(await page.getAttribute('#notice', 'data-code'), 'quota_exceeded');
  assert.match(await page.textContent('#notice'), /Loaded, but not cached: Browser storage is full \(quota exceeded\).*quota is exhausted/);
  await page.waitForFunction(async () => (await (await import('wasm-chord')).cache.list()).length === 0);
  await page.click('#cache-refresh');
  assert.deepEqual(await rows(page, 0), []);
  await shot(page, 'cache-quota-exceeded');
  await setSettings(page, { 'max-tokens': 8 });
  await say(page, 'Hi');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done');

  // With room again (a fresh page: a new IndexedDB connection), the same URL is cached.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 100 << 20 });
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  assert.equal(await loadUrl(page, `${server.url}/models/stories260K.gguf`), 'ready');
  assert.equal(await page.isHidden('#notice'), true);
  assert.equal((await rows(page, 1))[0].complete, true);
});

test('errors and local files: a non-GGUF URL is a clear error; a local file loads', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  assert.equal(await loadUrl(page, `${server.url}/style.css`), 'error');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'bad_gguf');
  assert.match(await page.textContent('#error'), /not a usable GGUF/);
  assert.deepEqual(await cacheList(page), [], 'a file that failed to load is not kept');
  assert.equal(await loadUrl(page, `${server.url}/models/missing.gguf`), 'error');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'not_found');
  await shot(page, 'error-not-found');

  const idx = server.modelIndex();
  const file = idx.models.find((m) => m.name === 'stories260K.gguf');
  assert.ok(file, 'the default model is served');
  await page.setInputFiles('#model-file', join(findModelsDir(), 'gguf', 'stories260K.gguf'));
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  assert.ok((await events(page, 'load')) > 0);
  assert.equal(await events(page, 'download'), 0);
  await say(page, 'Hello');
  await waitGenerationEnd(page);
  assert.equal(await page.getAttribute('#gen-state', 'data-state'), 'done');
});

test('cache: Cancel loading mid-download keeps a resumable partial entry, never a cached one', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server, '?chunk=65536');
  const url = `${server.url}/test/slow/stories260K.gguf`;
  await page.fill('#model-url', url);
  await page.click('#load-url');
  await page.waitForFunction(() => {
    const p = document.querySelector('#progress-download');
    return p.value > 0.25 * p.max;
  });
  await page.click('#cancel-load');
  assert.equal(await waitLoaded(page), 'cancelled');
  assert.equal(await page.isHidden('#error'), true, 'a cancel is not an error');
  await page.click('#cache-refresh');
  const [row] = await rows(page, 1);
  assert.equal(row.complete, false);
  assert.equal(await page.evaluate(async (u) => (await import('wasm-chord')).cache.has(u), url), false);
  await page.click('[data-testid=cache-load]');
  assert.equal(await waitLoaded(page), 'ready', await page.textContent('#error'));
  assert.ok(
    modelRequests(server, '/test/slow/').some((r) => r.range),
    'resumed with a Range request',
  );
  await page.waitForSelector('#cache-list tr[data-complete=true]');
  assert.equal((await rows(page, 1))[0].complete, true);
});
