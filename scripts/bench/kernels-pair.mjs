// Two builds of the kernel benchmark (bench_kernels.cpp, e.g. relaxed-SIMD vs SIMD128, or before vs
// after a kernel change), paired: the two run alternately, one process per run, `rounds` times, in
// this Node (Node 24 for relaxed builds: scripts/toolchain/node_modules/.bin/node). Prints per type
// the best matvec and prefill Gop/s of each and the ratio B / A, and the attention row op's time.
// Usage: node scripts/bench/kernels-pair.mjs A/bench_kernels.js B/bench_kernels.js [--types Q4_K,IQ2_XXS]
//        [--rounds 3] [--secs 1] [--threads 1] [--cpu] [--node-flags "--no-experimental-fetch"]
import { spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
const opt = (k, d) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : d;
};
const [benchA, benchB] = argv;
const rounds = Number(opt('--rounds', '3'));
const args = ['--types', opt('--types', 'Q4_0,Q4_K'), '--secs', opt('--secs', '1'), '--threads', opt('--threads', '1')];
if (argv.includes('--cpu')) args.push('--cpu'); // time by process CPU time (steadier on a busy machine)
const nodeFlags = opt('--node-flags', '').split(' ').filter(Boolean);

// type -> { matvec, prefill } best Gop/s; attend: best us.
function runOnce(bench) {
  const r = spawnSync(process.execPath, [...nodeFlags, bench, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bench} exited with ${r.status}: ${r.stderr}`);
  const out = { types: {}, attend: Infinity };
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+decode/.exec(line);
    if (m) out.types[m[1]] = { matvec: Number(m[3]), prefill: Number(m[4]) };
    const a = /attend_group_f16\([^)]*\) ([\d.]+) us/.exec(line);
    if (a) out.attend = Number(a[1]);
  }
  return out;
}

const best = [
  { types: {}, attend: Infinity },
  { types: {}, attend: Infinity },
];
for (let round = 0; round < rounds; ++round) {
  for (const [i, bench] of [benchA, benchB].entries()) {
    const r = runOnce(bench);
    for (const [t, v] of Object.entries(r.types)) {
      const b = (best[i].types[t] ??= { matvec: 0, prefill: 0 });
      b.matvec = Math.max(b.matvec, v.matvec);
      b.prefill = Math.max(b.prefill, v.prefill);
    }
    best[i].attend = Math.min(best[i].attend, r.attend);
  }
}
const f = (x) => x.toFixed(2).padStart(7);
console.log(`A: ${benchA}\nB: ${benchB}\nbest of ${rounds} alternating runs, ${args.join(' ')}`);
console.log('type      matvec Gop/s A      B    B/A   prefill Gop/s A      B    B/A');
for (const t of Object.keys(best[0].types)) {
  const a = best[0].types[t],
    b = best[1].types[t];
  if (!b) continue;
  console.log(
    `${t.padEnd(8)} ${f(a.matvec)} ${f(b.matvec)} ${f(b.matvec / a.matvec)}       ${f(a.prefill)} ${f(b.prefill)} ${f(b.prefill / a.prefill)}`,
  );
}
console.log(
  `attend_group_f16 us: A ${best[0].attend.toFixed(2)}  B ${best[1].attend.toFixed(2)}  A/B ${(best[0].attend / best[1].attend).toFixed(3)}`,
);
