// POST /v1/embeddings through the official openai client on the in-process server: the client's
// default base64 transfer and explicit floats both give model.embed()'s vectors, lists and
// token-id inputs, usage, the pooling extension, and OpenAI-style 400s for bad requests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serveModel } from './helpers.mjs';

let s;
before(async () => {
  s = await serveModel();
});
after(async () => {
  await s.close();
});

const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('the openai client gets model.embed() vectors, as base64 (its default) or floats', async () => {
  const texts = ['Once upon a time', 'a big red ball'];
  const want = await s.model.embed(texts);
  for (const encoding_format of [undefined, 'float', 'base64']) {
    const r = await s.client.embeddings.create({ model: 'stories', input: texts, ...(encoding_format ? { encoding_format } : {}) });
    assert.equal(r.object, 'list');
    assert.equal(r.model, 'stories');
    assert.equal(r.data.length, 2);
    r.data.forEach((d, i) => {
      assert.equal(d.index, i);
      if (encoding_format === 'base64') {
        const b = Buffer.from(d.embedding, 'base64');
        d = { embedding: Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4)) };
      }
      assert.equal(d.embedding.length, s.model.info.nEmbd);
      assert.ok(maxDiff(d.embedding, want[i]) === 0, `${encoding_format}: exact float32 values`);
    });
    const n = (await s.model.tokenize(texts[0])).length + (await s.model.tokenize(texts[1])).length;
    assert.deepEqual(r.usage, { prompt_tokens: n, total_tokens: n });
  }
});

test('token-id input and the pooling extension', async () => {
  const ids = await s.model.tokenize('Lily went home');
  const [want] = await s.model.embed('Lily went home', { pooling: 'last' });
  const r = await s.client.embeddings.create({ model: 'stories', input: ids, encoding_format: 'float', pooling: 'last' });
  assert.ok(maxDiff(r.data[0].embedding, want) < 1e-6);
  const r2 = await s.client.embeddings.create({ model: 'stories', input: [ids, ids], encoding_format: 'float', pooling: 'last' });
  assert.equal(r2.data.length, 2);
});

test('bad requests are OpenAI-style 400s naming the field', async () => {
  const cases = [
    [{ model: 'stories' }, 'input'],
    [{ model: 'stories', input: [] }, 'input'],
    [{ model: 'stories', input: [{}] }, 'input'],
    [{ model: 'stories', input: 'x', encoding_format: 'hex' }, 'encoding_format'],
    [{ model: 'stories', input: 'x', pooling: 'max' }, 'pooling'],
  ];
  for (const [body, param] of cases) {
    const res = await fetch(`${s.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 400, JSON.stringify(body));
    const j = await res.json();
    assert.equal(j.error.type, 'invalid_request_error');
    assert.equal(j.error.param, param);
  }
  const long = await fetch(`${s.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ input: 'word '.repeat(5000) }),
  });
  assert.equal(long.status, 400);
  assert.equal((await long.json()).error.code, 'context_length_exceeded');
  await assert.rejects(s.client.embeddings.create({ model: 'stories', input: [[1, 99999]] }), (e) => e.status === 400);
});
