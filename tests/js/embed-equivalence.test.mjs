// Embedding equivalence with llama.cpp (@fugood/llama.node, loadModel({embedding: true,
// pooling_type})): for stories260K, synthetic tiny-llama / tiny-qwen3 decoders and the tiny-bert /
// tiny-nomic-bert encoders (chord-synth, F32 weights, and Q8_0 for the encoders; encoders non-causal,
// pooled as their metadata says or overridden), each text's cosine between wasm-chord's model.embed() and llama.cpp's
// embedding must be >= 0.9999. Many short texts embedded together (packed into shared batches)
// must equal the same texts embedded one at a time. Prints a table per model and pooling and one
// row per architecture. Needs build/native-release/chord-synth (bash scripts/build.sh
// native-release); models are cached in build/synth.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { join, resolve } from 'node:path';
import { WasmChordError, loadModel } from 'wasm-chord';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { STORIES } from './helpers.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');
const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'The dog ran to the park and played with a red ball.',
  'Hi',
  'She was happy because the sun was shining and her friends were there to play with her all day.',
];
const DECODER_POOLINGS = ['mean', 'last'];
const ENCODER_POOLINGS = [undefined, 'mean', 'cls']; // undefined: the model's <arch>.pooling_type
const MIN_COSINE = 0.9999;
const MIN_BATCH_COSINE = 0.99999;

const rows = [];
after(() => {
  console.log('\n| model | arch | type | pooling | texts | min cosine | max |diff| |\n|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.model} | ${r.arch} | ${r.type} | ${r.pooling} | ${r.n} | ${r.min.toFixed(7)} | ${r.diff.toExponential(2)} |`);
  const archs = new Map();
  for (const r of rows) {
    const k = `${r.arch} | ${r.type}`;
    archs.set(k, Math.min(archs.get(k) ?? 1, r.min));
  }
  console.log('\n| arch | type | min cosine vs llama.cpp |\n|---|---|---|');
  for (const [k, min] of archs) console.log(`| ${k} | ${min.toFixed(7)} |`);
});

const cosine = (a, b) => {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

// llama.cpp's vectors from a child process per model (see scripts/lib/llama-embed.mjs); pooling ''
// leaves llama.cpp the model's own.
function llamaEmbeddings(path, pooling) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/lib/llama-embed.mjs'), path, pooling ?? '', JSON.stringify(TEXTS)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `llama-embed.mjs failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.split('\n@@EMBEDDINGS@@\n')[1]);
}

async function compare(name, path, type, poolings) {
  const model = await loadModel(path, { threads: 1, contextLength: 256 });
  try {
    for (const pooling of poolings) {
      const ours = await model.embed(TEXTS, { pooling });
      const theirs = llamaEmbeddings(path, pooling);
      const cos = ours.map((v, i) => cosine(v, theirs[i]));
      const diff = Math.max(...ours.map((v, i) => v.reduce((m, x, j) => Math.max(m, Math.abs(x - theirs[i][j])), 0)));
      const row = { model: name, arch: model.info.arch, type, pooling: pooling ?? 'model', n: TEXTS.length };
      rows.push({ ...row, min: Math.min(...cos), diff });
      cos.forEach((c, i) => assert.ok(c >= MIN_COSINE, `${name} ${row.pooling} text ${i}: cosine ${c}`));
      // Non-causal: the CLS token sees the whole text, so different texts give different vectors
      // (causally it would see only itself: the same vector for every text). The synthetic models'
      // residual stays near the token's own embedding, hence a small but clear difference (~0.998).
      if (pooling === 'cls') assert.ok(cosine(ours[0], ours[1]) < 0.9999, `${name}: CLS states of two texts coincide`);
    }
  } finally {
    await model.dispose();
  }
}

// 64 short texts in one call (packed several to a forward batch) vs one call per text.
async function batchedEqualsSingle(path) {
  const model = await loadModel(path, { threads: 1, contextLength: 256 });
  try {
    const texts = Array.from({ length: 64 }, (_, i) => `${TEXTS[i % TEXTS.length].slice(0, 12 + (i % 29))} ${i}`);
    const together = await model.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await model.embed(texts[i]);
      const c = cosine(together[i], alone);
      assert.ok(c >= MIN_BATCH_COSINE, `text ${i}: batched vs alone cosine ${c}`);
    }
  } finally {
    await model.dispose();
  }
}

test('stories260K: mean and last pooling match llama.cpp', { timeout: 120_000 }, () =>
  compare('stories260K', STORIES, 'F32', DECODER_POOLINGS),
);

for (const [preset, type, poolings] of [
  ['tiny-llama', 'F32', DECODER_POOLINGS],
  ['tiny-qwen3', 'F32', DECODER_POOLINGS],
  ['tiny-bert', 'F32', ENCODER_POOLINGS],
  ['tiny-nomic-bert', 'F32', ENCODER_POOLINGS],
  ['tiny-bert', 'Q8_0', [undefined]],
  ['tiny-nomic-bert', 'Q8_0', [undefined]],
]) {
  test(
    `${preset} (synthetic, ${type}): ${poolings.map((p) => p ?? 'model').join(', ')} pooling match llama.cpp`,
    { timeout: 300_000 },
    async () => {
      const tools = new ChordTools(BIN);
      const path = await tools.model(join(ROOT, 'build/synth'), preset, type, 1);
      await compare(preset, path, type, poolings);
    },
  );
}

test('an encoder refuses to generate with a typed error and still embeds', { timeout: 120_000 }, async () => {
  const tools = new ChordTools(BIN);
  const model = await loadModel(await tools.model(join(ROOT, 'build/synth'), 'tiny-nomic-bert', 'F32', 1), { threads: 1 });
  try {
    const e = await model.complete('Hello', { maxTokens: 4 }).catch((err) => err);
    assert.ok(e instanceof WasmChordError && e.code === 'unsupported', String(e));
    assert.equal((await model.embed('still works')).length, 1);
  } finally {
    await model.dispose();
  }
});

for (const preset of ['tiny-bert', 'tiny-qwen3']) {
  test(`${preset}: 64 short texts embedded together equal one-at-a-time embeddings`, { timeout: 300_000 }, async () => {
    const tools = new ChordTools(BIN);
    await batchedEqualsSingle(await tools.model(join(ROOT, 'build/synth'), preset, 'F32', 1));
  });
}
