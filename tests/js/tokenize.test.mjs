// Tokenizer access through the package: llama.cpp's reference token ids for the Llama 2 vocabulary
// (JS strings -> UTF-8 -> ids through the bindings), round trips, special tokens, raw pieces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WasmChordError, loadModel } from 'wasm-chord';
import { MODELS, STORIES, TINY_RANDOM, rejection } from './helpers.mjs';

let stories;
let llama; // llama-2-tiny-random: the full 32000-token Llama 2 SentencePiece vocabulary

before(async () => {
  stories = await loadModel(STORIES, { threads: 1 });
  llama = await loadModel(TINY_RANDOM, { threads: 1 });
});
after(async () => {
  await stories.dispose();
  await llama.dispose();
});

const SAMPLES = [
  'Hello world',
  ' leading space',
  'tabs\tand\nnewlines\n\n',
  'Äpfel und Bären',
  'emoji 😀🦙 and CJK 你好',
  'numbers 3.14159 and 1,000,000',
  "it's 'quoted' \"twice\"",
  '',
];

test('llama.cpp reference ids for the Llama 2 vocabulary (test-tokenizer-0 vectors)', async () => {
  const inputs = readFileSync(join(MODELS, 'vocab/ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n');
  const outputs = readFileSync(join(MODELS, 'vocab/ggml-vocab-llama-spm.gguf.out'), 'utf8').split('\n');
  let checked = 0;
  for (let i = 0; i < inputs.length; ++i) {
    const want = outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number);
    const got = await llama.tokenize(inputs[i], { addSpecial: false });
    assert.deepEqual(got, want, `input ${i}: ${JSON.stringify(inputs[i]).slice(0, 60)}`);
    ++checked;
  }
  assert.ok(checked >= 40);
});

test('tokenize/detokenize round trips (ASCII, accents, emoji via byte tokens)', async () => {
  for (const m of [stories, llama]) {
    for (const s of SAMPLES) {
      const ids = await m.tokenize(s);
      assert.equal(ids[0], m.info.bosToken, 'BOS added by default');
      assert.equal(await m.detokenize(ids), s, `${m.info.nVocab}: ${JSON.stringify(s)}`);
      const plain = await m.tokenize(s, { addSpecial: false });
      assert.deepEqual(plain, ids.slice(1));
    }
  }
});

test('special tokens: parseSpecial, detokenize special, token bytes', async () => {
  const parsed = await llama.tokenize('<s>Hi</s>', { addSpecial: false, parseSpecial: true });
  assert.equal(parsed[0], 1);
  assert.equal(parsed.at(-1), 2);
  const literal = await llama.tokenize('<s>Hi</s>', { addSpecial: false, parseSpecial: false });
  assert.ok(!literal.includes(1) && !literal.includes(2));
  assert.equal(await llama.detokenize(parsed), 'Hi');
  assert.match(await llama.detokenize(parsed, { special: true }), /^<s>.*Hi<\/s>$/);

  // an emoji is four byte tokens; their raw bytes concatenate to its UTF-8 encoding
  const ids = await llama.tokenize('😀', { addSpecial: false });
  const bytes = [];
  for (const id of ids) bytes.push(...(await llama.tokenBytes(id)));
  assert.equal(new TextDecoder().decode(Uint8Array.from(bytes)).trim(), '😀');
  const piece = await stories.tokenBytes((await stories.tokenize('Once', { addSpecial: false }))[0]);
  assert.ok(piece instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(piece), ' Once');
});

test('raw-text prompts recognise special-token text by default (llama.cpp server, HF); parseSpecial: false keeps it text', async () => {
  const { bosToken: bos, eosToken: eos } = llama.info;
  const prompt = '<s>[INST] Hi [/INST] Hello</s><s>[INST] Again [/INST]';
  const parsed = await llama.tokenize(prompt, { addSpecial: false });
  assert.deepEqual(
    parsed.filter((id) => id === bos || id === eos),
    [bos, eos, bos],
  );
  assert.equal(parsed[0], bos);
  assert.deepEqual(await llama.tokenize(prompt, { addSpecial: false, parseSpecial: true }), parsed);
  const literal = await llama.tokenize(prompt, { addSpecial: false, parseSpecial: false });
  assert.ok(!literal.includes(bos) && !literal.includes(eos), 'untrusted text cannot forge control tokens');
  assert.equal(await llama.detokenize(literal), prompt);

  // generate() reads its text prompt the same way: the prompt token counts tell which way it went
  const greedy = { maxTokens: 1, temperature: 0, topK: 1, addSpecial: false };
  assert.equal((await llama.complete(prompt, greedy)).usage.promptTokens, parsed.length);
  assert.equal((await llama.complete(prompt, { ...greedy, parseSpecial: false })).usage.promptTokens, literal.length);
});

test('out-of-vocabulary ids are typed errors', async () => {
  for (const bad of [[-1], [512], [1, 2, 100000]]) {
    const e = await rejection(() => stories.detokenize(bad));
    assert.ok(e instanceof WasmChordError);
    assert.equal(e.code, 'invalid_argument');
  }
  const e = await rejection(() => stories.tokenBytes(4096));
  assert.equal(e.code, 'invalid_argument');
});

test('vocabulary through metadata matches the tokenizer', async () => {
  const tokens = await llama.metadataValue('tokenizer.ggml.tokens');
  assert.equal(tokens.length, 32000);
  const ids = await llama.tokenize('Hello world', { addSpecial: false });
  assert.deepEqual(
    ids.map((i) => tokens[i]),
    ['▁Hello', '▁world'],
  );
  const types = await llama.metadataValue('tokenizer.ggml.token_type');
  assert.equal(types[1], 3); // <s> is a control token
});
