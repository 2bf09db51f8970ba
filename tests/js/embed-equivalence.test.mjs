// Embedding equivalence with llama.cpp (@fugood/llama.node, loadModel({embedding: true,
// pooling_type})): for stories260K and synthetic tiny-llama / tiny-qwen3 models (chord-synth,
// F32 weights), mean and last pooling, each text's cosine between wasm-chord's model.embed() and
// llama.cpp's embedding must be >= 0.9999. Prints a table. Needs build/native-release/chord-synth
// (bash scripts/build.sh native-release); models are cached in build/synth.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { join, resolve } from 'node:path';
import { loadModel } from 'wasm-chord';
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
const POOLINGS = ['mean', 'last'];
const MIN_COSINE = 0.9999;

const rows = [];
after(() => {
  console.log('\n| model | pooling | texts | min cosine | max |diff| |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.model} | ${r.pooling} | ${r.n} | ${r.min.toFixed(7)} | ${r.diff.toExponential(2)} |`);
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

// llama.cpp's vectors from a child process per model (see scripts/lib/llama-embed.mjs).
function llamaEmbeddings(path, pooling) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/lib/llama-embed.mjs'), path, pooling, JSON.stringify(TEXTS)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, `llama-embed.mjs failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.split('\n@@EMBEDDINGS@@\n')[1]);
}

async function compare(name, path) {
  const model = await loadModel(path, { threads: 1, contextLength: 256 });
  try {
    for (const pooling of POOLINGS) {
      const ours = await model.embed(TEXTS, { pooling });
      const theirs = llamaEmbeddings(path, pooling);
      const cos = ours.map((v, i) => cosine(v, theirs[i]));
      const diff = Math.max(...ours.map((v, i) => v.reduce((m, x, j) => Math.max(m, Math.abs(x - theirs[i][j])), 0)));
      rows.push({ model: name, pooling, n: TEXTS.length, min: Math.min(...cos), diff });
      cos.forEach((c, i) => assert.ok(c >= MIN_COSINE, `${name} ${pooling} text ${i}: cosine ${c}`));
    }
  } finally {
    await model.dispose();
  }
}

test('stories260K: mean and last pooling match llama.cpp', { timeout: 120_000 }, () => compare('stories260K', STORIES));

for (const preset of ['tiny-llama', 'tiny-qwen3']) {
  test(`${preset} (synthetic, F32): mean and last pooling match llama.cpp`, { timeout: 300_000 }, async () => {
    const tools = new ChordTools(BIN);
    const path = await tools.model(join(ROOT, 'build/synth'), preset, 'F32', 1);
    await compare(preset, path);
  });
}
