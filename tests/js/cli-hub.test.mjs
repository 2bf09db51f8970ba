// `wasm-chord … -hf USER/MODEL[:QUANT]` (llama.cpp's flags: -hf/--hf/--hf-repo, -hff, -hft) against the
// fake hub, found through HF_ENDPOINT: the picked file generates, split models load, inspect reads
// the header, the token comes from --hf-token or HF_TOKEN, downloads are kept in $WASM_CHORD_CACHE,
// failures are one line with exit 1 or 2.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { GREEDY, STORIES, runCli } from './helpers.mjs';
import { TOKENS, fakeHub, storiesRepos } from './fake-hub.mjs';

let hub;
let want;
before(async () => {
  hub = await fakeHub(storiesRepos());
  const m = await loadModel(STORIES, { threads: 1 });
  want = (await m.complete('', { ...GREEDY, maxTokens: 12 })).text;
  await m.dispose();
});
after(() => hub.close());

const cacheDir = mkdtempSync(join(tmpdir(), 'wasm-chord-hf-cache-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));
const cli = (args, env = {}) => runCli(args, { env: { HF_ENDPOINT: hub.base, HF_TOKEN: '', WASM_CHORD_CACHE: cacheDir, ...env } });
const RUN = ['-n', '12', '--temp', '0', '-t', '1'];

test('run -hf USER/MODEL:QUANT, --hf with the default quant, -hf + -hff, -m hf:…', async () => {
  for (const args of [
    ['run', '-hf', 'chord-test/stories-GGUF:Q8_0', ...RUN],
    ['run', '--hf', 'chord-test/stories-GGUF', ...RUN],
    ['run', '--hf-repo=chord-test/stories-GGUF:Q4_K_M', '-hff', 'stories260K-F32.gguf', ...RUN],
    ['run', '-m', 'hf:chord-test/stories-GGUF:Q6_K', ...RUN],
  ]) {
    const from = hub.downloads().length;
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, want, args.join(' '));
    const got = hub.downloads().slice(from);
    if (args.includes('-hff')) assert.deepEqual(got, ['stories260K-F32.gguf']);
    else if (args.includes('--hf')) assert.deepEqual(got, ['stories260K-Q4_K_M.gguf']);
    else assert.ok(got.length >= 1);
  }
});

test('inspect -hf reads the header of the picked file (part 1 of a split model)', async () => {
  const r = await cli(['inspect', '-hf', 'chord-test/stories-GGUF:Q6_K', '--json', '--no-tensors']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.metadata['general.name'].value, 'stories Q6_K');
  assert.equal(j.metadata['split.count'].value, 3);
});

test('a private repo: exit 1 saying how to pass a token; --hf-token, -hft and HF_TOKEN work', async () => {
  const denied = await cli(['run', '-hf', 'chord-test/private-GGUF', ...RUN]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^wasm-chord: error: .*chord-test\/private-GGUF.*--hf-token.*\(unauthorized\)\n$/);
  for (const [args, env] of [
    [['--hf-token', TOKENS.READER], {}],
    [['-hft', TOKENS.READER], {}],
    [[], { HF_TOKEN: TOKENS.READER }],
  ]) {
    const r = await cli(['run', '-hf', 'chord-test/private-GGUF', ...args, ...RUN], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, want);
  }
});

test('an unknown quant lists the available ones; a missing repo names it; bad flags are usage errors', async () => {
  const tag = await cli(['run', '-hf', 'chord-test/stories-GGUF:Q3_K_S', ...RUN]);
  assert.equal(tag.code, 1);
  assert.match(tag.stderr, /has no Q3_K_S file; available quants: F32, Q4_K_M, Q6_K, Q8_0\n$/);
  const missing = await cli(['run', '-hf', 'chord-test/nope', '-hft', TOKENS.READER, ...RUN]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /repo 'chord-test\/nope' .*was not found/);
  for (const [args, re] of [
    [['run', '-hf', 'just-a-name'], /is not a Hugging Face source/],
    [['run', '-m', STORIES, '-hf', 'a/b'], /give the model with -m or -hf, not both/],
    [['run', '-hff', 'x.gguf'], /--hf-file needs -hf/],
    [['run', '-hf'], /-hf needs a value/],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
  }
});

test('downloads are kept on disk: the second run downloads nothing; --no-download-cache bypasses it', async () => {
  const args = ['run', '-hf', 'chord-test/no-q4km-GGUF:F32', ...RUN];
  const from = hub.downloads().length;
  for (let i = 0; i < 2; ++i) {
    const r = await cli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, want);
  }
  assert.deepEqual(hub.downloads().slice(from), ['model-F32.gguf']);
  assert.ok(
    readdirSync(cacheDir).some((f) => f.endsWith('-model-F32.gguf')),
    readdirSync(cacheDir).join(' '),
  );
  assert.ok(!readdirSync(cacheDir).some((f) => f.endsWith('.part')));
  const r = await cli([...args, '--no-download-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(hub.downloads().slice(from), ['model-F32.gguf', 'model-F32.gguf']);
});

test('offline: a cached -hf model loads when the hub cannot be reached (as llama.cpp falls back on its cache)', async () => {
  const own = await fakeHub(storiesRepos()); // a hub of its own, to take down
  const args = ['run', '-hf', 'chord-test/stories-GGUF:Q6_K', ...RUN];
  try {
    const r = await cli(args, { HF_ENDPOINT: own.base });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(own.downloads().length, 3);
  } finally {
    await own.close();
  }
  const offline = await cli(args, { HF_ENDPOINT: own.base });
  assert.equal(offline.code, 0, offline.stderr);
  assert.equal(offline.stdout, want);
  const notCached = await cli(['run', '-hf', 'chord-test/stories-GGUF:Q8_0', ...RUN], { HF_ENDPOINT: own.base });
  assert.equal(notCached.code, 1);
  assert.match(notCached.stderr, /cannot reach the Hugging Face hub at http:\/\/127\.0\.0\.1:\d+/);
});
