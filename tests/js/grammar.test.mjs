// Constrained output through the package: generate() with a GBNF grammar or a JSON Schema, the
// chat API's response_format (json_object / json_schema, streamed and not), typed errors naming
// the position in the grammar or schema.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WasmChordError, loadModel } from 'wasm-chord';
import { GREEDY, STORIES, rejection, schemaErrors } from './helpers.mjs';

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 16 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    pets: { type: 'array', items: { enum: ['cat', 'dog', 'fish'] }, maxItems: 3 },
  },
  required: ['name', 'age'],
  additionalProperties: false,
};
let model;

before(async () => {
  model = await loadModel(STORIES, { threads: 1 });
});
after(async () => {
  await model.dispose();
});

test('generate() with a grammar: the text matches it (greedy equals llama.cpp, see grammar-equivalence)', async () => {
  const grammar = 'root ::= "- " [a-z ]+ "\\n" ("- " [a-z ]+ "\\n")?';
  const r = await model.complete('Once upon a time', { ...GREEDY, maxTokens: 48, grammar });
  assert.equal(r.text, '- morning is a big box with a big box of colors and animals in the sky and a big box of colors');
  let streamed = '';
  for await (const c of model.generate('Once upon a time', { ...GREEDY, maxTokens: 48, grammar })) streamed += c.text;
  assert.equal(streamed, r.text);
});

test('generate() with jsonSchema (object or text): JSON that validates, ending at EOG', async () => {
  for (const jsonSchema of [PERSON, JSON.stringify(PERSON)]) {
    const r = await model.complete('Once upon a time', { ...GREEDY, maxTokens: 80, jsonSchema });
    assert.equal(r.finishReason, 'stop', r.text);
    assert.deepEqual(schemaErrors(PERSON, JSON.parse(r.text)), [], r.text);
  }
  for (const seed of [1, 2, 3]) {
    // sampled, full vocabulary: still valid
    const r = await model.complete('Once', { temperature: 1, topK: 0, topP: 1, minP: 0, seed, maxTokens: 120, jsonSchema: PERSON });
    if (r.finishReason === 'stop') assert.deepEqual(schemaErrors(PERSON, JSON.parse(r.text)), [], r.text);
    else assert.ok(r.text.startsWith('{'), r.text);
  }
});

test('chat.completions.create: response_format json_object and json_schema, streamed and not', async () => {
  const messages = [{ role: 'user', content: 'Describe a person as JSON.' }];
  const obj = await model.chat.completions.create({ messages, max_tokens: 60, temperature: 0, response_format: { type: 'json_object' } });
  const text = obj.choices[0].message.content;
  if (obj.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
  else assert.ok(text.startsWith('{'), text);

  const params = {
    messages,
    max_tokens: 80,
    temperature: 0,
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } },
  };
  const r = await model.chat.completions.create(params);
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.deepEqual(schemaErrors(PERSON, JSON.parse(r.choices[0].message.content)), []);
  let streamed = '';
  for await (const c of await model.chat.completions.create({ ...params, stream: true })) streamed += c.choices[0]?.delta?.content ?? '';
  assert.equal(streamed, r.choices[0].message.content);
});

test('invalid grammars and schemas are invalid_argument naming the position', async () => {
  const e1 = await rejection(() => model.complete('x', { grammar: 'root ::= "a"\nitem ::= [a-' }));
  assert.ok(e1 instanceof WasmChordError);
  assert.equal(e1.code, 'invalid_argument');
  assert.match(e1.message, /grammar 2:\d+/);
  const e2 = await rejection(() => model.complete('x', { grammar: 'root ::= value' }));
  assert.match(e2.message, /1:10: undefined rule 'value'/);
  const e3 = await rejection(() => model.complete('x', { jsonSchema: { type: 'object', properties: { a: { $ref: '#/$defs/nope' } } } }));
  assert.equal(e3.code, 'invalid_argument');
  assert.match(e3.message, /\/properties\/a\/\$ref/);
  const e4 = await rejection(() => model.complete('x', { jsonSchema: '{"type": ' }));
  assert.match(e4.message, /invalid JSON/);
  const e5 = await rejection(() => model.complete('x', { grammar: 'root ::= "a"', jsonSchema: {} }));
  assert.match(e5.message, /cannot both/);
  const e6 = await rejection(() =>
    model.chat.completions.create({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'yaml' } }),
  );
  assert.equal(e6.code, 'invalid_argument');
  assert.match(e6.message, /response_format/);
});
