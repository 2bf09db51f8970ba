// A context too long for the heap is refused from the model's header alone, before the weights are
// downloaded or read (js/src/preflight.ts): over HTTP with Range (bytes served counted), from a
// server that ignores Range, from a Blob; a context that fits still loads as usual.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadModel, WasmChordError } from 'wasm-chord';
import { GREEDY, STORIES, disposeAfterEach, kvString, parseGguf, rejection, writeGguf } from './helpers.mjs';

const track = disposeAfterEach();

// stories260K plus a 24 MiB tensor the model does not use, so the weights dwarf the header and the
// first Range request (4 MiB) cannot be the whole file.
const g = parseGguf(new Uint8Array(readFileSync(STORIES)));
const PAD = 24 << 20;
const MODEL = writeGguf({
  kvs: g.kvs,
  tensors: [...g.tensors, { name: 'unused.pad', ne: [PAD / 4], type: 0, data: new Uint8Array(PAD) }],
  alignment: g.alignment,
});
// 2^20 + 1 tokens: over the runtime's limit whatever the model (Context::plan).
const TOO_LONG = (1 << 20) + 1;

/** A server of MODEL; `range` false ignores Range headers. Counts the bytes it wrote and the
 *  requests without a Range header. */
async function modelServer({ range }) {
  const { createServer } = await import('node:http');
  const stats = { bytes: 0, plain: 0, ranged: 0 };
  const server = createServer((req, res) => {
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '') : null;
    let start = 0;
    let end = MODEL.byteLength - 1;
    if (m) {
      start = Number(m[1]);
      if (m[2]) end = Math.min(end, Number(m[2]));
      res.writeHead(206, { 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${MODEL.byteLength}` });
      stats.ranged++;
    } else {
      res.writeHead(200, { 'content-length': String(MODEL.byteLength), 'accept-ranges': 'none' });
      if (req.headers.range === undefined) stats.plain++;
    }
    // 1 MiB writes, waiting for the socket: what a client stops reading is not counted as served.
    let at = start;
    const pump = () => {
      while (at <= end) {
        const chunk = MODEL.subarray(at, Math.min(end + 1, at + (1 << 20)));
        at += chunk.byteLength;
        stats.bytes += chunk.byteLength;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (at = end + 1));
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    stats,
    url: `http://127.0.0.1:${server.address().port}/model.gguf`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

function assertTooLong(e) {
  assert.ok(e instanceof WasmChordError, String(e));
  assert.equal(e.code, 'out_of_memory');
  // The sizes, as Context::create words them.
  assert.match(e.message, new RegExp(`a context of ${TOO_LONG} tokens needs \\d+ MiB of KV cache \\+ \\d+ MiB of scratch`));
  assert.match(e.message, /beside the model's \d+ MiB \(\d+ bytes in all\)/);
}

test('a too-long context is refused over HTTP having read only the header (Range)', async () => {
  const srv = await modelServer({ range: true });
  try {
    const e = await rejection(() => loadModel(srv.url, { threads: 1, contextLength: TOO_LONG }));
    assertTooLong(e);
    assert.equal(srv.stats.plain, 0, 'no whole-file request');
    assert.ok(srv.stats.bytes <= 4 << 20, `${srv.stats.bytes} bytes served`);
    // The same server, a context that fits: the model loads and generates as from its path.
    srv.stats.bytes = 0;
    const model = track(await loadModel(srv.url, { threads: 1, contextLength: 256 }));
    assert.equal(model.info.contextLength, 256);
    assert.equal(model.info.fileBytes, MODEL.byteLength);
    assert.ok(srv.stats.bytes >= MODEL.byteLength);
    const fromPath = track(await loadModel(STORIES, { threads: 1, contextLength: 256 }));
    const opts = { ...GREEDY, maxTokens: 16 };
    assert.equal((await model.complete('Once', opts)).text, (await fromPath.complete('Once', opts)).text);
  } finally {
    await srv.close();
  }
});

test('a server that ignores Range: still refused before the download, and a fitting load works', async () => {
  const srv = await modelServer({ range: false });
  try {
    const e = await rejection(() => loadModel(srv.url, { threads: 1, contextLength: TOO_LONG }));
    assertTooLong(e);
    // The body was abandoned after the header: far from the whole file went out.
    assert.ok(srv.stats.bytes < MODEL.byteLength / 2, `${srv.stats.bytes} of ${MODEL.byteLength} bytes served`);
    const model = track(await loadModel(srv.url, { threads: 1, contextLength: 256 }));
    assert.equal(model.info.fileBytes, MODEL.byteLength);
    assert.equal(model.info.contextLength, 256);
  } finally {
    await srv.close();
  }
});

test('a Blob: refused from a slice of its header, its stream never read', async () => {
  let streamed = 0;
  const blob = new Blob([MODEL]);
  blob.stream = () => {
    streamed++;
    return Blob.prototype.stream.call(blob);
  };
  const e = await rejection(() => loadModel(blob, { threads: 1, contextLength: TOO_LONG }));
  assertTooLong(e);
  assert.equal(streamed, 0);
  const model = track(await loadModel(blob, { threads: 1, contextLength: 256 }));
  assert.equal(streamed, 1);
  assert.equal(model.info.fileBytes, MODEL.byteLength);
});

test('an unsupported architecture is named before the download too', async () => {
  const kvs = g.kvs.map((kv) => (kv.key === 'general.architecture' ? kvString(kv.key, 'mamba') : kv));
  const bytes = writeGguf({ kvs, tensors: g.tensors, alignment: g.alignment });
  let streamed = 0;
  const blob = new Blob([bytes]);
  blob.stream = () => {
    streamed++;
    return Blob.prototype.stream.call(blob);
  };
  const e = await rejection(() => loadModel(blob, { threads: 1 }));
  assert.equal(e.code, 'unsupported');
  assert.match(e.message, /architecture 'mamba' is not supported/);
  assert.equal(streamed, 0);
});
