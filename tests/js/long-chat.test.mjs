// Long chats on a small context: the oldest turns are dropped so the conversation keeps going
// (system prompt and last turn kept, KV prefix still reused between drops); context_overflow:
// 'error' fails with context_full instead; a single turn too long for the context is context_full.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { STORIES } from './helpers.mjs';

const CTX = 256;
let model;
before(async () => {
  model = await loadModel(STORIES, { threads: 1, contextLength: CTX });
});
after(async () => {
  await model?.dispose();
});

const SYSTEM = { role: 'system', content: 'You tell short stories about a cat named Tom.' };

test('40 turns on a 256-token context keep answering; old turns are dropped, the system prompt kept', async () => {
  const history = [SYSTEM];
  let reused = 0;
  let maxPrompt = 0;
  for (let turn = 0; turn < 40; ++turn) {
    history.push({ role: 'user', content: `Turn ${turn}: what did Tom do next in the garden?` });
    const r = await model.chat.completions.create({ messages: history, max_tokens: 24, temperature: 0.8, seed: turn });
    const reply = r.choices[0].message.content;
    history.push({ role: 'assistant', content: reply });
    assert.ok(r.usage.prompt_tokens + 24 <= CTX, `turn ${turn}: prompt ${r.usage.prompt_tokens} leaves room for the reply`);
    maxPrompt = Math.max(maxPrompt, r.usage.prompt_tokens);
    if (r.usage.prompt_tokens_details.cached_tokens > 20) ++reused;
  }
  // The full history is far beyond the context: turns were dropped...
  const full = (await model.tokenize(await model.applyChatTemplate(history))).length;
  assert.ok(full > 3 * CTX, `the whole conversation is ${full} tokens`);
  // ...yet most turns still reused the KV cache of the previous one.
  assert.ok(reused >= 25, `KV prefix reused in ${reused} of 40 turns`);
  assert.ok(maxPrompt > CTX / 2, 'the context is used, not emptied');
  // The system prompt survives the drops: the last prompt still starts with it.
  const kept = await model.applyChatTemplate([SYSTEM, ...history.slice(-1)]);
  assert.ok(kept.includes(SYSTEM.content));
});

test("context_overflow: 'error' and a single oversized turn are context_full", async () => {
  const history = [SYSTEM];
  for (let i = 0; i < 30; ++i)
    history.push(
      { role: 'user', content: `Question ${i} about Tom and the garden?` },
      { role: 'assistant', content: 'Tom ran and played all day in the sun.' },
    );
  history.push({ role: 'user', content: 'And then?' });
  await assert.rejects(
    model.chat.completions.create({ messages: history, max_tokens: 8, context_overflow: 'error' }),
    (e) => e.code === 'context_full' && /context_overflow/.test(e.message),
  );
  const ok = await model.chat.completions.create({ messages: history, max_tokens: 8 });
  assert.equal(ok.object, 'chat.completion');
  const huge = [{ role: 'user', content: 'Tom '.repeat(400) }];
  await assert.rejects(model.chat.completions.create({ messages: huge, max_tokens: 8 }), (e) => e.code === 'context_full');
  await assert.rejects(
    model.chat.completions.create({ messages: history, context_overflow: 'sometimes' }),
    (e) => e.code === 'invalid_argument',
  );
});
