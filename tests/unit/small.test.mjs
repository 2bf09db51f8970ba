// Small pure helpers: byte formatting, OpenAI ids and usage, CLI argument parsing, server
// parameter checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HELP_OPTION, MODEL_OPTIONS, PROMPT_TEXT_OPTIONS, UsageError, parseArgs, promptTextArgs } from '../../js/dist/cli/args.js';
import { formatBytes } from '../../js/dist/format.js';
import { completionId, openAiUsage } from '../../js/dist/openai.js';
import { HttpError } from '../../js/dist/server/http.js';
import { optBool, optInt, optNumber, optString } from '../../js/dist/server/params.js';

test('formatBytes: binary units at each threshold', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(1.5 * 2 ** 20), '1.5 MiB');
  assert.equal(formatBytes(2 ** 32), '4.00 GiB');
});

test('completionId: prefix and 32 random hex digits, unique', () => {
  const ids = new Set(Array.from({ length: 100 }, () => completionId('chatcmpl')));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^chatcmpl-[0-9a-f]{32}$/);
});

test('openAiUsage: totals and cached prompt tokens', () => {
  assert.deepEqual(openAiUsage({ promptTokens: 7, completionTokens: 5, cachedTokens: 3 }), {
    prompt_tokens: 7,
    completion_tokens: 5,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 3 },
  });
});

test('CLI prompt-text flags: special-token text is parsed unless --no-parse-special', () => {
  const cmd = { name: 't', summary: '', usage: '', options: PROMPT_TEXT_OPTIONS };
  const args = (argv) => promptTextArgs(parseArgs(argv, cmd).values);
  assert.deepEqual(args([]), { addSpecial: true, parseSpecial: true });
  assert.deepEqual(args(['--no-parse-special', '--no-bos']), { addSpecial: false, parseSpecial: false });
  assert.deepEqual(args(['--parse-special']), { addSpecial: true, parseSpecial: true });
  assert.throws(() => args(['--parse-special', '--no-parse-special']), UsageError);
});

test("CLI one-dash names of several letters (llama.cpp's -hf) beside -h and positionals", () => {
  const cmd = { name: 't', summary: '', usage: '', options: [...MODEL_OPTIONS, HELP_OPTION], maxPositionals: 1 };
  const v = (argv) => parseArgs(argv, cmd);
  assert.equal(v(['-hf', 'a/b:Q4_0']).values['hf-repo'], 'a/b:Q4_0');
  assert.equal(v(['-hf=a/b']).values['hf-repo'], 'a/b');
  assert.equal(v(['--hf', 'a/b']).values['hf-repo'], 'a/b');
  assert.equal(v(['-hfr', 'a/b', '-hff', 'f.gguf', '-hft', 'hf_x']).values['hf-token'], 'hf_x');
  assert.equal(v(['-h']).values.help, true);
  assert.deepEqual(v(['xhf']).positionals, ['xhf']);
  assert.throws(() => v(['-hf']), /-hf needs a value/);
  assert.throws(() => v(['-hx']), /-h takes no value/);
});

test('server parameters: a wrong type or range is a 400 naming the field', () => {
  const fails = (fn, param, code) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof HttpError);
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      assert.equal(e.code, code);
      return;
    }
    assert.fail('expected an HttpError');
  };
  assert.equal(optNumber({}, 'temperature'), undefined);
  assert.equal(optNumber({ temperature: null }, 'temperature'), undefined);
  assert.equal(optNumber({ temperature: 0.5 }, 'temperature', 0, 2), 0.5);
  fails(() => optNumber({ temperature: 'hot' }, 'temperature'), 'temperature', 'invalid_type');
  fails(() => optNumber({ temperature: 3 }, 'temperature', 0, 2), 'temperature', 'invalid_value');
  fails(() => optNumber({ top_p: Infinity }, 'top_p'), 'top_p', 'invalid_type');
  fails(() => optInt({ n: 1.5 }, 'n'), 'n', 'invalid_type');
  fails(() => optBool({ stream: 'yes' }, 'stream'), 'stream', 'invalid_type');
  fails(() => optString({ model: 1 }, 'model'), 'model', 'invalid_type');
});
