// Relaxed-SIMD vs SIMD128 builds of the package, paired: for each model and thread count the two
// builds run alternately (one bench-node.mjs process per run, `rounds` times each) in this Node,
// which must validate relaxed SIMD (Node 24: scripts/toolchain/node_modules/.bin/node). Prints the
// best prefill / decode tok/s of each build and the ratio relaxed / SIMD128.
// Usage: node24 scripts/bench/simd-pair.mjs MODEL.gguf[,MODEL2..] [--threads 1,2] [--rounds 3]
//        [--prompt 128] [--gen 32]
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

function runOnce(model, threads, simd) {
  const cfg = { model, threads, simd, contextLength: 512, promptN, genN, warmPromptN: 16, warmGenN: 2, reps: 1, seeds: [1], warmSeed: 99 };
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [join(here, 'bench-node.mjs'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => {
      if (code !== 0) return rej(new Error(`bench-node.mjs exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop());
      if (r.info.simd !== simd) return rej(new Error(`asked for ${simd}, ran ${r.info.simd}`));
      const x = r.runs[0];
      res({ prefill: (x.promptN / x.promptMs) * 1e3, decode: ((x.genN - 1) / x.genMs) * 1e3 });
    });
  });
}

const rows = [];
for (const model of models) {
  for (const threads of threadsList) {
    const best = { simd128: { prefill: 0, decode: 0 }, relaxed: { prefill: 0, decode: 0 } };
    for (let r = 0; r < rounds; r++) {
      for (const simd of r % 2 ? ['relaxed', 'simd128'] : ['simd128', 'relaxed']) {
        const x = await runOnce(model, threads, simd);
        console.error(`${basename(model)} ${threads}T ${simd}: prefill ${x.prefill.toFixed(1)}, decode ${x.decode.toFixed(2)} tok/s`);
        best[simd].prefill = Math.max(best[simd].prefill, x.prefill);
        best[simd].decode = Math.max(best[simd].decode, x.decode);
      }
    }
    rows.push({ model: basename(model), threads, ...best });
  }
}
console.log('| model | threads | prefill SIMD128 | prefill relaxed | ratio | decode SIMD128 | decode relaxed | ratio |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const f = (v) => v.toFixed(1);
  console.log(
    `| ${r.model} | ${r.threads} | ${f(r.simd128.prefill)} | ${f(r.relaxed.prefill)} | ${(r.relaxed.prefill / r.simd128.prefill).toFixed(2)} | ` +
      `${r.simd128.decode.toFixed(2)} | ${r.relaxed.decode.toFixed(2)} | ${(r.relaxed.decode / r.simd128.decode).toFixed(2)} |`,
  );
}
