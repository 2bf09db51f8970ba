// Log-probabilities: generate({logprobs, topLogprobs}) and OpenAI's logprobs / top_logprobs in
// chat completions (JS API and server, streaming and not, the official `openai` client) report the
// model's distribution, equal to llama.cpp's n_probs (llama.node at temperature 1, nothing
// truncated: the softmax of the logits) along llama.cpp's own continuation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Oracle } from '../../scripts/lib/llama-oracle.mjs';
import { STORIES, serveModel } from './helpers.mjs';

let served;
let model;
let client;
before(async () => {
  ({ model, client } = served = await serveModel());
});
after(async () => {
  await served?.close();
});

test("top logprobs equal llama.cpp's probabilities along its continuation", async () => {
  const oracle = await new Oracle(STORIES, { n_ctx: 256 }).open();
  try {
    const n = 12;
    const k = 5;
    const ref = await oracle.sample('Once upon a time', n, k, 7);
    let compared = 0;
    for (let pos = 0; pos < n; ++pos) {
      // Our distribution after the same prefix (the KV prefix is reused between these calls).
      const r = await model.complete([...ref.prompt, ...ref.gen.slice(0, pos)], { maxTokens: 1, temperature: 0, topLogprobs: k });
      const ours = r.logprobs[0].top;
      assert.equal(ours.length, k);
      assert.ok(
        ours.every((t, i) => i === 0 || t.logprob <= ours[i - 1].logprob),
        'best first',
      );
      assert.equal(r.logprobs[0].sampled.token, ours[0].token, 'greedy samples the top token');
      for (const { piece, p } of ref.probs[pos]) {
        const mine = ours.find((t) => t.text === piece);
        if (!mine) {
          assert.ok(p < ours[k - 1].logprob + 1e-3 || p < 0.02, `llama.cpp's '${piece}' (${p}) is missing at ${pos}`);
          continue;
        }
        assert.ok(Math.abs(Math.exp(mine.logprob) - p) < 2e-3, `'${piece}' at ${pos}: ${Math.exp(mine.logprob)} vs ${p}`);
        ++compared;
      }
    }
    assert.ok(compared >= n * (k - 1), `compared ${compared} candidates`);
  } finally {
    await oracle.close();
  }
});

test('generate(): logprobs on chunks and the result; the sampled token among the top', async () => {
  const s = model.generate('Once upon a time', { maxTokens: 8, temperature: 1, seed: 3, logprobs: true, topLogprobs: 3 });
  const chunks = [];
  for await (const c of s) chunks.push(c);
  const r = await s.result;
  assert.equal(r.logprobs.length, r.tokens.length);
  chunks.forEach((c, i) => {
    assert.deepEqual(c.logprobs, r.logprobs[i]);
    assert.equal(c.logprobs.sampled.token, c.token);
    assert.ok(c.logprobs.sampled.logprob <= 0);
    assert.equal(c.logprobs.top.length, 3);
    assert.ok(c.logprobs.sampled.logprob <= c.logprobs.top[0].logprob);
    const inTop = c.logprobs.top.find((t) => t.token === c.token);
    if (inTop) assert.equal(inTop.logprob, c.logprobs.sampled.logprob);
    assert.equal(Buffer.from(c.logprobs.sampled.bytes).toString(), c.logprobs.sampled.text);
  });
  const plain = await model.complete('Once upon a time', { maxTokens: 2 });
  assert.equal(plain.logprobs, undefined, 'off by default');
  assert.equal((await model.complete('x', { maxTokens: 1, logprobs: true })).logprobs[0].top.length, 0);
  assert.throws(
    () => model.generate('x', { topLogprobs: 101 }),
    (e) => e.code === 'invalid_argument',
  );
});

test('the openai client: logprobs in chat completions, streaming and not', async () => {
  const req = {
    model: 'stories',
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 6,
    temperature: 0,
    logprobs: true,
    top_logprobs: 2,
  };
  const full = await client.chat.completions.create(req);
  const content = full.choices[0].logprobs.content;
  assert.equal(full.choices[0].finish_reason, 'length');
  assert.equal(content.length, full.usage.completion_tokens);
  assert.equal(
    content
      .map((c) => c.token)
      .join('')
      .trim(),
    full.choices[0].message.content.trim(),
  );
  for (const c of content) {
    assert.equal(c.top_logprobs.length, 2);
    assert.equal(c.top_logprobs[0].token, c.token, 'greedy: the sampled token is the most likely');
    assert.equal(c.top_logprobs[0].logprob, c.logprob);
  }
  const stream = await client.chat.completions.create({ ...req, stream: true });
  const streamed = [];
  for await (const ch of stream) streamed.push(...(ch.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(streamed, content);
  const none = await client.chat.completions.create({ ...req, logprobs: undefined, top_logprobs: undefined });
  assert.equal(none.choices[0].logprobs, null);
});

test('the openai client: legacy completions logprobs, streaming and not', async () => {
  const req = { model: 'stories', prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logprobs: 2 };
  const full = await client.completions.create(req);
  const lp = full.choices[0].logprobs;
  assert.equal(lp.tokens.length, full.usage.completion_tokens);
  assert.equal(lp.tokens.join(''), full.choices[0].text);
  const direct = await model.complete('Once upon a time', { maxTokens: 6, temperature: 0, topLogprobs: 2 });
  assert.deepEqual(
    lp.token_logprobs,
    direct.logprobs.map((l) => l.sampled.logprob),
  );
  let offset = 0;
  lp.tokens.forEach((t, i) => {
    assert.equal(lp.text_offset[i], offset);
    offset += t.length;
    const top = Object.entries(lp.top_logprobs[i]);
    assert.ok(top.length >= 1 && top.length <= 2);
    assert.equal(Math.max(...top.map(([, v]) => v)), lp.token_logprobs[i], 'greedy: the sampled token is the most likely');
  });
  const streamed = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for await (const ch of await client.completions.create({ ...req, stream: true })) {
    const l = ch.choices[0]?.logprobs;
    if (l) for (const k of Object.keys(streamed)) streamed[k].push(...l[k]);
  }
  assert.deepEqual(streamed, lp);
  const none = await client.completions.create({ ...req, logprobs: undefined });
  assert.equal(none.choices[0].logprobs, null);
  await assert.rejects(client.completions.create({ ...req, echo: true }), (e) => e.status === 400 && /echo/.test(e.message));
  await assert.rejects(client.completions.create({ ...req, logprobs: 21 }), (e) => e.status === 400);
});
