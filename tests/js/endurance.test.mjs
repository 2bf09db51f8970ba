// Endurance (issue 6): 200 loadModel/dispose cycles and 1,000 short greedy generations in one
// process; RSS, JS heap and external (wasm memory) sampled after a forced GC must stay flat.
// The loops run in a child `node --expose-gc` (this file, re-run with WASM_CHORD_ENDURANCE_CHILD=1).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadModel } from 'wasm-chord';
import { GREEDY, STORIES } from './helpers.mjs';

const LOAD_CYCLES = 200;
const LOAD_EVERY = 20;
const GENERATIONS = 1000;
const GEN_EVERY = 100;
const WARMUP = 10; // cycles / generations before the first sample
const MB = 1 << 20;
const RSS_BOUND = 16 * MB;
const HEAP_BOUND = 8 * MB;

function sample(done) {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { done, rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

async function child() {
  const out = { loads: [], gens: [], genTexts: new Set() };
  for (let i = 0; i < WARMUP; ++i) await (await loadModel(STORIES, { threads: 1 })).dispose();
  out.loads.push(sample(0));
  for (let i = 1; i <= LOAD_CYCLES; ++i) {
    const m = await loadModel(STORIES, { threads: 1 });
    await m.dispose();
    if (i % LOAD_EVERY === 0) out.loads.push(sample(i));
  }
  const model = await loadModel(STORIES, { threads: 1 });
  const prompts = ['', 'Once upon a time', 'The cat', 'Lily and Ben went to the park'];
  for (let i = 0; i < WARMUP; ++i) await model.complete(prompts[i % 4], { ...GREEDY, maxTokens: 4 + (i % 5) });
  out.gens.push(sample(0));
  for (let i = 1; i <= GENERATIONS; ++i) {
    const r = await model.complete(prompts[i % 4], { ...GREEDY, maxTokens: 4 + (i % 5) });
    if (r.tokens.length < 1) throw new Error(`generation ${i} produced no tokens`);
    out.genTexts.add(`${i % 4}/${4 + (i % 5)}:${r.text}`);
    if (i % GEN_EVERY === 0) out.gens.push(sample(i));
  }
  await model.dispose();
  // greedy is deterministic: each (prompt, maxTokens) pair gave one text, every time
  out.distinctTexts = out.genTexts.size;
  delete out.genTexts;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Mean of the last third minus mean of the first third of the samples (bytes). */
function growth(samples, key) {
  const k = Math.max(1, Math.floor(samples.length / 3));
  return mean(samples.slice(-k).map((s) => s[key])) - mean(samples.slice(0, k).map((s) => s[key]));
}

function table(title, unit, samples) {
  const f = (b) => (b / MB).toFixed(2).padStart(8);
  const lines = [`${title}`, `${unit.padStart(7)}   rss MB  heap MB   ext MB`];
  for (const s of samples) lines.push(`${String(s.done).padStart(7)} ${f(s.rss)} ${f(s.heapUsed)} ${f(s.external)}`);
  const g = (key) => `${(growth(samples, key) / MB).toFixed(2)} MB`;
  lines.push(`growth (last third - first third): rss ${g('rss')}, heap ${g('heapUsed')}, external ${g('external')}`);
  return lines.join('\n');
}

if (process.env.WASM_CHORD_ENDURANCE_CHILD) {
  await child();
} else {
  test('200 load/dispose cycles and 1,000 generations keep memory flat', { timeout: 120000 }, () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url)], {
      env: { ...process.env, WASM_CHORD_ENDURANCE_CHILD: '1' },
      encoding: 'utf8',
      timeout: 110000,
    });
    assert.equal(r.status, 0, `the child failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const report = [
      `endurance (${secs} s, node ${process.version}):`,
      table(`loadModel/dispose of stories260K (every ${LOAD_EVERY} cycles):`, 'cycles', out.loads),
      table(`greedy generations, maxTokens 4-8, one model (every ${GEN_EVERY}):`, 'gens', out.gens),
    ].join('\n');
    console.log(report);
    assert.equal(out.loads.length, LOAD_CYCLES / LOAD_EVERY + 1);
    assert.equal(out.gens.length, GENERATIONS / GEN_EVERY + 1);
    assert.equal(out.distinctTexts, 4 * 5, 'greedy output is the same for the same prompt every time');
    for (const [name, samples] of [
      ['load/dispose', out.loads],
      ['generate', out.gens],
    ]) {
      assert.ok(growth(samples, 'rss') < RSS_BOUND, `${name}: RSS grew by ${growth(samples, 'rss')} bytes`);
      assert.ok(growth(samples, 'heapUsed') < HEAP_BOUND, `${name}: JS heap grew by ${growth(samples, 'heapUsed')} bytes`);
    }
    // External memory is mostly wasm heaps (32 MiB each). During load/dispose it steps by whole
    // heaps depending on when the GC reclaims disposed instances, so it is bounded by count there
    // (at most 3 instances' worth pending) and checked for growth only for the long-lived model.
    assert.ok(Math.max(...out.loads.map((s) => s.external)) <= 3 * 32 * MB + 4 * MB, 'disposed wasm heaps are reclaimed');
    assert.ok(growth(out.gens, 'external') < RSS_BOUND, `generate: external (wasm) memory grew by ${growth(out.gens, 'external')} bytes`);
  });
}
