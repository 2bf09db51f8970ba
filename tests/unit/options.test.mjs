// The generation-options table (js/src/options.ts): the public options and OpenAI / llama.cpp
// request fields map onto the C++ record by one table; errors name the field as the caller spelled it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optionsFromRequest, toRecord } from '../../js/dist/options.js';

const LIMITS = { contextLength: 512, defaultMaxTokens: -1 };

test('public options become the record: wire names, only what was given, a seed always', () => {
  const r = toRecord(
    { maxTokens: 8, topK: 3, penaltyLastN: -1, logitBias: { 5: -1, 7: -Infinity }, stop: 'x', ignoreEos: true, seed: 2n ** 63n },
    100,
  );
  assert.deepEqual(r, {
    max_tokens: 8,
    top_k: 3,
    repeat_last_n: -1,
    logit_bias: [
      [5, -1],
      [7, -Infinity],
    ],
    stop: ['x'],
    ignore_eos: true,
    seed: '9223372036854775808',
  });
  const d = toRecord({}, 100);
  assert.deepEqual(Object.keys(d), ['seed'], 'omitted options are left to the C++ defaults');
  assert.match(d.seed, /^\d+$/);
  assert.notEqual(toRecord({}, 100).seed, d.seed, 'an omitted seed is random');
  assert.deepEqual(toRecord({ stop: ['a'] }, 100, ['a', '<|im_end|>']).stop, ['a', '<|im_end|>']);
  assert.equal(toRecord({ seed: 42 }, 100).seed, '42');
});

test('invalid public options are invalid_argument naming the option', () => {
  for (const [opts, name] of [
    [{ maxTokens: -1 }, 'maxTokens'],
    [{ topK: 1.5 }, 'topK'],
    [{ topP: 2 }, 'topP'],
    [{ temperature: 'hot' }, 'temperature'],
    [{ stop: [''] }, 'stop'],
    [{ logitBias: { 100: 1 } }, 'logitBias'],
    [{ seed: 1.5 }, 'seed'],
    [{ ignoreEos: 1 }, 'ignoreEos'],
    [{ topLogprobs: 101 }, 'topLogprobs'],
  ]) {
    assert.throws(
      () => toRecord(opts, 100),
      (e) => e.code === 'invalid_argument' && e.message.includes(name),
      JSON.stringify(opts),
    );
  }
});

test('request fields: aliases, OpenAI precedence, -1 meanings, empty stop strings', () => {
  assert.deepEqual(optionsFromRequest({ max_completion_tokens: 5, max_tokens: 9, n_predict: 7 }, LIMITS).maxTokens, 5);
  assert.equal(optionsFromRequest({ n_predict: 7 }, LIMITS).maxTokens, 7);
  assert.equal(optionsFromRequest({ max_tokens: -1 }, LIMITS).maxTokens, 512, '-1: until the context is full');
  assert.equal(optionsFromRequest({}, LIMITS).maxTokens, 512, 'default -1: the context length');
  assert.equal(optionsFromRequest({}, { contextLength: 512, defaultMaxTokens: 16 }).maxTokens, 16);
  assert.equal(optionsFromRequest({}, { contextLength: 512 }).maxTokens, undefined, 'no default: the runtime decides');
  assert.equal(optionsFromRequest({ penalty_last_n: 8 }, LIMITS).penaltyLastN, 8);
  assert.equal(optionsFromRequest({ repeat_last_n: 4, penalty_last_n: 8 }, LIMITS).penaltyLastN, 4);
  assert.deepEqual(optionsFromRequest({ stop: ['', 'x'] }, LIMITS).stop, ['x']);
  assert.equal(optionsFromRequest({ stop: '' }, LIMITS).stop, undefined);
  assert.equal(optionsFromRequest({ seed: -1 }, LIMITS).seed, -1);
  assert.deepEqual(optionsFromRequest({ logprobs: true, top_logprobs: 2 }, LIMITS), { maxTokens: 512, logprobs: true, topLogprobs: 2 });
});

test("request errors go through the caller's error factory with the field and a code", () => {
  const fail = (message, param, code) => Object.assign(new Error(message), { param, code });
  for (const [body, param, code] of [
    [{ temperature: 'hot' }, 'temperature', 'invalid_type'],
    [{ temperature: -1 }, 'temperature', 'invalid_value'],
    [{ max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
    [{ max_tokens: -7 }, 'max_tokens', 'invalid_value'],
    [{ top_p: 3 }, 'top_p', 'invalid_value'],
    [{ stop: 7 }, 'stop', 'invalid_type'],
    [{ logit_bias: { abc: 1 } }, 'logit_bias', 'invalid_value'],
    [{ penalty_last_n: -2 }, 'penalty_last_n', 'invalid_value'],
    [{ stop: Array(17).fill('x') }, 'stop', 'invalid_value'],
  ]) {
    assert.throws(
      () => optionsFromRequest(body, LIMITS, fail),
      (e) => e.param === param && e.code === code,
      JSON.stringify(body),
    );
  }
});

test('constrained output: grammar / jsonSchema fields and OpenAI response_format', () => {
  const schema = { type: 'object', properties: { a: { type: 'integer' } } };
  assert.deepEqual(toRecord({ grammar: 'root ::= "x"', jsonSchema: schema, seed: 1 }, 100), {
    grammar: 'root ::= "x"',
    json_schema: JSON.stringify(schema),
    seed: '1',
  });
  assert.equal(toRecord({ jsonSchema: '{"type":"string"}', seed: 1 }, 100).json_schema, '{"type":"string"}');
  const req = (body) => optionsFromRequest(body, LIMITS);
  assert.deepEqual(req({ response_format: { type: 'json_object' } }).jsonSchema, {});
  assert.deepEqual(req({ response_format: { type: 'json_object', schema } }).jsonSchema, schema);
  assert.deepEqual(req({ response_format: { type: 'json_schema', json_schema: { name: 'n', schema, strict: true } } }).jsonSchema, schema);
  assert.equal(req({ response_format: { type: 'text' } }).jsonSchema, undefined);
  assert.equal(req({ grammar: 'root ::= "y"' }).grammar, 'root ::= "y"');
  assert.equal(req({ json_schema: schema }).jsonSchema, JSON.stringify(schema));
  const fail = (message, param, code) => Object.assign(new Error(message), { param, code });
  for (const [body, code] of [
    [{ response_format: { type: 'yaml' } }, 'invalid_value'],
    [{ response_format: { type: 'json_schema' } }, 'invalid_value'],
    [{ response_format: 'json' }, 'invalid_type'],
    [{ response_format: { type: 'json_object' }, grammar: 'root ::= "z"' }, 'invalid_value'],
  ]) {
    assert.throws(
      () => optionsFromRequest(body, LIMITS, fail),
      (e) => e.param === 'response_format' && e.code === code,
      JSON.stringify(body),
    );
  }
  assert.throws(() => toRecord({ grammar: 5 }, 100), /'grammar' must be a string/);
  assert.throws(() => toRecord({ jsonSchema: [1] }, 100), /'jsonSchema' must be a JSON Schema object/);
});
