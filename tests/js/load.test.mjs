// Loading models through the package: every source kind, progress, split parts, typed errors,
// metadata/info, disposal. Runs against the built wasm (npm run build:package) and real fixtures.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel, WasmChordError, AbortError, capabilities } from 'wasm-chord';
import { GREEDY, LEGACY_GGJT, LEGACY_V1, MODELS, STORIES, rejection, serve, splitGguf, disposeAfterEach } from './helpers.mjs';

const storiesBytes = readFileSync(STORIES);

const track = disposeAfterEach();

async function greedyText(model, n = 24) {
  return (await model.complete('', { ...GREEDY, maxTokens: n })).text;
}

test('capabilities report SIMD and threads under Node', () => {
  const c = capabilities();
  assert.equal(c.simd, true);
  assert.equal(c.threads, true);
  assert.ok(c.hardwareConcurrency >= 1);
});

test('load from a path with progress, info and metadata', async () => {
  const events = [];
  const model = track(await loadModel(STORIES, { threads: 1, onProgress: (e) => events.push(e) }));
  assert.equal(model.info.arch, 'llama');
  assert.equal(model.info.nVocab, 512);
  assert.equal(model.info.nLayer, 5);
  assert.equal(model.info.fileBytes, storiesBytes.byteLength);
  assert.equal(model.info.wasm, 'st');
  assert.equal(model.info.threads, 1);
  assert.equal(model.info.contextLength, 2048);
  assert.equal(model.info.chatTemplate, null);
  // progress: bytes grow monotonically to the file size, ending in a complete 'load' event
  assert.ok(events.length >= 2);
  let last = -1;
  for (const e of events.filter((e) => e.phase === 'load')) {
    assert.equal(e.total, storiesBytes.byteLength);
    assert.ok(e.loaded >= last);
    last = e.loaded;
  }
  assert.deepEqual(events.at(-1), { phase: 'load', loaded: storiesBytes.byteLength, total: storiesBytes.byteLength });
  // metadata: scalars as plain values, big arrays summarized and fetched on demand
  assert.equal(model.metadata['general.architecture'], 'llama');
  assert.equal(model.metadata['llama.block_count'], 5);
  assert.deepEqual(model.metadata['tokenizer.ggml.tokens'], { type: 'array', elementType: 'string', length: 512 });
  const tokens = await model.metadataValue('tokenizer.ggml.tokens');
  assert.equal(tokens.length, 512);
  assert.equal(tokens[1], '<s>');
  const scores = await model.metadataValue('tokenizer.ggml.scores');
  assert.equal(typeof scores[10], 'number');
  const missing = await rejection(() => model.metadataValue('no.such.key'));
  assert.ok(missing instanceof WasmChordError);
  assert.equal(missing.code, 'not_found');
});

test('load from Uint8Array, ArrayBuffer, Blob and file: URL give the same model', async () => {
  const ab = storiesBytes.buffer.slice(storiesBytes.byteOffset, storiesBytes.byteOffset + storiesBytes.byteLength);
  // A Blob is read through its byte stream into one reused buffer (BYOB); one whose stream is not a
  // byte stream is read chunk by chunk as the stream gives them.
  class PlainStreamBlob extends Blob {
    stream() {
      const r = super.stream().getReader();
      return new ReadableStream({
        pull: async (c) => {
          const { done, value } = await r.read();
          if (done) c.close();
          else c.enqueue(value);
        },
      });
    }
  }
  const sources = [
    new Uint8Array(storiesBytes),
    ab,
    new Blob([storiesBytes]),
    new PlainStreamBlob([storiesBytes]),
    new URL(`file://${STORIES}`),
  ];
  const texts = [];
  for (const s of sources) {
    const m = track(await loadModel(s, { threads: 1 }));
    texts.push(await greedyText(m));
  }
  assert.ok(texts[0].startsWith('Once upon a time'));
  for (const t of texts) assert.equal(t, texts[0]);
});

test('load over HTTP: streamed with download progress, with and without Content-Length', async () => {
  const srv = await serve({
    '/m.gguf': { body: storiesBytes },
    '/chunked.gguf': { body: storiesBytes, chunked: true },
  });
  try {
    for (const path of ['/m.gguf', '/chunked.gguf']) {
      const events = [];
      const m = track(await loadModel(srv.url(path), { threads: 1, onProgress: (e) => events.push(e) }));
      const dl = events.filter((e) => e.phase === 'download');
      assert.ok(dl.length >= 2, `${path}: several download events`);
      assert.equal(dl.at(-1).loaded, storiesBytes.byteLength);
      assert.equal(dl.at(-1).total, storiesBytes.byteLength);
      assert.equal(events.at(-1).phase, 'load');
      assert.ok((await greedyText(m, 8)).startsWith('Once upon a time'));
    }
    const e404 = await rejection(() => loadModel(srv.url('/missing.gguf'), { threads: 1 }));
    assert.ok(e404 instanceof WasmChordError);
    assert.equal(e404.code, 'not_found');
  } finally {
    await srv.close();
  }
});

test('split GGUF: parts from URL (fetched in parallel), paths and an explicit array', async () => {
  const parts = splitGguf(STORIES, 3);
  const dir = mkdtempSync(join(tmpdir(), 'chord-split-'));
  const names = parts.map((_, i) => `stories-0000${i + 1}-of-00003.gguf`);
  parts.forEach((p, i) => writeFileSync(join(dir, names[i]), p));
  const requested = [];
  const routes = {};
  parts.forEach((p, i) => {
    routes[`/s/${names[i]}`] = { body: p };
  });
  const srv = await serve(
    new Proxy(routes, {
      get: (t, k) => {
        if (typeof k === 'string' && t[k]) requested.push(k);
        return t[k];
      },
    }),
  );
  try {
    const whole = track(await loadModel(STORIES, { threads: 1 }));
    const want = await greedyText(whole);
    const byUrl = track(await loadModel(srv.url(`/s/${names[0]}`), { threads: 1 }));
    assert.equal(byUrl.info.tensorCount, 48);
    assert.equal(await greedyText(byUrl), want);
    assert.deepEqual(
      requested.sort(),
      names.map((n) => `/s/${n}`),
    );
    // an array lists every part itself: part 1's name does not add the parts again
    const byUrlArray = track(
      await loadModel(
        names.map((n) => srv.url(`/s/${n}`)),
        { threads: 1 },
      ),
    );
    assert.equal(await greedyText(byUrlArray), want);
    const byPathArray = track(
      await loadModel(
        names.map((n) => join(dir, n)),
        { threads: 1 },
      ),
    );
    assert.equal(byPathArray.info.tensorCount, 48);
    const byPath = track(await loadModel(join(dir, names[0]), { threads: 1 }));
    assert.equal(await greedyText(byPath), want);
    const byArray = track(
      await loadModel(
        parts.map((p) => new Blob([p])),
        { threads: 1 },
      ),
    );
    assert.equal(await greedyText(byArray), want);
    // parts out of order are refused with a clear error
    const bad = await rejection(() => loadModel([parts[1], parts[0], parts[2]], { threads: 1 }));
    assert.equal(bad.code, 'bad_gguf');
  } finally {
    await srv.close();
  }
});

test('typed errors: not GGUF, unsupported GGUF v1, GGJT, missing file, bad options', async () => {
  const text = await rejection(() => loadModel(join(MODELS, 'text/war-and-peace.txt'), { threads: 1 }));
  assert.ok(text instanceof WasmChordError);
  assert.equal(text.name, 'WasmChordError');
  assert.equal(text.code, 'bad_gguf');

  const v1 = await rejection(() => loadModel(LEGACY_V1, { threads: 1 }));
  assert.equal(v1.code, 'unsupported');
  assert.match(v1.message, /v1|version 1/i);

  const ggjt = await rejection(() => loadModel(LEGACY_GGJT, { threads: 1 }));
  assert.ok(ggjt instanceof WasmChordError);
  assert.ok(['bad_gguf', 'unsupported'].includes(ggjt.code), ggjt.code);

  const missing = await rejection(() => loadModel('/nonexistent/model.gguf', { threads: 1 }));
  assert.equal(missing.code, 'not_found');

  const empty = await rejection(() => loadModel(new Uint8Array(0), { threads: 1 }));
  assert.equal(empty.code, 'bad_gguf');

  for (const opts of [{ threads: 0 }, { threads: 1.5 }, { contextLength: -1 }, { batchSize: 0 }]) {
    const e = await rejection(() => loadModel(STORIES, opts));
    assert.equal(e.code, 'invalid_argument', JSON.stringify(opts));
  }
});

test('a model over the wasm32 heap fails early with out_of_memory naming the sizes', async () => {
  let bodyRequested = false;
  const huge = 5 * 2 ** 30;
  const srv = await serve({
    '/huge.gguf': {
      handler: (req, res) => {
        res.writeHead(200, { 'content-length': String(huge), 'content-type': 'application/octet-stream' });
        res.write(storiesBytes.subarray(0, 4096)); // the first bytes, then nothing more
        bodyRequested = true;
      },
    },
  });
  try {
    const t0 = performance.now();
    const e = await rejection(() => loadModel(srv.url('/huge.gguf'), { threads: 1 }));
    assert.ok(e instanceof WasmChordError);
    assert.equal(e.code, 'out_of_memory');
    assert.match(e.message, new RegExp(String(huge)));
    assert.match(e.message, /GiB/);
    assert.ok(bodyRequested);
    assert.ok(performance.now() - t0 < 10000);
  } finally {
    await srv.close();
  }
});

test('abort during loading rejects with AbortError', async () => {
  const srv = await serve({
    '/stall-header.gguf': {
      handler: (req, res) => {
        res.writeHead(200, { 'content-length': String(storiesBytes.byteLength) });
        res.write(storiesBytes.subarray(0, 1000));
      },
    },
    '/slow.gguf': {
      handler: (req, res) => {
        res.writeHead(200, { 'content-length': String(storiesBytes.byteLength) });
        // The header and some weights, then a stall (Range ignored: the header is read from this
        // response and the download reads on from it).
        res.write(storiesBytes.subarray(0, 200000));
      },
    },
  });
  try {
    const ctl = new AbortController();
    const p = loadModel(srv.url('/slow.gguf'), {
      threads: 1,
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.phase === 'download' && e.loaded > 0) ctl.abort();
      },
    });
    const e = await rejection(() => p);
    assert.ok(e instanceof AbortError);
    assert.equal(e.name, 'AbortError');
    assert.equal(e.code, 'aborted');
    // Stalled inside the header (the size check before any weights): the abort still lands.
    const early = new AbortController();
    const stalled = loadModel(srv.url('/stall-header.gguf'), { threads: 1, signal: early.signal });
    setTimeout(() => early.abort(), 200);
    const e1 = await rejection(() => stalled);
    assert.equal(e1.name, 'AbortError');
    const pre = new AbortController();
    pre.abort();
    const e2 = await rejection(() => loadModel(STORIES, { threads: 1, signal: pre.signal }));
    assert.equal(e2.name, 'AbortError');
  } finally {
    await srv.close();
  }
});

test('dispose frees the model; later calls fail with a typed error', async () => {
  const model = await loadModel(STORIES, { threads: 1 });
  await model.dispose();
  await model.dispose(); // idempotent
  assert.throws(
    () => model.generate('x'),
    (e) => e instanceof WasmChordError && e.code === 'invalid_argument',
  );
  const e = await rejection(() => model.tokenize('x'));
  assert.equal(e.code, 'invalid_argument');
});

test('pthreads build: threads: 2 loads the mt flavour and matches single-thread greedy output', async () => {
  const st = track(await loadModel(STORIES, { threads: 1 }));
  const mt = track(await loadModel(STORIES, { threads: 2 }));
  assert.equal(mt.info.wasm, 'mt');
  assert.equal(mt.info.threads, 2);
  assert.equal(await greedyText(mt, 48), await greedyText(st, 48));
});
