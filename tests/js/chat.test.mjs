// model.chat.completions.create(): OpenAI-shaped results and streamed chunks with usage, the
// ChatML fallback (stories260K has no template), explicit templates, a template stored in the
// GGUF, multi-turn KV cache reuse, aborts and typed errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_CHAT_TEMPLATE, WasmChordError, loadModel } from 'wasm-chord';
import { GREEDY, STORIES, TEMPLATES, kvString, rejection, withKeys } from './helpers.mjs';

const GREEDY_OAI = { temperature: 0, top_k: 1, top_p: 1, min_p: 0 };
const PHI = readFileSync(join(TEMPLATES, 'microsoft-Phi-3.5-mini-instruct.jinja'), 'utf8');
const GEMMA = readFileSync(join(TEMPLATES, 'google-gemma-2-2b-it.jinja'), 'utf8');
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1 });
});
after(async () => {
  await model.dispose();
});

test('no template in the GGUF: the ChatML default renders the conversation', async () => {
  assert.equal(model.info.chatTemplate, null);
  const prompt = await model.applyChatTemplate([
    { role: 'system', content: 'Be brief.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'Tell me ' },
        { type: 'text', text: 'a story.' },
      ],
    },
  ]);
  assert.equal(prompt, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n');
  assert.match(DEFAULT_CHAT_TEMPLATE, /im_start/);
});

test('non-streaming completion: OpenAI shape, usage, same text as generate()', async () => {
  const messages = [{ role: 'user', content: 'Once upon a time' }];
  const r = await model.chat.completions.create({ messages, max_tokens: 24, ...GREEDY_OAI, model: 'stories' });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, 'stories');
  assert.ok(Number.isInteger(r.created));
  assert.equal(r.choices.length, 1);
  const [choice] = r.choices;
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  const prompt = await model.applyChatTemplate(messages);
  const promptTokens = await model.tokenize(prompt, { addSpecial: true, parseSpecial: true });
  assert.equal(r.usage.prompt_tokens, promptTokens.length);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 24);
  const ref = await model.complete(promptTokens, { ...GREEDY, maxTokens: 24, stop: ['<|im_end|>'] });
  assert.equal(choice.message.content, ref.text);
});

test('streaming completion: role chunk, content deltas, finish_reason and usage on the last chunk', async () => {
  const params = { messages: [{ role: 'user', content: 'Lily and the ball' }], max_tokens: 30, ...GREEDY_OAI };
  const whole = await model.chat.completions.create(params);
  const stream = await model.chat.completions.create({ ...params, stream: true });
  const chunks = [];
  const times = [];
  for await (const c of stream) {
    chunks.push(c);
    times.push(performance.now());
  }
  assert.ok(chunks.length >= 4);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1);
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  const last = chunks.at(-1);
  assert.ok(['stop', 'length'].includes(last.choices[0].finish_reason));
  assert.deepEqual(last.choices[0].delta, {});
  const { prompt_tokens_details: _a, ...usage } = last.usage;
  const { prompt_tokens_details: _b, ...wholeUsage } = whole.usage;
  assert.deepEqual(usage, wholeUsage);
  // the same prompt again: all but the last prompt token come from the KV cache
  assert.equal(last.usage.prompt_tokens_details.cached_tokens, last.usage.prompt_tokens - 1);
  for (const c of chunks.slice(0, -1)) {
    assert.equal(c.choices[0].finish_reason, null);
    assert.equal(c.usage, null);
  }
  const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
  assert.equal(text, whole.choices[0].message.content);
  assert.ok(times[1] < times.at(-1), 'chunks arrive over time');
});

test('an explicit chat_template is used, with the BOS text not doubled', async () => {
  const messages = [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello' },
    { role: 'user', content: 'Story?' },
  ];
  const prompt = await model.applyChatTemplate(messages, { template: GEMMA });
  // gemma writes {{ bos_token }} itself; the tokenizer adds BOS, so the text copy is dropped
  assert.equal(
    prompt,
    '<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>user\nStory?<end_of_turn>\n<start_of_turn>model\n',
  );
  const r = await model.chat.completions.create({ messages, chat_template: GEMMA, max_tokens: 5, ...GREEDY_OAI });
  const ids = await model.tokenize(prompt, { addSpecial: true, parseSpecial: true });
  assert.equal(ids.filter((t) => t === model.info.bosToken).length, 1);
  assert.equal(r.usage.prompt_tokens, ids.length);
  // the template's own raise_exception is a typed template_error
  const e = await rejection(() =>
    model.chat.completions.create({
      messages: [
        { role: 'system', content: 'x' },
        { role: 'user', content: 'y' },
      ],
      chat_template: GEMMA,
      max_tokens: 2,
    }),
  );
  assert.ok(e instanceof WasmChordError);
  assert.equal(e.code, 'template_error');
  assert.match(e.message, /System role not supported/);
  const syntax = await rejection(() => model.applyChatTemplate(messages, { template: '{% for x in %}' }));
  assert.equal(syntax.code, 'template_error');
});

test('a template stored in the GGUF (tokenizer.chat_template) is picked up', async () => {
  const bytes = withKeys(STORIES, [kvString('tokenizer.chat_template', PHI)]);
  const m = await loadModel(bytes, { threads: 1 });
  try {
    assert.equal(m.info.chatTemplate, PHI);
    assert.equal(m.metadata['tokenizer.chat_template'], PHI);
    const messages = [
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
    ];
    assert.equal(await m.applyChatTemplate(messages), '<|system|>\nBe kind.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n');
    const r = await m.chat.completions.create({ messages, max_tokens: 8, ...GREEDY_OAI });
    const ids = await m.tokenize(await m.applyChatTemplate(messages), { addSpecial: true, parseSpecial: true });
    assert.equal(r.usage.prompt_tokens, ids.length);
    const ref = await m.complete(ids, { ...GREEDY, maxTokens: 8 });
    assert.equal(r.choices[0].message.content, ref.text);
  } finally {
    await m.dispose();
  }
});

test('multi-turn chat reuses the KV cache of the previous turns', async () => {
  const m = await loadModel(STORIES, { threads: 1 });
  try {
    const messages = [{ role: 'user', content: 'Once upon a time there was a cat.' }];
    const t1 = await m.chat.completions.create({ messages, max_tokens: 16, ...GREEDY_OAI });
    assert.equal(t1.usage.prompt_tokens_details.cached_tokens, 0);
    messages.push(t1.choices[0].message, { role: 'user', content: 'What happened next?' });
    const t2 = await m.chat.completions.create({ messages, max_tokens: 16, ...GREEDY_OAI });
    const cached = t2.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached >= t1.usage.prompt_tokens, `turn 2 reused ${cached} tokens (turn 1 prompt: ${t1.usage.prompt_tokens})`);
    assert.ok(cached < t2.usage.prompt_tokens);
    // the reply equals a cold model's answer to the same conversation
    const cold = await loadModel(STORIES, { threads: 1 });
    try {
      const ref = await cold.chat.completions.create({ messages, max_tokens: 16, ...GREEDY_OAI });
      assert.equal(t2.choices[0].message.content, ref.choices[0].message.content);
      assert.equal(ref.usage.prompt_tokens_details.cached_tokens, 0);
    } finally {
      await cold.dispose();
    }
  } finally {
    await m.dispose();
  }
});

test('sampling parameters: seed reproducibility, stop, logit_bias with string keys', async () => {
  const base = { messages: [{ role: 'user', content: 'A dog' }], max_tokens: 20, temperature: 1, top_k: 0, top_p: 1, min_p: 0 };
  const a = await model.chat.completions.create({ ...base, seed: 7 });
  const b = await model.chat.completions.create({ ...base, seed: 7 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const greedy = await model.chat.completions.create({ ...base, ...GREEDY_OAI });
  const words = greedy.choices[0].message.content.split(' ').filter((w) => w.length > 2);
  const stopped = await model.chat.completions.create({ ...base, ...GREEDY_OAI, stop: words[1] });
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  assert.ok(!stopped.choices[0].message.content.includes(words[1]));
  assert.ok(greedy.choices[0].message.content.startsWith(stopped.choices[0].message.content));
  const promptIds = await model.tokenize(await model.applyChatTemplate(base.messages), { parseSpecial: true });
  const firstTok = (await model.complete(promptIds, { ...GREEDY, maxTokens: 1 })).tokens[0];
  const biased = await model.chat.completions.create({ ...base, ...GREEDY_OAI, max_tokens: 3, logit_bias: { [String(firstTok)]: -100 } });
  const ref = await model.complete(promptIds, { ...GREEDY, maxTokens: 3, logitBias: { [firstTok]: -100 }, stop: '<|im_end|>' });
  assert.notEqual(ref.tokens[0], firstTok);
  assert.equal(biased.choices[0].message.content, ref.text);
  assert.notEqual(biased.choices[0].message.content, greedy.choices[0].message.content.slice(0, ref.text.length));
});

test('abort a streaming chat; bad requests are typed errors', async () => {
  const ctl = new AbortController();
  const stream = await model.chat.completions.create(
    { messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 200, ...GREEDY_OAI },
    { signal: ctl.signal },
  );
  let n = 0;
  const e = await rejection(async () => {
    for await (const _ of stream) if (++n === 3) ctl.abort();
  });
  assert.equal(e.name, 'AbortError');
  assert.equal(n, 3);
  const ok = await model.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 });
  assert.equal(ok.choices.length, 1);

  const bad = [
    [{ messages: [], max_tokens: 1 }, 'invalid_argument'],
    [{ messages: [{ role: 'user', content: 'x' }], n: 2 }, 'unsupported'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 'unsupported'],
    [{ messages: [{ content: 'no role' }] }, 'invalid_argument'],
    [{ messages: [{ role: 'user', content: 'x' }], temperature: -1 }, 'invalid_argument'],
    [{ messages: [{ role: 'user', content: 'x' }], logit_bias: { 100000: 1 } }, 'invalid_argument'],
  ];
  for (const [params, code] of bad) {
    const err = await rejection(() => model.chat.completions.create(params));
    assert.ok(err instanceof WasmChordError, JSON.stringify(params));
    assert.equal(err.code, code, JSON.stringify(params));
  }
});
