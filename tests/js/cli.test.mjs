// The wasm-chord CLI (package.json "bin"): greedy run, tokenize, chat, typed error exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GOLDEN_TEXT, LEGACY_V1, STORIES } from './helpers.mjs';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'js/dist/cli.js');
const cli = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });

test('run, tokenize and chat', () => {
  const run = cli('run', STORIES, '-n', '30', '--temp', '0', '--threads', '1');
  assert.equal(run.status, 0, run.stderr);
  assert.ok(readFileSync(GOLDEN_TEXT, 'utf8').startsWith(run.stdout.trimEnd()));
  assert.match(run.stderr, /30 tokens/);
  const tok = cli('tokenize', STORIES, '-p', 'Once upon', '--threads', '1');
  assert.deepEqual(JSON.parse(tok.stdout), [1, 403, 407]);
  const chat = cli('chat', STORIES, '-p', 'Hi', '-n', '5', '--temp', '0', '--threads', '1', '--json');
  assert.equal(chat.status, 0, chat.stderr);
  assert.equal(JSON.parse(chat.stdout.trim()).usage.completion_tokens, 5);
});

test('errors: typed message and exit code', () => {
  const bad = cli('run', LEGACY_V1, '--threads', '1');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: unsupported: /);
  const usage = cli('run');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage: wasm-chord/);
  const arg = cli('run', STORIES, '--threads', '0');
  assert.equal(arg.status, 2);
  assert.match(arg.stderr, /invalid_argument/);
});
