// The hf: source parser and llama.cpp's quant-picking rules (js/src/hub.ts), without a hub or wasm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableQuants, hubBase, parseHfSource, pickModelFile, splitParts } from '../../js/dist/hub.js';

test('parseHfSource: repo, revision, tag, file', () => {
  const spec = (repo, revision, tag, file) => ({ repo, revision, tag, file });
  assert.deepEqual(parseHfSource('hf:bartowski/Llama-3.2-1B-Instruct-GGUF'), spec('bartowski/Llama-3.2-1B-Instruct-GGUF'));
  assert.deepEqual(parseHfSource('hf:unsloth/gemma-3-1b-it-GGUF:Q4_K_M'), spec('unsloth/gemma-3-1b-it-GGUF', undefined, 'Q4_K_M'));
  assert.deepEqual(parseHfSource('hf://o/r@v1.0:iq4_xs'), spec('o/r', 'v1.0', 'iq4_xs'));
  assert.deepEqual(parseHfSource('hf:o/r@refs%2Fpr%2F3/sub/m-Q8_0.gguf'), spec('o/r', 'refs/pr/3', undefined, 'sub/m-Q8_0.gguf'));
  assert.deepEqual(parseHfSource('hf:o/r.v2/x.GGUF'), spec('o/r.v2', undefined, undefined, 'x.GGUF'));
  for (const bad of [
    'hf:',
    'hf:o',
    'hf:o/',
    'hf:/r',
    'hf:o/r:',
    'hf:o/r:Q4 K',
    'hf:o/r/',
    'hf:o/r/a//b.gguf',
    'hf:o/r/./b.gguf',
    'hf:o/r/x.bin',
    'hf:o/r@',
    'hf:o/r@%zz',
    'hf:o..x/r',
    'hf:o/r/x.gguf:Q4',
    'hf:o/r?x',
  ])
    assert.throws(
      () => parseHfSource(bad),
      (e) => e.code === 'invalid_argument',
      bad,
    );
});

const FILES = [
  '.gitattributes',
  'README.md',
  'mmproj-model-F16.gguf',
  'model.imatrix.gguf',
  'model-IQ4_XS.gguf',
  'model-Q4_0.gguf',
  'model-Q4_K_M.gguf',
  'model-Q4_K_S.gguf',
  'model.Q8_0.gguf',
  'Q6_K/model-Q6_K-00002-of-00002.gguf',
  'Q6_K/model-Q6_K-00001-of-00002.gguf',
];

test('pickModelFile: the tag followed by . or -, case-insensitive; part 1 only; projectors and imatrix never', () => {
  assert.equal(pickModelFile(FILES, 'q4_k_m'), 'model-Q4_K_M.gguf');
  assert.equal(pickModelFile(FILES, 'Q4_K'), undefined); // Q4_K is not followed by . or - in Q4_K_M/Q4_K_S
  assert.equal(pickModelFile(FILES, 'Q8_0'), 'model.Q8_0.gguf');
  assert.equal(pickModelFile(FILES, 'Q6_K'), 'Q6_K/model-Q6_K-00001-of-00002.gguf');
  assert.equal(pickModelFile(FILES, 'F16'), undefined);
  assert.equal(pickModelFile(FILES, 'Q4.0'), undefined); // the tag is text, not a pattern
  // default order: Q4_K_M, Q4_0, Q8_0, else the first model file
  assert.equal(pickModelFile(FILES, undefined), 'model-Q4_K_M.gguf');
  assert.equal(
    pickModelFile(
      FILES.filter((f) => !f.includes('Q4_K_M')),
      undefined,
    ),
    'model-Q4_0.gguf',
  );
  assert.equal(pickModelFile(['a-F16.gguf', 'a-Q8_0.gguf'], undefined), 'a-Q8_0.gguf');
  assert.equal(pickModelFile(['mmproj-x.gguf', 'b-BF16.gguf', 'a-F32.gguf'], undefined), 'b-BF16.gguf');
  assert.equal(pickModelFile(['mmproj-x-Q4_K_M.gguf'], undefined), undefined);
});

test('availableQuants and splitParts', () => {
  assert.deepEqual(availableQuants(FILES), ['IQ4_XS', 'Q4_0', 'Q4_K_M', 'Q4_K_S', 'Q6_K', 'Q8_0']);
  assert.deepEqual(splitParts(FILES, 'Q6_K/model-Q6_K-00001-of-00002.gguf', 'o/r'), [
    'Q6_K/model-Q6_K-00001-of-00002.gguf',
    'Q6_K/model-Q6_K-00002-of-00002.gguf',
  ]);
  assert.deepEqual(splitParts(FILES, 'model-Q4_0.gguf', 'o/r'), ['model-Q4_0.gguf']);
  assert.throws(
    () => splitParts(['a-00001-of-00003.gguf', 'a-00003-of-00003.gguf'], 'a-00001-of-00003.gguf', 'o/r'),
    (e) => e.code === 'not_found' && /part 2 of 3/.test(e.message),
  );
});

test('hubBase: default, trailing slashes, http(s) only', () => {
  assert.equal(hubBase(undefined), 'https://huggingface.co');
  assert.equal(hubBase('http://127.0.0.1:8000/'), 'http://127.0.0.1:8000');
  assert.equal(hubBase(new URL('https://hf-mirror.com/mirror/')), 'https://hf-mirror.com/mirror');
  for (const bad of ['ftp://x', 'not a url'])
    assert.throws(
      () => hubBase(bad),
      (e) => e.code === 'invalid_argument',
    );
});
