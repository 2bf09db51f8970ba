// Tool calling on a real model (format detection and parsing: tests/unit/chat-output.test.mjs):
// tools and tool results rendered through real templates, and forced calls
// (tool_choice 'required' / named) on a real model: arguments that validate against the
// function's schema, through the JS API and the official openai client, streaming and not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEMPLATES, serveModel } from './helpers.mjs';

const tmpl = (name) => readFileSync(join(TEMPLATES, `${name}.jinja`), 'utf8');
const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 12 }, unit: { enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};
const TIME = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Current time in a time zone',
    parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } }, required: ['zone'] },
  },
};
const TOOLS = [WEATHER, TIME];

/** The arguments of a call match the schemas above (a small validator for what they use). */
function validates(call) {
  const tool = TOOLS.find((t) => t.function.name === call.function.name);
  assert.ok(tool, `unknown tool ${call.function.name}`);
  const args = JSON.parse(call.function.arguments);
  const schema = tool.function.parameters;
  for (const k of schema.required) assert.ok(k in args, `missing ${k}`);
  for (const [k, v] of Object.entries(args)) {
    const p = schema.properties[k];
    assert.ok(p, `unexpected argument ${k}`);
    if (p.type === 'string') assert.equal(typeof v, 'string');
    if (p.maxLength) assert.ok(v.length <= p.maxLength);
    if (p.enum) assert.ok(p.enum.includes(v));
  }
  return args;
}

describe('on a model', () => {
  let served;
  let model;
  let client;
  before(async () => {
    ({ model, client } = served = await serveModel());
  });
  after(async () => {
    await served?.close();
  });

  const conversation = [
    { role: 'user', content: 'What is the weather in Paris?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "celsius"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temperature": 21}' },
    { role: 'user', content: 'And the time?' },
  ];

  test('tools, tool calls and tool results render through the real templates', async () => {
    for (const name of ['NousResearch-Hermes-3-Llama-3.1-8B-tool_use', 'Qwen-Qwen3-0.6B', 'meta-llama-Llama-3.2-3B-Instruct']) {
      const prompt = await model.applyChatTemplate(conversation, { template: tmpl(name), extra: { tools: TOOLS } });
      assert.ok(prompt.includes('get_time'), `${name}: the tools are described`);
      assert.ok(prompt.includes('21'), `${name}: the tool result is there`);
      assert.ok(/"city":\s*"Paris"/.test(prompt), `${name}: the earlier call's arguments print as JSON`);
    }
  });

  for (const [label, template] of [
    ['Hermes/Qwen', 'Qwen-Qwen3-0.6B'],
    ['Llama 3.x', 'meta-llama-Llama-3.2-3B-Instruct'],
    ['generic', null],
  ]) {
    test(`tool_choice 'required' (${label} format) returns calls whose arguments validate`, async () => {
      // Room for the whole call: the forced call's JSON Schema grammar allows whitespace and (parallel) more calls.
      const req = { messages: conversation.slice(0, 1), tools: TOOLS, tool_choice: 'required', max_tokens: 256, temperature: 0.7, seed: 5 };
      if (template) req.chat_template = tmpl(template);
      const r = await model.chat.completions.create(req);
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      assert.ok(r.choices[0].message.tool_calls.length >= 1);
      for (const c of r.choices[0].message.tool_calls) {
        assert.match(c.id, /^call_/);
        validates(c);
      }
      const named = await model.chat.completions.create({ ...req, tool_choice: { type: 'function', function: { name: 'get_time' } } });
      assert.deepEqual(
        named.choices[0].message.tool_calls.map((c) => c.function.name),
        ['get_time'],
      );
      validates(named.choices[0].message.tool_calls[0]);
    });
  }

  test('the openai client: forced calls streamed as tool_calls deltas equal the non-streamed ones', async () => {
    const req = {
      model: 'stories',
      messages: conversation,
      tools: TOOLS,
      tool_choice: 'required',
      max_tokens: 96,
      temperature: 0,
      chat_template: tmpl('Qwen-Qwen3-0.6B'),
    };
    const full = await client.chat.completions.create(req);
    assert.equal(full.choices[0].finish_reason, 'tool_calls');
    const calls = full.choices[0].message.tool_calls;
    calls.forEach(validates);
    const got = [];
    let finish;
    for await (const ch of await client.chat.completions.create({ ...req, stream: true })) {
      for (const d of ch.choices[0]?.delta?.tool_calls ?? []) {
        got[d.index] ??= { name: '', arguments: '' };
        got[d.index].name += d.function?.name ?? '';
        got[d.index].arguments += d.function?.arguments ?? '';
      }
      finish = ch.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.deepEqual(
      got,
      calls.map((c) => ({ name: c.function.name, arguments: c.function.arguments })),
    );
    // 'none' renders no tools and calls none; bad tools are 400s.
    const none = await client.chat.completions.create({ ...req, tool_choice: 'none', max_tokens: 8 });
    assert.equal(none.choices[0].message.tool_calls, undefined);
    await assert.rejects(client.chat.completions.create({ ...req, tools: [{ type: 'function' }] }), (e) => e.status === 400);
    await assert.rejects(
      client.chat.completions.create({ ...req, tool_choice: { type: 'function', function: { name: 'nope' } } }),
      (e) => e.status === 400,
    );
  });
});
