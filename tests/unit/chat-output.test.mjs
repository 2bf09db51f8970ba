// The chat reply parsers (pure TS): the reasoning splitter (js/src/chat-output.ts) and tool-call
// format detection and parsing (js/src/tool-calls.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ReasoningSplitter, promptOpensThinking } from '../../js/dist/chat-output.js';
import { detectToolFormat, parseToolCalls } from '../../js/dist/tool-calls.js';
import { findModelsDir } from '../../scripts/serve.mjs';

const TEMPLATES = join(findModelsDir() ?? '/work/shared/models', 'chat-templates');
const tmpl = (name) => readFileSync(join(TEMPLATES, `${name}.jinja`), 'utf8');
const TOOLS = [
  { type: 'function', function: { name: 'get_weather' } },
  { type: 'function', function: { name: 'get_time' } },
];

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
        assert.deepEqual(
          { reasoning: got.reasoning.trim(), content: got.content },
          { reasoning, content },
          `${JSON.stringify(text)} cut at ${i}, ${j}`,
        );
      }
    }
  }
  assert.equal(promptOpensThinking('<｜Assistant｜><think>\n'), true);
  assert.equal(promptOpensThinking('<|im_start|>assistant\n<think>\n\n</think>\n\n'), false);
  assert.equal(promptOpensThinking('<|im_start|>assistant\n'), false);
});

test('each shipped template family is recognized', () => {
  const want = {
    'NousResearch-Hermes-3-Llama-3.1-8B-tool_use': 'hermes',
    'Qwen-Qwen3-0.6B': 'hermes',
    'Qwen-Qwen2.5-7B-Instruct': 'hermes',
    'meta-llama-Llama-3.2-3B-Instruct': 'llama3',
    'meta-llama-Llama-3.1-8B-Instruct': 'llama3',
    'mistralai-Mistral-Nemo-Instruct-2407': 'mistral',
    'Mistral-Small-3.2-24B-Instruct-2506': 'mistral',
    'google-gemma-2-2b-it': 'generic',
  };
  for (const [name, format] of Object.entries(want)) assert.equal(detectToolFormat(tmpl(name)), format, name);
});

test('calls are parsed back in every format; what is not a call stays content', () => {
  const args = '{"city": "Paris", "unit": "celsius"}';
  const one = [{ name: 'get_weather', arguments: JSON.stringify(JSON.parse(args)) }];
  const two = [...one, { name: 'get_time', arguments: '{"zone":"CET"}' }];
  const cases = [
    ['hermes', `<tool_call>\n{"name": "get_weather", "arguments": ${args}}\n</tool_call>`, '', one],
    [
      'hermes',
      `Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": ${args}}\n</tool_call>\n<tool_call>{"name": "get_time", "arguments": {"zone": "CET"}}</tool_call>`,
      'Let me check.',
      two,
    ],
    ['hermes', '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}', '', one], // unterminated at EOS
    [
      'hermes',
      '<tool_call>{"name": "launch", "arguments": {}}</tool_call>',
      '<tool_call>{"name": "launch", "arguments": {}}</tool_call>',
      [],
    ],
    ['llama3', `{"name": "get_weather", "parameters": ${args}}`, '', one],
    [
      'llama3',
      `<|python_tag|>{"name": "get_weather", "parameters": ${args}}; {"name": "get_time", "parameters": {"zone": "CET"}}`,
      '',
      two,
    ],
    ['llama3', '{"not": "a call"}', '{"not": "a call"}', []],
    ['mistral', `[TOOL_CALLS][{"name": "get_weather", "arguments": ${args}}, {"name": "get_time", "arguments": {"zone": "CET"}}]`, '', two],
    ['mistral', `[TOOL_CALLS]get_weather[ARGS]${args}`, '', one],
    ['mistral', 'Just text.', 'Just text.', []],
    ['generic', `{"tool_calls": [{"name": "get_weather", "arguments": ${args}}]}`, '', one],
    [
      'generic',
      '{"tool_calls": [{"name": "get_weather", "arguments": "not json"}]}',
      '{"tool_calls": [{"name": "get_weather", "arguments": "not json"}]}',
      [],
    ],
  ];
  for (const [format, text, content, calls] of cases) {
    const r = parseToolCalls(format, text, TOOLS);
    assert.deepEqual(
      r.calls.map((c) => ({ ...c, arguments: JSON.stringify(JSON.parse(c.arguments)) })),
      calls,
      `${format}: ${text}`,
    );
    assert.equal(r.content, content, `${format}: ${text}`);
  }
});
