// Reasoning split on a real model: a thinking block the template opened (DeepSeek-R1 distills)
// goes to reasoning_content, streamed and not; enable_thinking reaches the template;
// reasoning_format 'none' is off. The splitter itself: tests/unit/chat-output.test.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { STORIES, TEMPLATES } from './helpers.mjs';

let model;
before(async () => {
  model = await loadModel(STORIES, { threads: 1 });
});
after(async () => {
  await model?.dispose();
});

const R1 = readFileSync(join(TEMPLATES, 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja'), 'utf8');
const MESSAGES = [{ role: 'user', content: 'Tell me a story.' }];
const REQ = { messages: MESSAGES, chat_template: R1, max_tokens: 24, temperature: 0 };

test('a template that opens <think>: the whole reply is reasoning, streamed and not; enable_thinking reaches the template', async () => {
  const thinking = { enable_thinking: true };
  const prompt = await model.applyChatTemplate(MESSAGES, { template: R1, extra: thinking });
  assert.ok(prompt.endsWith('<think>\n'));
  const direct = await model.complete(prompt, { maxTokens: 24, temperature: 0, parseSpecial: true });
  assert.ok(!direct.text.includes('</think>'));

  const full = await model.chat.completions.create({ ...REQ, chat_template_kwargs: thinking });
  assert.equal(full.choices[0].message.reasoning_content, direct.text.trim());
  assert.equal(full.choices[0].message.content, '');

  let reasoning = '';
  let content = '';
  for await (const c of await model.chat.completions.create({ ...REQ, chat_template_kwargs: thinking, stream: true })) {
    reasoning += c.choices[0]?.delta?.reasoning_content ?? '';
    content += c.choices[0]?.delta?.content ?? '';
  }
  assert.equal(reasoning.trim(), direct.text.trim());
  assert.equal(content, '');

  // Thinking off: this template closes the block itself, the reply is content.
  const off = await model.chat.completions.create({ ...REQ, chat_template_kwargs: { enable_thinking: false } });
  assert.equal(off.choices[0].message.reasoning_content, undefined);
  assert.ok(off.choices[0].message.content.length > 0);
  // reasoning_format 'none': everything is content.
  const none = await model.chat.completions.create({ ...REQ, chat_template_kwargs: thinking, reasoning_format: 'none' });
  assert.equal(none.choices[0].message.content, direct.text);
  assert.equal(none.choices[0].message.reasoning_content, undefined);
  await assert.rejects(
    model.chat.completions.create({ ...REQ, reasoning_format: 'deepseek-legacy' }),
    (e) => e.code === 'invalid_argument',
  );
});
