// loadModel('hf:owner/repo[:QUANT]') and 'hf:owner/repo/path.gguf' against a fake Hugging Face hub
// (fake-hub.mjs): quant selection (a tag, the default order), file paths, split models, access
// errors as typed errors, the token, and the cache (a second load downloads nothing).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileCache, loadModel, WasmChordError } from 'wasm-chord';
import { GREEDY, STORIES, rejection } from './helpers.mjs';
import { TOKENS, fakeHub, storiesRepos } from './fake-hub.mjs';

const REPOS = storiesRepos();

let hub;
before(async () => {
  hub = await fakeHub(REPOS);
});
after(() => hub.close());

const open = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.dispose()));
});

async function load(source, options = {}) {
  const m = await loadModel(source, { threads: 1, hfEndpoint: hub.base, ...options });
  open.push(m);
  return m;
}

const greedy = async (m) => (await m.complete('', { ...GREEDY, maxTokens: 16 })).text;
let wantText;
before(async () => {
  const m = await loadModel(STORIES, { threads: 1 });
  wantText = await greedy(m);
  await m.dispose();
});

/** Runs fn and returns the requests the hub saw meanwhile. */
async function seen(fn) {
  const from = hub.requests.length;
  await fn();
  return hub.requests.slice(from);
}

test('a quant tag picks that file (case-insensitive), pinned to the commit, streamed with progress', async () => {
  const events = [];
  let m;
  const reqs = await seen(async () => {
    m = await load('hf:chord-test/stories-GGUF:q8_0', { onProgress: (e) => events.push(e) });
  });
  assert.equal(m.metadata['general.name'], 'stories Q8_0');
  assert.equal(await greedy(m), wantText);
  const sha = hub.sha('chord-test/stories-GGUF');
  assert.deepEqual(
    reqs.map((r) => r.path),
    [
      '/api/models/chord-test/stories-GGUF',
      `/chord-test/stories-GGUF/resolve/${sha}/stories260K-Q8_0.gguf`,
      `/cdn/chord-test/stories-GGUF/${sha}/stories260K-Q8_0.gguf`,
    ],
  );
  const size = REPOS['chord-test/stories-GGUF'].files['stories260K-Q8_0.gguf'].byteLength;
  const dl = events.filter((e) => e.phase === 'download');
  assert.ok(dl.length >= 1);
  assert.deepEqual(dl.at(-1), { phase: 'download', loaded: size, total: size });
  assert.equal(events.at(-1).phase, 'load');
});

test('without a tag: Q4_K_M first (never the mmproj file), then Q4_0, Q8_0, else the first model', async () => {
  assert.equal((await load('hf:chord-test/stories-GGUF')).metadata['general.name'], 'stories Q4_K_M');
  assert.equal((await load('hf:chord-test/no-q4km-GGUF')).metadata['general.name'], 'no-q4km Q8_0');
  assert.equal((await load('hf:chord-test/no-q4km-GGUF:F32')).metadata['general.name'], 'no-q4km F32');
});

test('a file path, a revision, and a path naming part 1 of a split model', async () => {
  assert.equal((await load('hf:chord-test/stories-GGUF/stories260K-F32.gguf')).metadata['general.name'], 'stories F32');
  assert.equal((await load('hf:chord-test/stories-GGUF@main:F32')).metadata['general.name'], 'stories F32');
  const reqs = await seen(async () => {
    const m = await load('hf:chord-test/stories-GGUF/Q6_K/stories260K-Q6_K-00001-of-00003.gguf');
    assert.equal(m.info.tensorCount, 48);
  });
  assert.equal(reqs.filter((r) => r.path.startsWith('/cdn/')).length, 3);
  const missing = await rejection(() => load('hf:chord-test/stories-GGUF/stories260K-Q2_K.gguf'));
  assert.equal(missing.code, 'not_found');
  assert.match(missing.message, /chord-test\/stories-GGUF has no file 'stories260K-Q2_K\.gguf'; its GGUF files: .*stories260K-Q8_0\.gguf/);
  const rev = await rejection(() => load('hf:chord-test/stories-GGUF@v9:F32'));
  assert.equal(rev.code, 'not_found');
  assert.match(rev.message, /has no revision 'v9'/);
});

test('a split model chosen by its tag: every part, in order, loaded as one model', async () => {
  const from = hub.downloads().length;
  const m = await load('hf:chord-test/stories-GGUF:Q6_K');
  assert.equal(m.metadata['general.name'], 'stories Q6_K');
  assert.equal(m.info.tensorCount, 48);
  assert.equal(await greedy(m), wantText);
  assert.deepEqual(
    hub.downloads().slice(from).sort(),
    [1, 2, 3].map((i) => `Q6_K/stories260K-Q6_K-0000${i}-of-00003.gguf`),
  );
  const broken = await rejection(() => load('hf:chord-test/broken-split-GGUF'));
  assert.equal(broken.code, 'not_found');
  assert.match(broken.message, /part 2 of 2 of the split model m-Q4_0-00001-of-00002\.gguf is not in the repo/);
});

test('an unknown tag lists the quants the repo has; a repo without models says so', async () => {
  const e = await rejection(() => load('hf:chord-test/stories-GGUF:Q5_K_S'));
  assert.ok(e instanceof WasmChordError);
  assert.equal(e.code, 'not_found');
  assert.equal(e.message, 'chord-test/stories-GGUF has no Q5_K_S file; available quants: F32, Q4_K_M, Q6_K, Q8_0');
  const none = await rejection(() => load('hf:chord-test/empty'));
  assert.equal(none.code, 'not_found');
  assert.match(none.message, /has no GGUF model files/);
});

test('a missing repo is not_found naming it (with a token; without one the hub answers 401)', async () => {
  const e = await rejection(() => load('hf:chord-test/nope-GGUF:Q4_K_M', { hfToken: TOKENS.READER }));
  assert.equal(e.code, 'not_found');
  assert.match(e.message, /Hugging Face repo 'chord-test\/nope-GGUF' at http:\/\/127\.0\.0\.1:\d+ was not found \(HTTP 404\)/);
  const anon = await rejection(() => load('hf:chord-test/nope-GGUF'));
  assert.equal(anon.code, 'unauthorized');
  assert.match(anon.message, /'chord-test\/nope-GGUF'.* was not found, or it is private or gated and needs a token: pass hfToken/);
});

test('private and gated repos: unauthorized without the right token, loaded with it (option or HF_TOKEN)', async () => {
  const priv = await rejection(() => load('hf:chord-test/private-GGUF'));
  assert.equal(priv.code, 'unauthorized');
  assert.match(priv.message, /HF_TOKEN/);
  const badToken = await rejection(() => load('hf:chord-test/private-GGUF', { hfToken: 'hf_wrong' }));
  assert.equal(badToken.code, 'unauthorized');
  assert.match(badToken.message, /refused the token/);
  const reqs = await seen(async () => {
    assert.equal((await load('hf:chord-test/private-GGUF', { hfToken: TOKENS.READER })).metadata['general.name'], 'private Q4_K_M');
  });
  // the token goes to the API and the file request (the CDN hop is not checked: the real hub
  // redirects to another origin, where fetch drops the header)
  assert.ok(reqs.filter((r) => !r.path.startsWith('/cdn/')).every((r) => r.auth === `Bearer ${TOKENS.READER}`));
  process.env.HF_TOKEN = TOKENS.READER;
  try {
    assert.equal((await load('hf:chord-test/private-GGUF')).metadata['general.name'], 'private Q4_K_M');
  } finally {
    delete process.env.HF_TOKEN;
  }
  // gated: the file list is public, the file is not
  const gatedAnon = await rejection(() => load('hf:chord-test/gated-GGUF'));
  assert.equal(gatedAnon.code, 'unauthorized');
  assert.match(gatedAnon.message, /gated-Q4_K_M\.gguf.*HTTP 401.*pass hfToken/);
  const gatedOther = await rejection(() => load('hf:chord-test/gated-GGUF', { hfToken: TOKENS.OTHER }));
  assert.equal(gatedOther.code, 'unauthorized');
  assert.match(gatedOther.message, /HTTP 403.*the token was refused/);
  assert.equal((await load('hf:chord-test/gated-GGUF', { hfToken: TOKENS.READER })).metadata['general.name'], 'gated Q4_K_M');
});

test('cache: the second load reads the cached files and downloads nothing (split parts too)', async () => {
  const store = new Map();
  const cache = {
    get: async (key) => store.get(key),
    put: async (key, blob) => void store.set(key, blob),
  };
  for (const [source, files] of [
    ['hf:chord-test/stories-GGUF:Q8_0', 1],
    ['hf:chord-test/stories-GGUF:Q6_K', 3],
  ]) {
    const before = hub.downloads().length;
    await load(source, { cache });
    assert.equal(hub.downloads().length - before, files);
    // puts are not awaited by the load: wait for them
    for (let i = 0; i < 100 && store.size < (files === 1 ? 1 : 4); ++i) await new Promise((r) => setTimeout(r, 10));
    const events = [];
    const m = await load(source, { cache, onProgress: (e) => events.push(e) });
    assert.equal(hub.downloads().length - before, files, `${source}: no download the second time`);
    assert.ok(events.some((e) => e.phase === 'cache'));
    assert.ok(!events.some((e) => e.phase === 'download'));
    assert.equal(await greedy(m), wantText);
  }
  const sha = hub.sha('chord-test/stories-GGUF');
  assert.ok(store.has(`${hub.base}/chord-test/stories-GGUF/resolve/${sha}/stories260K-Q8_0.gguf`), [...store.keys()].join('\n'));
});

test('fileCache (Node, on disk): whole files only, read back with no download, in-process and in a worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-chord-file-cache-'));
  try {
    const errors = [];
    const cache = fileCache(dir, { onError: (e) => errors.push(e) });
    for (const [source, options, files] of [
      ['hf:chord-test/stories-GGUF:Q6_K', { threads: 2 }, 3], // the pthreads build: heap views on shared memory
      ['hf:chord-test/stories-GGUF:F32', { worker: true }, 1], // the worker asks get/put over messages
    ]) {
      const before = hub.downloads().length;
      const phases = async () => {
        const events = [];
        const m = await load(source, { ...options, cache, onProgress: (e) => events.push(e.phase) });
        assert.equal(await greedy(m), wantText);
        return [...new Set(events)].join(',');
      };
      assert.equal(await phases(), 'download,load', source);
      assert.equal(hub.downloads().length - before, files);
      for (let i = 0; i < 100 && readdirSync(dir).filter((f) => f.endsWith('.gguf')).length < (files === 3 ? 3 : 4); ++i)
        await new Promise((r) => setTimeout(r, 10)); // the worker's put is not awaited by the load
      assert.equal(await phases(), 'cache,load', source);
      assert.equal(hub.downloads().length - before, files, `${source}: nothing downloaded the second time`);
    }
    const sha = hub.sha('chord-test/stories-GGUF');
    assert.ok(
      readdirSync(dir).includes(
        cache.pathOf(`${hub.base}/chord-test/stories-GGUF/resolve/${sha}/stories260K-F32.gguf`).slice(dir.length + 1),
      ),
    );
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.part')));
    assert.deepEqual(errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a worker thread, with the endpoint from HF_ENDPOINT', async () => {
  process.env.HF_ENDPOINT = hub.base;
  try {
    const m = await loadModel('hf:chord-test/private-GGUF', { threads: 1, worker: true, hfToken: TOKENS.READER });
    open.push(m);
    assert.equal(m.metadata['general.name'], 'private Q4_K_M');
    assert.equal(await greedy(m), wantText);
  } finally {
    delete process.env.HF_ENDPOINT;
  }
});

test('malformed hf: sources are invalid_argument before any request', async () => {
  const from = hub.requests.length;
  for (const s of ['hf:just-a-name', 'hf:a/b:not a tag', 'hf:a/b/../c.gguf', 'hf:a/b/model.bin', 'hf:a/-b', 'hf:a/b@']) {
    const e = await rejection(() => load(s));
    assert.equal(e.code, 'invalid_argument', s);
    assert.match(e.message, /is not a Hugging Face source/, s);
  }
  const mixed = await rejection(() => load(['hf:a/b', 'hf:a/c']));
  assert.equal(mixed.code, 'invalid_argument');
  const endpoint = await rejection(() => load('hf:a/b', { hfEndpoint: 'ftp://example.org' }));
  assert.equal(endpoint.code, 'invalid_argument');
  assert.equal(hub.requests.length, from);
});
