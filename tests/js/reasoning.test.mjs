// Reasoning split: <think>…</think> at the start of a reply (or a thinking block the template
// opened, as DeepSeek-R1 distills do) goes to reasoning_content, streamed and not; a tag split
// across tokens never leaks; enable_thinking reaches the template; reasoning_format 'none' is off.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { ReasoningSplitter, promptOpensThinking } from '../../js/dist/chat-output.js';
import { STORIES, TEMPLATES } from './helpers.mjs';

/** Feeds `text` in pieces cut at `cuts` and joins what comes out. */
function split(text, cuts, inThinking = false) {
  const s = new ReasoningSplitter(inThinking);
  const out = { reasoning: '', content: '' };
  let at = 0;
  for (const c of [...cuts, text.length]) {
    const p = s.push(text.slice(at, c));
    out.reasoning += p.reasoning;
    out.content += p.content;
    at = c;
  }
  const f = s.flush();
  return { reasoning: out.reasoning + f.reasoning, content: out.content + f.content };
}

test('the splitter gives the same parts wherever the stream is cut', () => {
  const cases = [
    ['<think>\nplan A, then B\n</think>\n\nThe answer.', false, 'plan A, then B', 'The answer.'],
    ['  <think>x</think>y', false, 'x', 'y'],
    ['plan</think>\nanswer <think>not a tag here</think>', true, 'plan', 'answer <think>not a tag here</think>'],
    ['Hello <think>x</think>', false, '', 'Hello <think>x</think>'],
    ['<thinking>is not the tag', false, '', '<thinking>is not the tag'],
    ['<thi', false, '', '<thi'],
    ['<think>unfinished thought', false, 'unfinished thought', ''],
    ['<think></think>', false, '', ''],
  ];
  for (const [text, inThinking, reasoning, content] of cases) {
    for (let i = 0; i <= text.length; ++i) {
      for (let j = i; j <= text.length; j += 3) {
        const got = split(text, [i, j], inThinking);
        assert.deepEqual({ reasoning: got.reasoning.trim(), content: got.content }, { reasoning, content }, `${JSON.stringify(text)} cut at ${i}, ${j}`);
      }
    }
  }
  assert.equal(promptOpensThinking('<｜Assistant｜><think>\n'), true);
  assert.equal(promptOpensThinking('<|im_start|>assistant\n<think>\n\n</think>\n\n'), false);
  assert.equal(promptOpensThinking('<|im_start|>assistant\n'), false);
});

let model;
before(async () => { model = await loadModel(STORIES, { threads: 1 }); });
after(async () => { await model?.dispose(); });

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
  await assert.rejects(model.chat.completions.create({ ...REQ, reasoning_format: 'deepseek-legacy' }), (e) => e.code === 'invalid_argument');
});
