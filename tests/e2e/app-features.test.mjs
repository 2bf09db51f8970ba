// What apps build on, through the package in headless Chromium (the model in a Web Worker): JSON
// Schema output, forced tool calls, logprobs and the reasoning split, checked the way the Node
// tests check them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findModelsDir } from '../../scripts/serve.mjs';
import { openDemo, session } from './lib.mjs';

const TEMPLATES = join(findModelsDir() ?? '/work/shared/models', 'chat-templates');

test('json_schema, tools, logprobs and reasoning in the browser', async (t) => {
  const { page, server } = await session(t);
  await openDemo(page, server);
  const templates = {
    qwen3: readFileSync(join(TEMPLATES, 'Qwen-Qwen3-0.6B.jinja'), 'utf8'),
    r1: readFileSync(join(TEMPLATES, 'deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja'), 'utf8'),
  };
  const r = await page.evaluate(async (templates) => {
    const { loadModel } = await import('wasm-chord');
    const model = await loadModel('/models/stories260K.gguf', { cache: 'none' });
    const messages = [{ role: 'user', content: 'Tell me about a cat.' }];
    const out = {};
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer', minimum: 0, maximum: 20 } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const json = await model.chat.completions.create({
      messages,
      max_tokens: 64,
      temperature: 0.7,
      seed: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'cat', schema, strict: true } },
    });
    out.json = json.choices[0].message.content;
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string', maxLength: 12 } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      },
    ];
    const call = await model.chat.completions.create({
      messages,
      tools,
      tool_choice: 'required',
      max_tokens: 64,
      temperature: 0,
      chat_template: templates.qwen3,
    });
    out.finish = call.choices[0].finish_reason;
    out.calls = call.choices[0].message.tool_calls;
    const lp = await model.chat.completions.create({ messages, max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 });
    out.logprobs = lp.choices[0].logprobs.content;
    const think = await model.chat.completions.create({
      messages,
      max_tokens: 8,
      temperature: 0,
      chat_template: templates.r1,
      chat_template_kwargs: { enable_thinking: true },
    });
    out.reasoning = think.choices[0].message.reasoning_content;
    out.content = think.choices[0].message.content;
    await model.dispose();
    return out;
  }, templates);

  const cat = JSON.parse(r.json);
  assert.deepEqual(Object.keys(cat).sort(), ['age', 'name']);
  assert.ok(typeof cat.name === 'string' && cat.name.length <= 10 && Number.isInteger(cat.age) && cat.age >= 0 && cat.age <= 20, r.json);
  assert.equal(r.finish, 'tool_calls');
  assert.equal(r.calls[0].function.name, 'get_weather');
  const args = JSON.parse(r.calls[0].function.arguments);
  assert.ok(typeof args.city === 'string' && args.city.length <= 12 && Object.keys(args).length === 1, r.calls[0].function.arguments);
  assert.equal(r.logprobs.length, 4);
  for (const e of r.logprobs) {
    assert.equal(e.top_logprobs.length, 3);
    assert.equal(e.top_logprobs[0].logprob, e.logprob, 'greedy picks the most likely token');
  }
  assert.ok(r.reasoning.length > 0);
  assert.equal(r.content, '');
});
