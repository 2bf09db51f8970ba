// The WebGPU backend against the CPU backend on synthetic llama models (chord-synth, cached in
// build/synth as scripts/equivalence.mjs does) of every weight type the GPU decodes, and of a few
// it dequantizes to f16 at upload (which must warn once and show in ModelInfo.gpu): teacher-forced
// along the CPU's greedy continuation, the same greedy tokens up to near-ties (top-2 margin under
// 1% in probability), and the probabilities of the CPU's top 5 within 0.01 on average (the bar
// scripts/equivalence.mjs sets against llama.cpp) and 0.05 at worst. The CPU quantizes activations
// to 8 bits for quantized weights, as llama.cpp does, and keeps an f16 KV cache; the GPU's plain
// path multiplies f32 activations: the gap is the CPU's own quantization noise. Models as the
// equivalence grid makes them (output projection in F16).
// Needs build/native-release/chord-synth (CHORD_NATIVE_BIN overrides the folder). Skipped with a
// message only when no adapter is found.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../js/dist/node.js';
import { acquireGpu } from '../../js/dist/webgpu/index.js';
import { ChordTools } from '../../scripts/lib/chord-tools.mjs';
import { GREEDY } from './helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');
const TYPES = ['F16', 'BF16', 'Q8_0', 'Q4_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_K_M', 'IQ4_NL', 'IQ4_XS'];
// Dequantized at upload: a k-quant, a grid I-quant and a ternary type.
const DEQUANTIZED = ['Q3_K', 'IQ2_XS', 'TQ2_0'];
const PROMPT = 'Once upon a time there was a tiny robot';

test('WebGPU backend = CPU backend on synthetic llama models of every GPU weight type', async (t) => {
  try {
    (await acquireGpu()).device.destroy();
  } catch (e) {
    if (e.code === 'unsupported') return t.skip(`no WebGPU adapter: ${e.message}`);
    throw e;
  }
  const tools = new ChordTools(BIN);
  for (const [preset, types] of [
    ['tiny-llama', [...TYPES, ...DEQUANTIZED]],
    ['tiny-mistral', ['Q4_0', 'Q6_K']], // head_dim 64, GQA 4, RoPE base 1e6
  ])
    for (const type of types) {
      const path = await tools.model(join(ROOT, 'build/synth'), preset, type, 1, { extra: ['--output-type', 'F16'], tag: '-o16' });
      const cpu = await loadModel(path, { threads: 1, contextLength: 64 });
      const warnings = [];
      const warn = console.warn;
      console.warn = (m) => warnings.push(String(m));
      let gpu;
      try {
        gpu = await loadModel(path, { threads: 1, contextLength: 64, backend: 'webgpu' });
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
        } else assert.deepEqual([dq, warnings], [undefined, []], `${type} is decoded on the GPU`);
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
          if (Math.exp(top[0].logprob) - Math.exp(top[1].logprob) > 1e-2)
            assert.equal(mine[0].token, top[0].token, `${preset} ${type} step ${i}`);
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
        t.diagnostic(
          `${preset} ${type}: top-5 |dp| mean ${mean.toFixed(4)}, worst ${worst.toFixed(4)}${ties ? `, ${ties} near-ties` : ''}`,
        );
        assert.ok(mean <= 0.01 && worst < 0.05, `${preset} ${type}: probabilities differ by ${mean} on average, ${worst} at worst`);
      } finally {
        await cpu.dispose();
        await gpu.dispose();
      }
    }
});
