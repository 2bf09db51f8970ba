// `wasm-chord serve` as clients use it: a real server process on 127.0.0.1, the official `openai`
// client (chat and completions, streaming and not, response_format JSON), raw SSE clients in parallel (well-formed
// streams, usage, FIFO turns), clients that disconnect mid-stream or while queued, 400/404/405/413
// with OpenAI-style error bodies, CORS, API keys and a clean shutdown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { loadModel } from 'wasm-chord';
import { BIN, GOLDEN_JSON, STORIES, readSse, schemaErrors, spawnServer } from './helpers.mjs';

const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const MODEL_ID = 'stories260K';

/** POSTs JSON and reads a Server-Sent Events response, checking the framing of every event. */
async function sse(url, body, { signal, onEvent } = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
  const events = [];
  const times = [];
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { res, events, times, json: await res.json() };
  const rest = await readSse(res.body.getReader(), (ev) => {
    events.push(ev);
    times.push(performance.now());
    onEvent?.(ev, events.length);
  });
  assert.equal(rest, '', 'no partial event at the end');
  return { res, events, times };
}

async function health(url) {
  return (await fetch(`${url}/health`)).json();
}

async function waitFor(url, pred, what, timeout = 5000) {
  const t0 = Date.now();
  for (;;) {
    const h = await health(url);
    if (pred(h)) return h;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Checks a chat/completions chunk stream: one id, one finish chunk, [DONE] last; returns the text. */
function checkStream(events, object, { includeUsage = false } = {}) {
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(events.filter((e) => e === '[DONE]').length, 1);
  const chunks = events.slice(0, -1);
  assert.ok(chunks.length >= 2);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1);
  for (const c of chunks) {
    assert.equal(c.object, object);
    assert.equal(c.model, MODEL_ID);
  }
  const withChoices = chunks.filter((c) => c.choices.length === 1);
  const finishes = withChoices.filter((c) => c.choices[0].finish_reason !== null);
  assert.equal(finishes.length, 1);
  assert.equal(finishes[0], withChoices.at(-1), 'the finish chunk is the last with a choice');
  let usage;
  if (includeUsage) {
    assert.equal(chunks.at(-1).choices.length, 0);
    usage = chunks.at(-1).usage;
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  } else {
    usage = finishes[0].usage;
    assert.ok(withChoices.slice(0, -1).every((c) => c.usage === null));
  }
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  const text = withChoices
    .map((c) => (object === 'chat.completion.chunk' ? (c.choices[0].delta.content ?? '') : c.choices[0].text))
    .join('');
  return { text, usage, finish: finishes[0].choices[0].finish_reason, id: [...ids][0] };
}

let srv;
let client;
let model;
const expected = new Map();

/** The text the package itself gives for a chat request (greedy). */
async function expectChat(messages, maxTokens) {
  const key = JSON.stringify([messages, maxTokens]);
  if (!expected.has(key)) {
    const r = await model.chat.completions.create({ messages, max_tokens: maxTokens, temperature: 0 });
    expected.set(key, {
      text: r.choices[0].message.content,
      promptTokens: r.usage.prompt_tokens,
      completionTokens: r.usage.completion_tokens,
    });
  }
  return expected.get(key);
}

async function expectCompletion(prompt, maxTokens) {
  const r = await model.complete(prompt, { maxTokens, temperature: 0 });
  return { text: r.text, tokens: r.tokens, promptTokens: r.usage.promptTokens };
}

before(async () => {
  [srv, model] = await Promise.all([spawnServer(), loadModel(STORIES, { threads: 1 })]);
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30000 });
});

after(async () => {
  await model?.dispose();
  if (srv) {
    const { code } = await srv.stop();
    assert.equal(code, 0, srv.stderr());
    assert.match(srv.stderr(), /SIGTERM, shutting down/);
  }
});

describe('the openai client', () => {
  test('models.list / retrieve', async () => {
    const list = await client.models.list();
    assert.deepEqual(
      list.data.map((m) => m.id),
      [MODEL_ID],
    );
    assert.equal(list.data[0].object, 'model');
    assert.equal(list.data[0].meta.n_params, model.info.parameterCount);
    assert.equal((await client.models.retrieve(MODEL_ID)).id, MODEL_ID);
    await assert.rejects(client.models.retrieve('gpt-4o'), (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
  });

  test('chat.completions.create, non-streaming', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Tell me a story about a cat.' },
    ];
    const r = await client.chat.completions.create({ model: 'anything', messages, max_tokens: 16, temperature: 0 });
    const want = await expectChat(messages, 16);
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, MODEL_ID);
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.content, want.text);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.prompt_tokens, want.promptTokens);
    assert.equal(r.usage.completion_tokens, 16);
    assert.equal(r.usage.total_tokens, want.promptTokens + 16);
  });

  test('chat.completions.create, streaming (with and without include_usage)', async () => {
    const messages = [{ role: 'user', content: 'Once upon a time' }];
    const want = await expectChat(messages, 20);
    for (const includeUsage of [false, true]) {
      const stream = await client.chat.completions.create({
        model: MODEL_ID,
        messages,
        max_tokens: 20,
        temperature: 0,
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      const { text, usage, finish } = checkStream([...chunks, '[DONE]'], 'chat.completion.chunk', { includeUsage });
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(text, want.text);
      assert.equal(finish, 'length');
      assert.equal(usage.prompt_tokens, want.promptTokens);
      assert.equal(usage.completion_tokens, 20);
    }
  });

  test('completions.create: greedy from BOS is the golden text; streaming; echo', async () => {
    const r = await client.completions.create({ model: MODEL_ID, prompt: '', max_tokens: 100, temperature: 0 });
    assert.equal(r.object, 'text_completion');
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.choices[0].text, (await expectCompletion('', 100)).text);
    assert.ok(golden.text.startsWith(r.choices[0].text) && r.choices[0].text.length > 200);
    assert.deepEqual([r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens], [1, 100, 101]);
    assert.equal(r.choices[0].finish_reason, 'length');

    const stream = await client.completions.create({ model: MODEL_ID, prompt: '', max_tokens: 100, temperature: 0, stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const s = checkStream([...chunks, '[DONE]'], 'text_completion');
    assert.equal(s.text, r.choices[0].text);
    assert.equal(s.usage.completion_tokens, 100);

    const echo = await client.completions.create({
      model: MODEL_ID,
      prompt: 'Once upon a time',
      max_tokens: 30,
      temperature: 0,
      echo: true,
    });
    assert.ok(echo.choices[0].text.startsWith('Once upon a time,'));
    assert.ok(golden.text.startsWith(echo.choices[0].text));
    // the default max_tokens of completions is OpenAI's 16
    assert.equal((await client.completions.create({ model: MODEL_ID, prompt: 'Once', temperature: 0 })).usage.completion_tokens, 16);
  });

  test('a client that aborts its stream leaves the server working', async () => {
    const before = (await health(srv.url)).stats;
    const stream = await client.chat.completions.create({
      model: MODEL_ID,
      messages: [{ role: 'user', content: 'Go on' }],
      max_tokens: 1800,
      stream: true,
      temperature: 0,
    });
    let n = 0;
    for await (const _ of stream) if (++n === 5) break; // breaking out aborts the request
    const h = await waitFor(srv.url, (x) => x.queue.running === 0, 'the aborted generation to stop');
    assert.equal(h.stats.aborted, before.aborted + 1);
    const messages = [{ role: 'user', content: 'Hello' }];
    const r = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, temperature: 0 });
    assert.equal(r.choices[0].message.content, (await expectChat(messages, 12)).text);
  });

  test('response_format json_schema / json_object: JSON that parses and validates, streamed and not', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 16 },
        age: { type: 'integer', minimum: 0, maximum: 120 },
        tags: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 2 },
      },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const messages = [{ role: 'user', content: 'Who is Lily? Answer in JSON.' }];
    const params = {
      model: MODEL_ID,
      messages,
      max_tokens: 96,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    };
    const r = await client.chat.completions.create(params);
    assert.equal(r.choices[0].finish_reason, 'stop');
    const content = r.choices[0].message.content;
    assert.deepEqual(schemaErrors(schema, JSON.parse(content)), [], content);
    const stream = await client.chat.completions.create({ ...params, stream: true });
    let streamed = '';
    for await (const c of stream) streamed += c.choices[0]?.delta?.content ?? '';
    assert.equal(streamed, content);
    for (const seed of [1, 2]) {
      // sampled: still valid
      const s = await client.chat.completions.create({ ...params, temperature: 1, seed, max_tokens: 160 });
      if (s.choices[0].finish_reason === 'stop') assert.deepEqual(schemaErrors(schema, JSON.parse(s.choices[0].message.content)), []);
    }
    const obj = await client.chat.completions.create({
      model: MODEL_ID,
      messages,
      max_tokens: 64,
      temperature: 0,
      response_format: { type: 'json_object' },
    });
    const text = obj.choices[0].message.content;
    assert.ok(text.startsWith('{'), text);
    if (obj.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
    await assert.rejects(
      client.chat.completions.create({
        ...params,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'strin' } } },
      }),
      (e) => e instanceof OpenAI.BadRequestError && /unrecognized schema/.test(e.message),
    );
  });

  test('bad requests reject with BadRequestError carrying param and code', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: MODEL_ID, messages: [] }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'messages' && e.code === 'invalid_value',
    );
    await assert.rejects(
      client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }], n: 3 }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'n' && e.code === 'unsupported',
    );
  });
});

describe('raw HTTP', () => {
  test('POST /v1/generate streams one event per token: the golden ids, then a summary and [DONE]', async () => {
    const { res, events } = await sse(`${srv.url}/v1/generate`, { prompt: '', max_tokens: 60, temperature: 0 });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(events.at(-1), '[DONE]');
    const tokens = events.slice(0, -2);
    assert.deepEqual(
      tokens.map((e) => e.token),
      golden.generated.slice(0, 60),
    );
    const summary = events.at(-2);
    assert.equal(summary.done, true);
    assert.equal(summary.text, tokens.map((e) => e.text).join(''));
    assert.ok(golden.text.startsWith(summary.text));
    assert.equal(summary.finish_reason, 'length');
    assert.deepEqual([summary.usage.prompt_tokens, summary.usage.completion_tokens], [1, 60]);
    assert.ok(summary.timings.total_ms >= summary.timings.prompt_ms);
    // token ids as the prompt, and the non-streaming form
    const ids = await sse(`${srv.url}/v1/generate`, { prompt: [1], max_tokens: 10, temperature: 0 });
    assert.deepEqual(
      ids.events.slice(0, -2).map((e) => e.token),
      golden.generated.slice(0, 10),
    );
    const whole = await sse(`${srv.url}/v1/generate`, { prompt: '', max_tokens: 10, temperature: 0, stream: false });
    assert.deepEqual(whole.json.tokens, golden.generated.slice(0, 10));
  });

  test('several concurrent clients: every stream complete and well-formed, run one at a time', async () => {
    const chat = (content, n) => ({
      path: '/v1/chat/completions',
      body: { messages: [{ role: 'user', content }], max_tokens: n, temperature: 0, stream: true },
    });
    const reqs = [
      chat('Hello', 30),
      { path: '/v1/completions', body: { prompt: 'Once upon a time', max_tokens: 40, temperature: 0, stream: true } },
      chat('Tell me about the park', 25),
      { path: '/v1/generate', body: { prompt: 'The dog', max_tokens: 35, temperature: 0 } },
      {
        path: '/v1/completions',
        body: { prompt: 'Lily', max_tokens: 20, temperature: 0, stream: true, stream_options: { include_usage: true } },
      },
      { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 15, temperature: 0 } },
    ];
    const want = await Promise.all(
      reqs.map(({ path, body }) =>
        path === '/v1/chat/completions' ? expectChat(body.messages, body.max_tokens) : expectCompletion(body.prompt, body.max_tokens),
      ),
    );
    const stats0 = (await health(srv.url)).stats;
    const results = await Promise.all(reqs.map(({ path, body }) => sse(`${srv.url}${path}`, body)));
    const turns = results.map((r) => Number(r.res.headers.get('x-wasm-chord-turn')));
    assert.deepEqual(
      [...turns].sort((a, b) => a - b),
      Array.from({ length: reqs.length }, (_, i) => Math.min(...turns) + i),
      'each request had its own turn',
    );
    results.forEach((r, i) => {
      const { path, body } = reqs[i];
      assert.equal(r.res.status, 200);
      if (path === '/v1/chat/completions' && !body.stream) {
        assert.equal(r.json.choices[0].message.content, want[i].text);
        assert.equal(r.json.usage.completion_tokens, body.max_tokens);
      } else if (path === '/v1/generate') {
        assert.deepEqual(
          r.events.slice(0, -2).map((e) => e.token),
          want[i].tokens,
        );
        assert.equal(r.events.at(-2).text, want[i].text);
      } else {
        const s = checkStream(r.events, path === '/v1/completions' ? 'text_completion' : 'chat.completion.chunk', {
          includeUsage: !!body.stream_options,
        });
        assert.equal(s.text, want[i].text, `${path} ${JSON.stringify(body)}`);
        assert.equal(s.usage.completion_tokens, body.max_tokens);
        assert.equal(s.usage.prompt_tokens, want[i].promptTokens);
      }
    });
    const stats1 = (await waitFor(srv.url, (h) => h.queue.running === 0, 'idle')).stats;
    assert.equal(stats1.completed, stats0.completed + reqs.length);
    assert.equal(stats1.failed, stats0.failed);
  });

  test('requests are served first come, first served', async () => {
    const long = sse(
      `${srv.url}/v1/generate`,
      { prompt: '', max_tokens: 2000, ignore_eos: true, temperature: 0 },
      {
        onEvent: (_e, n) => {
          if (n === 1) started();
        },
      },
    );
    let started;
    await new Promise((r) => {
      started = r;
    });
    const b = sse(`${srv.url}/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'B' }],
      max_tokens: 5,
      stream: true,
      temperature: 0,
    });
    await waitFor(srv.url, (h) => h.queue.waiting === 1, 'B to queue');
    const c = sse(`${srv.url}/v1/completions`, { prompt: 'C', max_tokens: 5, stream: true, temperature: 0 });
    await waitFor(srv.url, (h) => h.queue.waiting === 2, 'C to queue');
    const [ra, rb, rc] = await Promise.all([long, b, c]);
    const [ta, tb, tc] = [ra, rb, rc].map((r) => Number(r.res.headers.get('x-wasm-chord-turn')));
    assert.deepEqual([tb - ta, tc - ta], [1, 2]);
    assert.equal(ra.events.at(-2).usage.completion_tokens, 2000);
    assert.ok(rb.times[0] > ra.times.at(-1), 'B started after A ended');
    assert.ok(rc.times[0] > rb.times.at(-1), 'C started after B ended');
  });

  test('a client that disconnects mid-stream or while queued stops only its own request', async () => {
    const s0 = (await health(srv.url)).stats;
    // mid-stream: the generation is aborted, the queue moves on
    const ctl = new AbortController();
    await assert.rejects(
      sse(
        `${srv.url}/v1/generate`,
        { prompt: '', max_tokens: 2000, ignore_eos: true, temperature: 0 },
        {
          signal: ctl.signal,
          onEvent: (_e, n) => {
            if (n === 5) ctl.abort();
          },
        },
      ),
      { name: 'AbortError' },
    );
    let h = await waitFor(srv.url, (x) => x.queue.running === 0, 'the aborted generation to stop');
    assert.equal(h.stats.aborted, s0.aborted + 1);
    assert.equal(h.stats.completed, s0.completed);

    // while queued: B leaves the line without running; C runs right after A
    let started;
    const startedP = new Promise((r) => {
      started = r;
    });
    const a = sse(
      `${srv.url}/v1/generate`,
      { prompt: '', max_tokens: 1500, ignore_eos: true, temperature: 0 },
      {
        onEvent: (_e, n) => {
          if (n === 1) started();
        },
      },
    );
    await startedP;
    const bCtl = new AbortController();
    const b = sse(
      `${srv.url}/v1/chat/completions`,
      { messages: [{ role: 'user', content: 'B' }], max_tokens: 5, stream: true },
      { signal: bCtl.signal },
    );
    await waitFor(srv.url, (x) => x.queue.waiting === 1, 'B to queue');
    bCtl.abort();
    await assert.rejects(b, { name: 'AbortError' });
    h = await waitFor(srv.url, (x) => x.queue.waiting === 0, 'B to leave the queue');
    assert.equal(h.queue.running, 1, 'A is still running');
    const c = sse(`${srv.url}/v1/generate`, { prompt: '', max_tokens: 8, temperature: 0 });
    const [ra, rc] = await Promise.all([a, c]);
    assert.equal(Number(rc.res.headers.get('x-wasm-chord-turn')), Number(ra.res.headers.get('x-wasm-chord-turn')) + 1);
    assert.deepEqual(
      rc.events.slice(0, -2).map((e) => e.token),
      golden.generated.slice(0, 8),
    );

    // a non-streaming request whose client goes away is aborted too
    const nsCtl = new AbortController();
    const ns = fetch(`${srv.url}/v1/generate`, {
      method: 'POST',
      body: JSON.stringify({ prompt: '', max_tokens: 2000, ignore_eos: true, stream: false }),
      signal: nsCtl.signal,
    });
    await waitFor(srv.url, (x) => x.queue.running === 1, 'the request to start');
    nsCtl.abort();
    await assert.rejects(ns, { name: 'AbortError' });
    h = await waitFor(srv.url, (x) => x.queue.running === 0, 'the aborted request to stop');
    assert.equal(h.stats.aborted, s0.aborted + 2);
    assert.equal(h.stats.dropped, s0.dropped + 1);
    assert.equal(h.stats.failed, s0.failed);
  });

  test('bad requests get 400 with an OpenAI-style error body naming the field', async () => {
    const msg = [{ role: 'user', content: 'hi' }];
    const cases = [
      ['/v1/chat/completions', '{"messages": [', null, 'invalid_json'],
      ['/v1/chat/completions', '', null, null],
      ['/v1/chat/completions', '[1, 2]', null, null],
      ['/v1/chat/completions', {}, 'messages', 'missing_required_parameter'],
      ['/v1/chat/completions', { messages: 'hi' }, 'messages', 'invalid_type'],
      ['/v1/chat/completions', { messages: [] }, 'messages', 'invalid_value'],
      ['/v1/chat/completions', { messages: [{ content: 'hi' }] }, 'messages[0].role', 'invalid_type'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', 'invalid_type'],
      [
        '/v1/chat/completions',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
        'messages[0].content[0]',
        'unsupported',
      ],
      ['/v1/chat/completions', { messages: msg, temperature: 'hot' }, 'temperature', 'invalid_type'],
      ['/v1/chat/completions', { messages: msg, temperature: -1 }, 'temperature', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
      ['/v1/chat/completions', { messages: msg, max_tokens: -7 }, 'max_tokens', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, top_p: 3 }, 'top_p', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, stop: 7 }, 'stop', 'invalid_type'],
      ['/v1/chat/completions', { messages: msg, stream: 'yes' }, 'stream', 'invalid_type'],
      ['/v1/chat/completions', { messages: msg, stream_options: { include_usage: true } }, 'stream_options', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, logit_bias: { abc: 1 } }, 'logit_bias', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, functions: [{ name: 'f' }] }, 'functions', 'unsupported'],
      ['/v1/chat/completions', { messages: msg, response_format: { type: 'yaml' } }, 'response_format', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, response_format: { type: 'json_schema' } }, 'response_format', 'invalid_value'],
      ['/v1/chat/completions', { messages: msg, grammar: 'root ::= nope' }, null, null],
      ['/v1/chat/completions', { messages: msg, logit_bias: { 99999: 1 } }, null, null],
      ['/v1/completions', {}, 'prompt', 'missing_required_parameter'],
      ['/v1/completions', { prompt: { text: 'x' } }, 'prompt', 'invalid_type'],
      ['/v1/completions', { prompt: ['a', 'b'] }, 'prompt', 'unsupported'],
      ['/v1/completions', { prompt: 'x', best_of: 2 }, 'best_of', 'unsupported'],
      ['/v1/completions', { prompt: Array(3000).fill(300), stream: true }, null, 'context_length_exceeded'],
      ['/v1/generate', { prompt: 'x', seed: -5 }, 'seed', 'invalid_value'],
      ['/v1/generate', { prompt: 'x', ignore_eos: 1 }, 'ignore_eos', 'invalid_type'],
    ];
    const s0 = (await health(srv.url)).stats;
    for (const [path, body, param, code] of cases) {
      const res = await fetch(`${srv.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const what = `${path} ${typeof body === 'string' ? body : JSON.stringify(body).slice(0, 80)}`;
      assert.equal(res.status, 400, what);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      const { error } = await res.json();
      assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type'], what);
      assert.equal(error.type, 'invalid_request_error', what);
      assert.equal(typeof error.message, 'string');
      assert.ok(error.message.length > 5, what);
      assert.equal(error.param, param, what);
      if (code !== null) assert.equal(error.code, code, what);
    }
    const h = await health(srv.url);
    assert.equal(h.status, 'ok');
    assert.equal(h.stats.completed, s0.completed, 'no bad request generated anything');
  });

  test('unknown routes 404, wrong methods 405, CORS preflight, too-large bodies 413', async () => {
    for (const [method, path] of [
      ['GET', '/v2/models'],
      ['POST', '/v1/audio/speech'],
      ['GET', '/'],
    ]) {
      const res = await fetch(`${srv.url}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(res.status, 404, `${method} ${path}`);
      const { error } = await res.json();
      assert.equal(error.code, 'not_found');
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    }
    const wrong = await fetch(`${srv.url}/v1/chat/completions`);
    assert.equal(wrong.status, 405);
    assert.equal((await wrong.json()).error.code, 'method_not_allowed');
    const pre = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://example.org',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, x-stainless-os',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type, x-stainless-os');
    const big = await fetch(`${srv.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(5 << 20) }] }),
    });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, 'request_too_large');
    // without the /v1 prefix, as llama.cpp also answers
    const bare = await fetch(`${srv.url}/models`);
    assert.equal((await bare.json()).data[0].id, MODEL_ID);
  });
});

describe('options and shutdown', () => {
  test('--api-key, --alias and --cors-origin; SIGTERM mid-stream shuts down cleanly', async () => {
    const s = await spawnServer(['--api-key', 'sekret', '--alias', 'tiny', '--cors-origin', 'https://example.org', '-n', '7']);
    try {
      const denied = await fetch(`${s.url}/v1/models`);
      assert.equal(denied.status, 401);
      assert.equal((await denied.json()).error.code, 'invalid_api_key');
      assert.equal(denied.headers.get('access-control-allow-origin'), 'https://example.org');
      assert.equal((await fetch(`${s.url}/health`)).status, 200);
      await assert.rejects(new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list(), (e) => e.status === 401);
      const ok = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
      assert.deepEqual(
        (await ok.models.list()).data.map((m) => m.id),
        ['tiny'],
      );
      const r = await ok.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], temperature: 0 });
      assert.equal(r.model, 'tiny');
      assert.equal(r.usage.completion_tokens, 7, '-n sets the default max_tokens');

      // SIGTERM while a stream is running: the stream ends, the process exits 0
      const stream = await ok.chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: 'Go' }],
        max_tokens: 1800,
        stream: true,
      });
      let n = 0;
      const t0 = Date.now();
      const exited = (async () => {
        try {
          for await (const _ of stream) if (++n === 3) s.child.kill('SIGTERM');
        } catch {
          /* the server cut the stream: fine */
        }
      })();
      const [{ code }] = await Promise.all([new Promise((r) => s.child.on('exit', (c) => r({ code: c }))), exited]);
      assert.equal(code, 0, s.stderr());
      assert.ok(n >= 3 && n < 1800);
      assert.ok(Date.now() - t0 < 10000);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  test('a port in use is a one-line error with exit 1', async () => {
    const port = new URL(srv.url).port;
    const r = await new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'serve', '-m', STORIES, '--port', port, '-t', '1']);
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `wasm-chord: error: cannot listen on 127.0.0.1:${port}: the address is already in use\n`);
  });
});
