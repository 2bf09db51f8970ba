// The WebGPU backend against the CPU backend on synthetic models (chord-synth, cached in
// build/synth as scripts/equivalence.mjs does): llama of every weight type the GPU decodes, and of
// a few it dequantizes to f16 at upload (which must warn once and show in ModelInfo.gpu); every
// other decoder architecture at two types, LongRoPE's long factors, Llama 3's rope_freqs and a
// split GGUF; an encoder's generation is a typed error. Teacher-forced
// along the CPU's greedy continuation, the same greedy tokens up to near-ties (top-2 margin under
// 1% in probability), and the probabilities of the CPU's top 5 within 0.01 on average (the bar
// scripts/equivalence.mjs sets against llama.cpp) and 0.05 at worst. The CPU quantizes activations
// to 8 bits for quantized weights, as llama.cpp does, and keeps an f16 KV cache; the GPU's plain
// path multiplies f32 activations: the gap is the CPU's own quantization noise. Models as the
// equivalence grid makes them (output projection in F16).
// Needs build/native-release/chord-synth (CHORD_NATIVE_BIN overrides the folder). Skipped with a
// message only when no adapter is found.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../js/dist/node.js';
import { acquireGpu } from '../../js/dist/webgpu/index.js';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { GREEDY, parseGguf, splitGguf, writeGguf } from './helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');
const TYPES = ['F16', 'BF16', 'Q8_0', 'Q4_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_K_M', 'IQ4_NL', 'IQ4_XS'];
// Dequantized at upload: a k-quant, a grid I-quant and a ternary type.
const DEQUANTIZED = ['Q3_K', 'IQ2_XS', 'TQ2_0'];
const PROMPT = 'Once upon a time there was a tiny robot';
// Every other decoder architecture of chord-synth (its --list says what each exercises).
const ARCHS = ['tiny-qwen2', 'tiny-qwen3', 'tiny-smollm3', 'tiny-granite', 'tiny-gemma2', 'tiny-gemma3', 'tiny-phi3', 'tiny-olmo2'];

async function noAdapter() {
  try {
    (await acquireGpu()).device.destroy();
    return undefined;
  } catch (e) {
    if (e.code === 'unsupported') return `no WebGPU adapter: ${e.message}`;
    throw e;
  }
}

const tools = new ChordTools(BIN);
const synth = (preset, type) => tools.model(join(ROOT, 'build/synth'), preset, type, 1, { extra: ['--output-type', 'F16'], tag: '-o16' });

/** Teacher-forces the GPU backend along the CPU's greedy continuation of PROMPT and checks the bars
 *  above; `type` (a GGUF type name) says whether the GPU must have dequantized it at upload. */
async function compare(t, label, path, { contextLength = 64, type = '' } = {}) {
  const cpu = await loadModel(path, { threads: 1, contextLength });
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(String(m));
  let gpu;
  try {
    gpu = await loadModel(path, { threads: 1, contextLength, backend: 'webgpu' });
  } finally {
    console.warn = warn;
  }
  try {
    const dq = gpu.info.gpu.dequantized;
    if (DEQUANTIZED.includes(type)) {
      const name = type.toLowerCase().replace(/_k$/, '_K');
      assert.equal(warnings.length, 1, `${type}: one warning (${warnings})`);
      assert.match(warnings[0], new RegExp(`^\\[wasm-chord\\] WebGPU: .*${name} \\(\\d+ tensors\\).*dequantized to f16`));
      const row = dq?.find((r) => r.type === name);
      assert.ok(row && row.tensors >= 14 && row.gpuBytes > row.fileBytes, `${type}: ModelInfo.gpu.dequantized ${JSON.stringify(dq)}`);
      t.diagnostic(`${type}: ${warnings[0]}`);
    } else assert.deepEqual([dq, warnings], [undefined, []], `${label} is decoded on the GPU`);
    const prompt = await cpu.tokenize(PROMPT, {});
    const ref = await cpu.complete(prompt, { ...GREEDY, maxTokens: 10, topLogprobs: 5 });
    let worst = 0;
    let sum = 0;
    let count = 0;
    let ties = 0;
    for (let i = 0; i < ref.logprobs.length; ++i) {
      const forced = [...prompt, ...ref.logprobs.slice(0, i).map((s) => s.sampled.token)];
      const r = await gpu.complete(forced, { ...GREEDY, maxTokens: 1, topLogprobs: 20 });
      const top = ref.logprobs[i].top;
      const mine = r.logprobs[0].top;
      if (Math.exp(top[0].logprob) - Math.exp(top[1].logprob) > 1e-2) assert.equal(mine[0].token, top[0].token, `${label} step ${i}`);
      else ++ties;
      for (const { token, logprob } of top) {
        const m = mine.find((x) => x.token === token);
        // Absent from the GPU's top 20: at most its 20th probability.
        const p = m ? Math.exp(m.logprob) : Math.exp(mine[mine.length - 1].logprob);
        worst = Math.max(worst, Math.abs(p - Math.exp(logprob)));
        sum += Math.abs(p - Math.exp(logprob));
        ++count;
      }
    }
    const mean = sum / count;
    t.diagnostic(`${label}: top-5 |dp| mean ${mean.toFixed(4)}, worst ${worst.toFixed(4)}${ties ? `, ${ties} near-ties` : ''}`);
    assert.ok(mean <= 0.01 && worst < 0.05, `${label}: probabilities differ by ${mean} on average, ${worst} at worst`);
  } finally {
    await cpu.dispose();
    await gpu.dispose();
  }
}

test('WebGPU backend = CPU backend on synthetic llama models of every GPU weight type', async (t) => {
  const why = await noAdapter();
  if (why) return t.skip(why);
  for (const type of [...TYPES, ...DEQUANTIZED]) await compare(t, `tiny-llama ${type}`, await synth('tiny-llama', type), { type });
  // head_dim 64, GQA 4, RoPE base 1e6
  for (const type of ['Q4_0', 'Q6_K']) await compare(t, `tiny-mistral ${type}`, await synth('tiny-mistral', type), { type });
});

test('WebGPU backend = CPU backend on every other decoder architecture, RoPE factors, split GGUFs', async (t) => {
  const why = await noAdapter();
  if (why) return t.skip(why);
  // phi3 at Q4_0, not a K-quant: at Q4_K and Q6_K its first step's top two are 3% apart and the
  // CPU's 8-bit activations (|dp| ~0.02, as for llama's K-quants) swap them; at F16 the two
  // backends agree within 0.001.
  for (const a of ARCHS)
    for (const type of ['Q8_0', a === 'tiny-phi3' ? 'Q4_0' : 'Q4_K']) await compare(t, `${a} ${type}`, await synth(a, type), { type });
  // phi3 past its original context (128): LongRoPE's long factors instead of the short ones.
  await compare(t, 'tiny-phi3 Q8_0 (long factors)', await synth('tiny-phi3', 'Q8_0'), { contextLength: 256 });
  const dir = mkdtempSync(join(tmpdir(), 'chord-webgpu-eq-'));
  try {
    // Llama 3's rope_freqs (per-dimension frequency divisors), added to tiny-llama.
    const g = parseGguf(new Uint8Array(readFileSync(await synth('tiny-llama', 'Q8_0'))));
    const divisors = Float32Array.from({ length: 16 }, (_, i) => 1 + 7 * (i / 15) ** 2); // n_rot 32
    g.tensors.push({ name: 'rope_freqs.weight', ne: [16], type: 0, data: new Uint8Array(divisors.buffer) });
    writeFileSync(join(dir, 'rope-freqs.gguf'), writeGguf(g));
    await compare(t, 'tiny-llama Q8_0 + rope_freqs', join(dir, 'rope-freqs.gguf'));
    // A split GGUF (3 parts): the GPU model is built from the loaded model's views of every part.
    const parts = splitGguf(await synth('tiny-qwen3', 'Q8_0'), 3);
    parts.forEach((b, i) => writeFileSync(join(dir, `qwen3-0000${i + 1}-of-00003.gguf`), b));
    await compare(t, 'tiny-qwen3 Q8_0 in 3 parts', join(dir, 'qwen3-00001-of-00003.gguf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Encoders load on the GPU for embeddings (tests/js/webgpu-api.test.mjs compares those) and
  // refuse to generate with the CPU backend's typed error.
  const bert = await loadModel(await synth('tiny-bert', 'F16'), { threads: 1, contextLength: 64, backend: 'webgpu' });
  try {
    assert.equal(bert.info.backend, 'webgpu');
    await assert.rejects(bert.complete('Hello', { maxTokens: 4 }), { code: 'unsupported', message: /embedding model/ });
    assert.equal((await bert.embed('still works')).length, 1);
  } finally {
    await bert.dispose();
  }
});
