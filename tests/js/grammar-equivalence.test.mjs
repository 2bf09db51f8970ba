// Grammar equivalence with llama.cpp (@fugood/llama.node): greedy output under a grammar equals
// llama.cpp's, text for text, for a JSON grammar, a list, an arithmetic grammar and a JSON Schema
// with $ref (llama.cpp converting the schema itself), on stories260K (512-token SPM vocabulary)
// and llama-2-tiny-random (the 32000-token Llama-2 vocabulary).
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { GREEDY, STORIES, TINY_RANDOM } from './helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const grammar = (name) => readFileSync(join(ROOT, 'tests/fixtures/grammars', name), 'utf8');
const REF_SCHEMA = {
  $defs: {
    item: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 10 }, qty: { type: 'integer', minimum: 1, maximum: 99 } },
      required: ['name', 'qty'],
    },
  },
  type: 'object',
  properties: { items: { type: 'array', items: { $ref: '#/$defs/item' }, minItems: 1, maxItems: 2 }, done: { type: 'boolean' } },
  required: ['items'],
};
const CASES = [
  { name: 'JSON grammar', prompt: 'Once upon a time', n: 48, grammar: grammar('json.gbnf') },
  { name: 'list grammar', prompt: 'Once upon a time', n: 40, grammar: grammar('list.gbnf') },
  { name: 'arithmetic grammar', prompt: 'Tom had 2 apples', n: 32, grammar: grammar('arithmetic.gbnf') },
  { name: 'JSON Schema with $ref', prompt: 'Once upon a time', n: 64, schema: REF_SCHEMA },
];

/** llama.cpp's greedy texts for every case, from a child process (its native log stays there). */
function llamaTexts(model) {
  return new Promise((resolveP, reject) => {
    const child = fork(join(ROOT, 'scripts/lib/grammar-oracle-child.mjs'), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('message', (r) => (r.ok ? resolveP(r.texts) : reject(new Error(r.error))));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`llama.cpp child exited ${code}:\n${stderr.slice(-4000)}`));
    });
    child.send({ model, cases: CASES.map(({ prompt, n, grammar: g, schema }) => ({ prompt, n, grammar: g, schema })) });
  });
}

for (const [label, path] of [
  ['stories260K', STORIES],
  ['llama-2-tiny-random', TINY_RANDOM],
]) {
  test(`greedy output under grammars equals llama.cpp's on ${label}`, { timeout: 5 * 60 * 1000 }, async () => {
    const want = await llamaTexts(path);
    const model = await loadModel(path, { threads: 1 });
    try {
      for (const [i, c] of CASES.entries()) {
        const constraint = c.grammar !== undefined ? { grammar: c.grammar } : { jsonSchema: c.schema };
        const r = await model.complete(c.prompt, { ...GREEDY, maxTokens: c.n, ...constraint });
        assert.equal(r.text, want[i], `${label}, ${c.name}`);
        assert.ok(r.text.length > 0, `${label}, ${c.name}: some output`);
      }
    } finally {
      await model.dispose();
    }
  });
}
