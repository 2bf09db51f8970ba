// `wasm-chord serve` under load: 50 concurrent streaming clients, about a third of them
// disconnecting at random points (while queued or mid-stream). Every surviving stream is complete,
// well-formed and equals the greedy text; the server stays up and its /health counters add up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { rng } from '../../scripts/bench/bench-prompt.mjs';
import { STORIES, readSse, spawnServer } from './helpers.mjs';

const CLIENTS = 50;

/** Streams one /v1/completions request; with `dropAfter` events (or `dropAtMs`), aborts the request. */
async function client(url, body, { dropAfter, dropAtMs } = {}) {
  const ctl = new AbortController();
  const timer = dropAtMs === undefined ? undefined : setTimeout(() => ctl.abort(), dropAtMs);
  const events = [];
  let responded = false; // the server sent response headers (it has the request in a turn)
  try {
    const res = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: ctl.signal,
    });
    responded = true;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const reader = res.body.getReader();
    const rest = await readSse(reader, (ev) => events.push(ev) >= (dropAfter ?? Infinity));
    if (rest === null) {
      ctl.abort();
      await reader.cancel().catch(() => {});
      return { dropped: true, responded, events };
    }
    return { dropped: false, responded, events, rest };
  } catch (e) {
    if (ctl.signal.aborted) return { dropped: true, responded, events };
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

let srv;
let model;

before(async () => {
  [srv, model] = await Promise.all([spawnServer(), loadModel(STORIES, { threads: 1 })]);
});
after(async () => {
  await model?.dispose();
  if (srv) {
    const { code, signal } = await srv.stop();
    assert.ok(code === 0 || signal === 'SIGTERM', `clean shutdown: ${code} ${signal}`);
  }
});

test(`${CLIENTS} concurrent streaming clients, a third disconnecting at random points`, { timeout: 60000 }, async () => {
  const health0 = await (await fetch(`${srv.url}/health`)).json();
  assert.deepEqual(health0.stats, { completed: 0, aborted: 0, dropped: 0, failed: 0 });
  const rand = rng(0xc0ffee);
  const prompts = ['Once upon a time', 'The little dog', 'Lily wanted to', 'One day, a big', 'Tom and his mom'];
  const plans = [];
  for (let i = 0; i < CLIENTS; ++i) {
    const plan = { prompt: prompts[i % prompts.length], maxTokens: 4 + Math.floor(rand() * 13) };
    if (i % 3 === 1) {
      // disconnect while queued (a timer) or part-way through the stream (after 1..4 events)
      if (rand() < 0.4) plan.dropAtMs = Math.floor(rand() * 150);
      else plan.dropAfter = 1 + Math.floor(rand() * 4);
    }
    plans.push(plan);
  }
  const t0 = performance.now();
  const results = await Promise.all(
    plans.map((p) =>
      client(
        srv.url,
        {
          model: 'stories260K',
          prompt: p.prompt,
          max_tokens: p.maxTokens,
          temperature: 0,
          stream: true,
        },
        p,
      ),
    ),
  );
  const wallMs = performance.now() - t0;

  const expected = new Map();
  let survivors = 0;
  let dropped = 0;
  let droppedAfterHeaders = 0;
  for (const [i, r] of results.entries()) {
    const p = plans[i];
    if (r.dropped) {
      dropped++;
      if (r.responded) droppedAfterHeaders++;
      continue;
    }
    survivors++;
    // a client planned to drop may have got its whole stream first: then it is checked like the rest
    assert.equal(r.rest, '', `client ${i}: no partial event at the end`);
    assert.equal(r.events.at(-1), '[DONE]', `client ${i}: the stream ends with [DONE]`);
    assert.equal(r.events.filter((e) => e === '[DONE]').length, 1);
    const chunks = r.events.slice(0, -1);
    assert.ok(chunks.length >= 1);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, `client ${i}: one id`);
    for (const c of chunks) assert.equal(c.object, 'text_completion');
    const withChoice = chunks.filter((c) => c.choices.length === 1);
    const finishes = withChoice.filter((c) => c.choices[0].finish_reason !== null);
    assert.equal(finishes.length, 1, `client ${i}: one finish_reason`);
    assert.equal(finishes[0], withChoice.at(-1), `client ${i}: the finish chunk comes last`);
    assert.ok(['length', 'stop'].includes(finishes[0].choices[0].finish_reason));
    const text = withChoice.map((c) => c.choices[0].text).join('');
    const key = `${p.prompt}/${p.maxTokens}`;
    if (!expected.has(key)) expected.set(key, (await model.complete(p.prompt, { maxTokens: p.maxTokens, temperature: 0 })).text);
    assert.equal(text, expected.get(key), `client ${i}: the greedy text`);
  }
  assert.equal(survivors + dropped, CLIENTS);
  assert.ok(dropped >= 10, `about a third disconnected (${dropped})`);

  // The server is still up and serving, and its counters settle to a consistent total: every
  // request that got response headers is counted once. A client that disconnects while queued
  // may do so before the server read its request (then no counter can see it), so the total
  // is bounded by the number of clients rather than equal to it.
  assert.equal(srv.child.exitCode, null, 'the server process is running');
  const mustCount = survivors + droppedAfterHeaders;
  const total = (s) => s.completed + s.aborted + s.dropped + s.failed;
  const t1 = Date.now();
  let h;
  for (;;) {
    h = await (await fetch(`${srv.url}/health`)).json();
    if (total(h.stats) >= mustCount && h.queue.running === 0 && h.queue.waiting === 0) break;
    assert.ok(Date.now() - t1 < 5000, `the /health counters did not settle: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 200)); // late disconnect handling would show up here
  h = await (await fetch(`${srv.url}/health`)).json();
  assert.ok(
    total(h.stats) >= mustCount && total(h.stats) <= CLIENTS,
    `counters ${JSON.stringify(h.stats)} vs ${mustCount}..${CLIENTS} requests`,
  );
  assert.deepEqual(h.queue, { running: 0, waiting: 0 });
  assert.equal(h.status, 'ok');
  assert.equal(h.stats.failed, 0);
  assert.ok(h.stats.completed >= survivors, `every surviving stream counted as completed: ${JSON.stringify(h.stats)}`);
  assert.ok(
    h.stats.aborted + h.stats.dropped <= dropped,
    `only disconnected clients counted as aborted/dropped: ${JSON.stringify(h.stats)}`,
  );
  const models = await fetch(`${srv.url}/v1/models`);
  assert.equal(models.status, 200);
  assert.equal((await models.json()).data[0].id, 'stories260K');
  const fin = await (
    await fetch(`${srv.url}/v1/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'stories260K', prompt: 'Once upon a time', max_tokens: 8, temperature: 0 }),
    })
  ).json();
  assert.equal(fin.choices[0].text, (await model.complete('Once upon a time', { maxTokens: 8, temperature: 0 })).text);
  console.log(
    `server under load: ${CLIENTS} clients in ${wallMs.toFixed(0)} ms, ${survivors} complete streams, ${dropped} disconnected (${droppedAfterHeaders} after response headers); ` +
      `/health stats ${JSON.stringify(h.stats)}`,
  );
});
