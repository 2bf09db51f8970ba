// Two builds of the package, paired: for each model and thread count they run alternately (one
// bench-node.mjs process per run, `rounds` times each) in this Node, which must validate relaxed
// SIMD and Memory64 (Node 24: scripts/toolchain/node_modules/.bin/node). Prints the best prefill /
// decode tok/s of each build and the ratio second / first. Pairs (--pair):
//   simd (default): SIMD128 vs relaxed-SIMD builds (wasm32);
//   m64: the wasm32 relaxed build the loader picks for a small model (chord-relaxed at 1 thread,
//        chord-relaxed-mt above) vs the Memory64 build (chord-m64) forced with memory64: true.
// Usage: node24 scripts/bench/simd-pair.mjs MODEL.gguf[,MODEL2..] [--pair simd|m64] [--threads 1,2]
//        [--rounds 3] [--prompt 128] [--gen 32]
import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (k, d) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : d;
};
const models = argv[0].split(',');
const threadsList = opt('--threads', '1').split(',').map(Number);
const rounds = Number(opt('--rounds', '3'));
const promptN = Number(opt('--prompt', '128'));
const genN = Number(opt('--gen', '32'));
const PAIRS = {
  simd: [
    { name: 'SIMD128', load: { simd: 'simd128' }, check: (i) => i.simd === 'simd128' },
    { name: 'relaxed', load: { simd: 'relaxed' }, check: (i) => i.simd === 'relaxed' },
  ],
  m64: [
    { name: 'wasm32', load: { simd: 'relaxed', memory64: false }, check: (i) => i.simd === 'relaxed' && !i.memory64 },
    { name: 'Memory64', load: { memory64: true }, check: (i) => i.memory64 === true },
  ],
};
const builds = PAIRS[opt('--pair', 'simd')] ?? fail(`--pair must be ${Object.keys(PAIRS).join(' or ')}`);

function fail(msg) {
  throw new Error(msg);
}

function runOnce(model, threads, build) {
  const cfg = {
    model,
    threads,
    ...build.load,
    contextLength: 512,
    promptN,
    genN,
    warmPromptN: 16,
    warmGenN: 2,
    reps: 1,
    seeds: [1],
    warmSeed: 99,
  };
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [join(here, 'bench-node.mjs'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => {
      if (code !== 0) return rej(new Error(`bench-node.mjs exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop());
      if (!build.check(r.info)) return rej(new Error(`asked for ${build.name}, ran ${JSON.stringify(r.info)}`));
      const x = r.runs[0];
      res({ prefill: (x.promptN / x.promptMs) * 1e3, decode: ((x.genN - 1) / x.genMs) * 1e3 });
    });
  });
}

const rows = [];
for (const model of models) {
  for (const threads of threadsList) {
    const best = builds.map(() => ({ prefill: 0, decode: 0 }));
    for (let r = 0; r < rounds; r++) {
      for (const i of r % 2 ? [1, 0] : [0, 1]) {
        const x = await runOnce(model, threads, builds[i]);
        console.error(
          `${basename(model)} ${threads}T ${builds[i].name}: prefill ${x.prefill.toFixed(1)}, decode ${x.decode.toFixed(2)} tok/s`,
        );
        best[i].prefill = Math.max(best[i].prefill, x.prefill);
        best[i].decode = Math.max(best[i].decode, x.decode);
      }
    }
    rows.push({ model: basename(model), threads, best });
  }
}
const [a, b] = builds.map((x) => x.name);
console.log(`| model | threads | prefill ${a} | prefill ${b} | ratio | decode ${a} | decode ${b} | ratio |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const {
  model,
  threads,
  best: [x, y],
} of rows) {
  console.log(
    `| ${model} | ${threads} | ${x.prefill.toFixed(1)} | ${y.prefill.toFixed(1)} | ${(y.prefill / x.prefill).toFixed(2)} | ` +
      `${x.decode.toFixed(2)} | ${y.decode.toFixed(2)} | ${(y.decode / x.decode).toFixed(2)} |`,
  );
}
