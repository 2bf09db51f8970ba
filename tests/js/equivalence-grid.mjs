// Runs scripts/equivalence.mjs (the llama.cpp equivalence grid) for a test and requires every row
// to pass its bars; shared by tests/js/equivalence.test.mjs and tests/e2e/webgpu.test.mjs.
// Needs build/native-release (chord-synth, chord-cli; CHORD_NATIVE_BIN overrides the folder).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.CHORD_NATIVE_BIN ?? join(ROOT, 'build/native-release');

// The weight types the GPU backend keeps quantized (issue 14), F16 standing for F16/F32.
export const GPU_TYPES = 'F16,Q8_0,Q4_0,Q4_K,Q5_K,Q6_K';

/** equivalence.mjs with these arguments; env: more environment; t: the test, skipped when the
 *  script finds no WebGPU adapter (exit 3). Prints the table. */
export function grid(args, { env = {}, t = null } = {}) {
  for (const tool of ['chord-cli', 'chord-synth']) {
    assert.ok(existsSync(join(BIN, tool)), `${join(BIN, tool)} is missing: build it first with "bash scripts/build.sh native-release"`);
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/equivalence.mjs'), '--bin', BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (t && r.status === 3) return t.skip(r.stdout.trim());
  process.stdout.write(r.stdout);
  assert.equal(r.status, 0, `equivalence.mjs ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /(\d+)\/\1 rows pass/, 'not every row passed');
}
