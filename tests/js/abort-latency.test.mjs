// Abort latency: how soon an AbortSignal turns into an AbortError rejection while a model
// downloads (slow local HTTP server), loads, prefills a long prompt and decodes; printed as a
// table, each bounded, and the model still reproduces the greedy golden text afterwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AbortError, loadModel } from 'wasm-chord';
import { GOLDEN_TEXT, GREEDY, STORIES, serve } from './helpers.mjs';

const BOUND_MS = 500;
const goldenText = readFileSync(GOLDEN_TEXT, 'utf8');
const rows = [];
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1, contextLength: 2048 });
});
after(async () => {
  await model?.dispose();
  const lines = ['abort latency (ms from abort() to the AbortError rejection):'];
  for (const r of rows) lines.push(`  ${r.phase.padEnd(9)} ${r.ms.toFixed(2).padStart(8)} ms   ${r.note}`);
  console.log(lines.join('\n'));
});

/** Runs `start(signal)`, calls abort() when `arm(abort)` decides; returns ms from abort to rejection. */
async function abortLatency(start, arm) {
  const ctl = new AbortController();
  let tAbort;
  const abort = () => {
    if (tAbort === undefined) {
      tAbort = performance.now();
      ctl.abort();
    }
  };
  arm(abort);
  let err;
  try {
    await start(ctl.signal, abort);
  } catch (e) {
    err = e;
  }
  const tReject = performance.now();
  assert.ok(tAbort !== undefined, 'abort() was called');
  assert.ok(err instanceof AbortError, `expected AbortError, got ${err}`);
  assert.equal(err.name, 'AbortError');
  return tReject - tAbort;
}

async function stillGolden(m) {
  const r = await m.complete('', { ...GREEDY, maxTokens: 40 });
  assert.ok(r.text.length > 50);
  assert.ok(goldenText.startsWith(r.text), `greedy text after the abort: ${JSON.stringify(r.text)}`);
}

test('download: a slowly streamed GGUF aborts promptly and the connection is dropped', async () => {
  const bytes = readFileSync(STORIES);
  const CHUNK = 8 << 10;
  let sent = 0;
  let closedAt;
  const timers = new Set();
  const srv = await serve({
    '/slow.gguf': {
      handler(req, res) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) });
        res.on('close', () => {
          closedAt = performance.now();
        });
        const tick = () => {
          if (res.destroyed) return;
          if (sent >= bytes.byteLength) {
            res.end();
            return;
          }
          res.write(bytes.subarray(sent, sent + CHUNK));
          sent += CHUNK;
          const t = setTimeout(() => {
            timers.delete(t);
            tick();
          }, 10);
          timers.add(t);
        };
        tick();
      },
    },
  });
  try {
    let seenBytes = 0;
    let tAbort;
    const ms = await abortLatency(
      (signal, abort) =>
        loadModel(srv.url('/slow.gguf'), {
          threads: 1,
          signal,
          onProgress: (e) => {
            if (e.phase !== 'download') return;
            seenBytes = e.loaded;
            if (e.loaded >= 256 << 10) {
              tAbort ??= performance.now();
              abort();
            }
          },
        }),
      () => {},
    );
    assert.ok(seenBytes < bytes.byteLength, 'aborted before the download finished');
    rows.push({
      phase: 'download',
      ms,
      note: `after ${(seenBytes / 1024).toFixed(0)} of ${(bytes.byteLength / 1024).toFixed(0)} KiB (8 KiB / 10 ms)`,
    });
    assert.ok(ms < BOUND_MS, `download abort took ${ms} ms`);
    // the client dropped the connection: the server stops sending soon after
    const deadline = performance.now() + 2000;
    while (closedAt === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closedAt !== undefined, 'the HTTP response was closed by the aborted client');
    assert.ok(sent < bytes.byteLength, 'the server did not have to send the whole file');
  } finally {
    for (const t of timers) clearTimeout(t);
    await srv.close();
  }
});

test('load: abort at the first load progress event (local file)', async () => {
  let note = '';
  const ms = await abortLatency(
    (signal, abort) =>
      loadModel(STORIES, {
        threads: 1,
        signal,
        onProgress: (e) => {
          if (e.phase === 'load' && note === '') {
            note = `at load progress ${e.loaded}/${e.total} bytes; the GGUF parse itself is one synchronous wasm call`;
            abort();
          }
        },
      }),
    () => {},
  );
  rows.push({ phase: 'load', ms, note });
  assert.ok(ms < BOUND_MS, `load abort took ${ms} ms`);
});

test('prefill: abort 5 ms into a ~1500-token prompt, then the model still works', async () => {
  const sentence = 'Once upon a time there was a little girl named Lily who loved to play outside. ';
  const promptA = sentence.repeat(58);
  const promptB = `The dog ran. ${promptA}`; // differs early, so no prompt-cache reuse between them
  const n = (await model.tokenize(promptA)).length;
  assert.ok(n >= 1400 && n <= 1900, `prompt is ${n} tokens`);
  // reference: how long a full prefill of a prompt this long takes
  const t0 = performance.now();
  const ref = await model.complete(promptB, { ...GREEDY, maxTokens: 1 });
  const fullMs = performance.now() - t0;
  assert.ok(ref.usage.promptTokens >= n);
  let tStart;
  let late = 0;
  const ms = await abortLatency(
    async (signal) => {
      tStart = performance.now();
      const stream = model.generate(promptA, { ...GREEDY, maxTokens: 8, signal });
      for await (const c of stream) assert.fail(`a token arrived before the abort: ${c.token}`);
    },
    (abort) => {
      const tArm = performance.now();
      setTimeout(() => {
        late = performance.now() - tArm - 5;
        abort();
      }, 5);
    },
  );
  rows.push({
    phase: 'prefill',
    ms,
    note:
      `${n}-token prompt, contextLength 2048, abort 5 ms after start; the timer fired ${late.toFixed(1)} ms late ` +
      `(a prompt batch blocks the event loop); a full prefill takes ${fullMs.toFixed(0)} ms`,
  });
  assert.ok(ms < BOUND_MS, `prefill abort took ${ms} ms`);
  assert.ok(ms + late < BOUND_MS, `prefill abort took ${ms + late} ms counting the late timer`);
  await stillGolden(model);
});

test('decode: abort mid-stream, then the model still works', async () => {
  let got = 0;
  const ms = await abortLatency(
    async (signal, abort) => {
      for await (const c of model.generate('', { ...GREEDY, maxTokens: 400, signal })) {
        assert.equal(typeof c.text, 'string');
        if (++got === 50) abort();
      }
    },
    () => {},
  );
  rows.push({ phase: 'decode', ms, note: `abort after ${got} of up to 400 streamed tokens` });
  assert.ok(ms < BOUND_MS, `decode abort took ${ms} ms`);
  assert.equal(got, 50, 'no chunk arrived after abort()');
  await stillGolden(model);
});
