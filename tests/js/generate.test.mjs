// model.generate(): greedy output equals the reference golden, true token-by-token streaming,
// abort (mid-stream and mid-prompt) with the model reusable after, seeds, stops, bias, limits.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { AbortError, WasmChordError, loadModel } from 'wasm-chord';
import { GOLDEN_JSON, GOLDEN_TEXT, GREEDY, STORIES, TINY_RANDOM, rejection } from './helpers.mjs';

const golden = JSON.parse(readFileSync(GOLDEN_JSON, 'utf8'));
const goldenText = readFileSync(GOLDEN_TEXT, 'utf8');
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1 });
});
after(async () => {
  await model.dispose();
});

async function collect(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

test('greedy from BOS reproduces the float64 reference (ids and text)', async () => {
  const eos = golden.generated.indexOf(2);
  const n = eos < 0 ? golden.generated.length : eos;
  const r = await model.complete('', { ...GREEDY, maxTokens: n });
  assert.deepEqual(r.tokens, golden.generated.slice(0, n));
  assert.equal(r.text, golden.text.slice(0, r.text.length));
  assert.ok(goldenText.startsWith(r.text));
  assert.ok(r.text.length > 400);
  assert.equal(r.finishReason, 'length');
  assert.deepEqual(r.usage, { promptTokens: 1, completionTokens: n, cachedTokens: 0 });
  // token-id prompts are used as they are
  const byIds = await model.complete([1], { ...GREEDY, maxTokens: 20 });
  assert.deepEqual(byIds.tokens, golden.generated.slice(0, 20));
});

test('chunks stream one token at a time, with the event loop running between them', async () => {
  const stream = model.generate('Once upon a time', { ...GREEDY, maxTokens: 60 });
  let immediateRan = true;
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
  }, 1);
  const times = [];
  const tickAt = [];
  let n = 0;
  try {
    for await (const c of stream) {
      assert.ok(immediateRan, `the event loop ran before chunk ${n}`);
      immediateRan = false;
      setImmediate(() => {
        immediateRan = true;
      });
      assert.equal(typeof c.text, 'string');
      assert.ok(Number.isInteger(c.token) && c.token >= 0);
      times.push(performance.now());
      tickAt.push(ticks);
      ++n;
    }
  } finally {
    clearInterval(ticker);
  }
  const r = await stream.result;
  assert.equal(n, 60);
  assert.equal(r.tokens.length, 60);
  const end = performance.now();
  assert.ok(times[0] < times.at(-1) && times.at(-1) <= end, 'the first chunk arrived before generation ended');
  assert.ok(tickAt.at(-1) > tickAt[0], 'timers fired while generating');
  // streamed text is the detokenized output, byte for byte
  assert.equal(r.text, await model.detokenize(r.tokens));
});

test('abort mid-stream: AbortError promptly, then the model generates normally', async () => {
  const ctl = new AbortController();
  const seen = [];
  const e = await rejection(async () => {
    for await (const c of model.generate('', { ...GREEDY, maxTokens: 150, signal: ctl.signal })) {
      seen.push(c);
      if (seen.length === 5) ctl.abort();
    }
  });
  assert.ok(e instanceof AbortError);
  assert.ok(e instanceof WasmChordError);
  assert.equal(e.name, 'AbortError');
  assert.equal(e.code, 'aborted');
  assert.equal(seen.length, 5, 'no chunk after the abort');
  const again = await model.complete('', { ...GREEDY, maxTokens: 30 });
  assert.deepEqual(again.tokens, golden.generated.slice(0, 30));
  // result of an aborted stream rejects the same way
  const ctl2 = new AbortController();
  const s = model.generate('', { ...GREEDY, maxTokens: 50, signal: ctl2.signal });
  const r = s.result;
  ctl2.abort(new Error('user pressed stop'));
  const e2 = await rejection(() => collect(s));
  assert.equal(e2.name, 'AbortError');
  assert.equal(e2.cause?.message, 'user pressed stop');
  assert.equal((await rejection(() => r)).name, 'AbortError');
});

test('abort while the prompt is being evaluated, and before starting', async () => {
  const words = Array.from({ length: 300 }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat'][i % 6]).join(' ');
  const prompt = await model.tokenize(words);
  assert.ok(prompt.length > 256, 'several prompt batches');
  const ctl = new AbortController();
  const it = model.generate(prompt, { ...GREEDY, maxTokens: 5, signal: ctl.signal })[Symbol.asyncIterator]();
  const first = it.next();
  setImmediate(() => ctl.abort());
  const t0 = performance.now();
  const e = await rejection(() => first);
  assert.equal(e.name, 'AbortError');
  assert.ok(performance.now() - t0 < 2000);
  const pre = new AbortController();
  pre.abort();
  const e2 = await rejection(() => model.complete('x', { signal: pre.signal }));
  assert.equal(e2.name, 'AbortError');
  assert.deepEqual((await model.complete('', { ...GREEDY, maxTokens: 10 })).tokens, golden.generated.slice(0, 10));
});

test('seeded sampling is reproducible; different seeds differ', async () => {
  const opts = { temperature: 1, topK: 0, topP: 1, minP: 0, maxTokens: 40 };
  const a = await model.complete('Once upon a time', { ...opts, seed: 42 });
  const b = await model.complete('Once upon a time', { ...opts, seed: 42 });
  const c = await model.complete('Once upon a time', { ...opts, seed: 43 });
  const d = await model.complete('Once upon a time', { ...opts, seed: 42n });
  assert.deepEqual(a.tokens, b.tokens);
  assert.deepEqual(a.tokens, d.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
  const fresh = await loadModel(STORIES, { threads: 1 });
  try {
    assert.deepEqual((await fresh.complete('Once upon a time', { ...opts, seed: 42 })).tokens, a.tokens);
  } finally {
    await fresh.dispose();
  }
});

test('stop strings, maxTokens, logit bias, ignoreEos and context limits', async () => {
  const s = await model.complete('', { ...GREEDY, maxTokens: 100, stop: ['Lily'] });
  assert.equal(s.text, 'Once upon a time, there was a little girl named ');
  assert.equal(s.finishReason, 'stop');
  const zero = await model.complete('Hi', { maxTokens: 0 });
  assert.equal(zero.text, '');
  assert.equal(zero.finishReason, 'length');
  const banned = await model.complete('', { ...GREEDY, maxTokens: 3, logitBias: { [golden.generated[0]]: -Infinity } });
  assert.notEqual(banned.tokens[0], golden.generated[0]);
  const pairs = await model.complete('', { ...GREEDY, maxTokens: 3, logitBias: [[golden.generated[0], -Infinity]] });
  assert.deepEqual(pairs.tokens, banned.tokens);
  const small = await loadModel(STORIES, { threads: 1, contextLength: 32 });
  try {
    const r = await small.complete('', { ...GREEDY, maxTokens: 100, ignoreEos: true });
    assert.equal(r.finishReason, 'length');
    assert.ok(r.usage.completionTokens <= 32);
    const long = await small.tokenize('the cat sat on the mat '.repeat(10));
    const e = await rejection(() => small.complete(long));
    assert.ok(e instanceof WasmChordError);
    assert.equal(e.code, 'context_full');
  } finally {
    await small.dispose();
  }
});

test('invalid options are typed errors', async () => {
  assert.throws(
    () => model.generate('x', { maxTokens: -1 }),
    (e) => e.code === 'invalid_argument',
  );
  assert.throws(
    () => model.generate('x', { topK: 1.5 }),
    (e) => e.code === 'invalid_argument',
  );
  assert.throws(
    () => model.generate('x', { stop: [''] }),
    (e) => e.code === 'invalid_argument',
  );
  assert.throws(
    () => model.generate('x', { logitBias: { 99999: 1 } }),
    (e) => e.code === 'invalid_argument',
  );
  assert.throws(
    () => model.generate('x', { seed: 1.5 }),
    (e) => e.code === 'invalid_argument',
  );
  const t = await rejection(() => model.complete('x', { temperature: -1 }));
  assert.equal(t.code, 'invalid_argument');
  const p = await rejection(() => model.complete([99999]));
  assert.equal(p.code, 'invalid_argument');
  const s = model.generate('x', { maxTokens: 2 });
  await collect(s);
  assert.throws(
    () => s[Symbol.asyncIterator](),
    (e) => e.code === 'invalid_argument',
  );
});

test('overlapping generations run one after another; breaking out frees the model', async () => {
  const [x, y] = await Promise.all([
    model.complete('', { ...GREEDY, maxTokens: 25 }),
    model.complete('Once upon a time', { ...GREEDY, maxTokens: 25 }),
  ]);
  assert.deepEqual(x.tokens, golden.generated.slice(0, 25));
  assert.equal(y.tokens.length, 25);
  for await (const _ of model.generate('', { maxTokens: 50 })) break;
  assert.deepEqual((await model.complete('', { ...GREEDY, maxTokens: 12 })).tokens, golden.generated.slice(0, 12));
});

test('a continued prompt reuses the KV cache prefix', async () => {
  const first = await model.complete('Once upon a time, there was a dog', { ...GREEDY, maxTokens: 4 });
  const second = await model.complete('Once upon a time, there was a dog' + first.text + ' and', { ...GREEDY, maxTokens: 4 });
  assert.ok(second.usage.cachedTokens >= first.usage.promptTokens - 1, JSON.stringify(second.usage));
  // and the result equals a cold run
  const cold = await loadModel(STORIES, { threads: 1 });
  try {
    const ref = await cold.complete('Once upon a time, there was a dog' + first.text + ' and', { ...GREEDY, maxTokens: 4 });
    assert.deepEqual(second.tokens, ref.tokens);
    assert.equal(ref.usage.cachedTokens, 0);
  } finally {
    await cold.dispose();
  }
});

test('32k-vocabulary F16 model: streamed text always equals the detokenized tokens', async () => {
  const m = await loadModel(TINY_RANDOM, { threads: 1 });
  try {
    assert.equal(m.info.nVocab, 32000);
    // A continuation is what the generated tokens add to the prompt's text (its first piece keeps
    // its SentencePiece space: "Hello" + " world", not "Helloworld").
    const prompt = await m.tokenize('Hello');
    const promptText = await m.detokenize(prompt);
    for (const seed of [1, 2, 3]) {
      const s = m.generate('Hello', { temperature: 1.5, topK: 0, topP: 1, minP: 0, maxTokens: 24, seed, ignoreEos: true });
      let text = '';
      for await (const c of s) text += c.text;
      const r = await s.result;
      assert.equal(text, r.text);
      const whole = await m.detokenize([...prompt, ...r.tokens]);
      assert.ok(whole.startsWith(promptText));
      assert.equal(text, whole.slice(promptText.length));
    }
  } finally {
    await m.dispose();
  }
});
