#!/usr/bin/env node
// Equivalence with llama.cpp on synthetic models: for each architecture x weight type, generate a
// model (chord-synth), then compare our runtime (chord-cli, or the package API on a backend) with
// llama.cpp (@fugood/llama.node): prompt tokenization, teacher-forced next-token probabilities
// along a 64-token sequence, and greedy continuations. Prints a markdown table; exits 1 if any bar
// fails, 3 if --backend webgpu finds no adapter.
//
//   node scripts/equivalence.mjs [--quick] [--bin build/native-release] [--cache build/synth]
//        [--cli build/wasm-mt/chord-cli.js]   (compare another chord-cli: the wasm SIMD/pthreads build)
//        [--backend cpu|webgpu [--browser]]   (our side through loadModel() from js/dist, 1 thread, in
//        Node or in headless Chromium (--browser alone means webgpu): lib/package-side.mjs; with
//        webgpu, the greedy continuation must also equal the package's CPU backend's in the same
//        environment up to a near-tie in either backend's distribution; a divergence from llama.cpp's
//        greedy is a near-tie in the GPU's or in the CPU backend's distribution)
//        (--quick: one row per architecture, several weight families, plus I-quants; the full grid is
//        10 x 13, plus tiny-llama x the 7 grid I-quants and TQ1_0 / TQ2_0)
//        [--arch tiny-llama,...] [--type Q4_0,...] [--seed 1] [--json out.json] [--threads 2]
//        [--rows tiny-qwen2:Q8_0,tiny-phi3:Q6_K,...]   (these architecture:type rows only)
//        [--model FILE.gguf ...]   (check given files instead of the generated grid)
//        [--synth-args "--resid-scale 0.05"] [--llama-opts '{"flash_attn_type":"on"}']
//
// How llama.cpp is driven (llama.node exposes no token-level API): one completion samples the
// continuation at temperature 1 with every truncating sampler off, reporting the top-10
// candidates before each sampled token; the exact ids of prompt and continuation come from a saved
// session file. Candidates come back as piece text, mapped to ids through the vocabulary
// (lib/pieces.mjs); pieces shared by several ids are compared as one group.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BrowserPage, BrowserSide } from './lib/browser-side.mjs';
import { ChordTools } from './lib/chord-tools.mjs';
import { PackageSide } from './lib/package-side.mjs';
import { Pieces } from './lib/pieces.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARCHS = [
  'tiny-llama',
  'tiny-mistral',
  'tiny-qwen2',
  'tiny-qwen3',
  'tiny-smollm3',
  'tiny-granite',
  'tiny-gemma2',
  'tiny-gemma3',
  'tiny-phi3',
  'tiny-olmo2',
];
const TYPES = ['F16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q2_K', 'Q3_K', 'IQ4_NL', 'IQ4_XS'];
// The grid I-quants and ternary types (random valid blocks from chord-synth): in the full grid with
// tiny-llama only.
const GRID_IQ_TYPES = ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M', 'TQ1_0', 'TQ2_0'];
// --quick: one row per architecture, each with a different weight family, and I-quant rows.
const QUICK = [
  ['tiny-llama', 'Q4_0'],
  ['tiny-mistral', 'Q4_K'],
  ['tiny-qwen2', 'Q8_0'],
  ['tiny-qwen3', 'Q6_K'],
  ['tiny-smollm3', 'Q5_K'],
  ['tiny-granite', 'Q4_1'],
  ['tiny-gemma2', 'Q8_0'],
  ['tiny-gemma3', 'Q4_K'],
  ['tiny-phi3', 'Q6_K'],
  ['tiny-olmo2', 'Q4_K'],
  ['tiny-llama', 'IQ4_XS'],
  ['tiny-llama', 'IQ2_XXS'],
  ['tiny-llama', 'IQ1_M'],
];
// The generation prompt (short, so most of the 64 positions are continuation) and more texts
// whose tokenization must match (llama.node tokenize(): no BOS, special tokens parsed).
const PROMPT = 'Once upon a time, in 1984, three little pigs said: "Hello!"';
const TEXTS = [
  PROMPT,
  'The quick brown fox jumps over the lazy dog.',
  '  leading spaces, double  spaces,\ttabs\n\nnew lines\r\n and trailing   ',
  "Numbers: 3.14159, 1,000,000 and 2024-06-01; I'm sure we'll see they've done it.",
  'Unicode: café naïve résumé — 東京 日本語 Привет мир 🙂 ٱلعربية',
  'def f(x):\n    return x**2  # comment {braces} [brackets] <tags>\n',
];
// Synthetic models for the grid: chord-synth defaults (well-conditioned, see Scales in
// scripts/synth/synth.h) with the output projection in F16: its 8-bit activation quantization
// would otherwise turn last-bit differences of the final hidden state into ~0.05 logit noise.
const SYNTH = { extra: ['--output-type', 'F16'], tag: '-o16' };
// llama.cpp's non-flash attention (f16 q.k products summed in double, f32 softmax, f16
// probabilities times f16 V summed in double). Its CPU default, flash attention, accumulates V in
// f16: a different computation (try it with --llama-opts '{"flash_attn_type":"on"}').
const LLAMA_OPTS = { flash_attn_type: 'off' };
const BARS = { top1: 0.99, meanDp: 0.01, counted: 0.8, margin: 0.01 };

function parseArgs(argv) {
  const a = {
    quick: false,
    bin: join(ROOT, 'build/native-release'),
    cli: null,
    cache: join(ROOT, 'build/synth'),
    archs: null,
    types: null,
    seed: 1,
    json: null,
    threads: 2,
    seq: 64,
    greedy: 32,
    top: 10,
    models: [],
    llamaOpts: LLAMA_OPTS,
    backend: 'cli',
    browser: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${o} needs a value`);
      return argv[++i];
    };
    if (o === '--quick') a.quick = true;
    else if (o === '--bin') a.bin = resolve(v());
    else if (o === '--cli') a.cli = resolve(v());
    else if (o === '--backend') a.backend = v();
    else if (o === '--browser') a.browser = true;
    else if (o === '--cache') a.cache = resolve(v());
    else if (o === '--arch') a.archs = v().split(',');
    else if (o === '--type') a.types = v().split(',');
    else if (o === '--rows')
      a.rows = v()
        .split(',')
        .map((r) => r.split(':'));
    else if (o === '--seed') a.seed = Number(v());
    else if (o === '--json') a.json = resolve(v());
    else if (o === '--threads') a.threads = Number(v());
    else if (o === '--seq') a.seq = Number(v());
    else if (o === '--greedy') a.greedy = Number(v());
    else if (o === '--model') a.models.push(resolve(v()));
    else if (o === '--synth-args')
      a.synthArgs = v().split(/\s+/).filter(Boolean); // more chord-synth options
    else if (o === '--llama-opts')
      a.llamaOpts = { ...LLAMA_OPTS, ...JSON.parse(v()) }; // loadModel options
    else if (o === '-h' || o === '--help') {
      console.log(
        'usage: node scripts/equivalence.mjs [--quick] [--bin DIR] [--cli FILE] [--backend cpu|webgpu] [--browser] ' +
          '[--cache DIR] [--arch A,B] [--rows ARCH:TYPE,...] ' +
          '[--type T,U] [--seed S] [--json FILE] [--threads N] [--seq 64] [--greedy 32]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${o}`);
  }
  if (a.browser && a.backend === 'cli') a.backend = 'webgpu';
  if (!['cli', 'cpu', 'webgpu'].includes(a.backend)) throw new Error(`--backend: cli, cpu or webgpu, not ${a.backend}`);
  if (a.cli && a.backend !== 'cli') throw new Error('--cli and --backend exclude each other');
  if (a.models.length) a.grid = a.models.map((m) => [basename(m), '-', m]);
  else if (a.rows) a.grid = a.rows.map(([arch, type]) => [arch, type, null]);
  else if (a.quick && !a.archs && !a.types) a.grid = QUICK.map(([arch, type]) => [arch, type, null]);
  else {
    a.grid = (a.archs ?? ARCHS).flatMap((arch) => (a.types ?? TYPES).map((type) => [arch, type, null]));
    if (!a.types && (a.archs ?? ARCHS).includes('tiny-llama')) a.grid.push(...GRID_IQ_TYPES.map((type) => ['tiny-llama', type, null]));
  }
  return a;
}

// llama.cpp side, in a child process (its native log goes to our stderr only on failure).
function oracle(job) {
  return new Promise((resolveP, reject) => {
    const child = fork(join(ROOT, 'scripts/lib/oracle-child.mjs'), [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      cwd: ROOT,
    });
    let err = '';
    let reply = null;
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('message', (m) => {
      reply = m;
    });
    child.on('exit', (code, sig) => {
      if (reply?.ok) resolveP(reply);
      else reject(new Error(`llama.cpp oracle failed (exit ${code ?? sig}): ${reply?.error ?? ''}\n${err}`));
    });
    child.send(job);
  });
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// Compares one position: llama's top-k (piece, p) against our distribution (id, p).
function comparePosition(pieces, llama, ours, acc) {
  const margin = llama[0].p - (llama[1]?.p ?? 0);
  const counted = margin > BARS.margin;
  const groups = new Map(); // piece -> { p, n }
  for (const c of llama) {
    if (pieces.ids(c.piece).length === 0) acc.unmapped.add(c.piece);
    const g = groups.get(c.piece) ?? { p: 0, n: 0 };
    g.p += c.p;
    g.n += 1;
    groups.set(c.piece, g);
  }
  const byPiece = new Map(); // piece -> our probabilities, best first (ours is sorted)
  for (const o of ours) {
    const s = pieces.piece(o.id);
    if (!byPiece.has(s)) byPiece.set(s, []);
    byPiece.get(s).push(o.p);
  }
  acc.positions++;
  if (!counted) return;
  acc.counted++;
  if (pieces.piece(ours[0].id) === llama[0].piece) acc.agree++;
  else acc.disagreements.push({ pos: acc.pos, llama: llama.slice(0, 3), ours: ours.slice(0, 3) });
  // logit noise: ln(p_i / p_1) on both sides for llama.cpp's candidates with unique pieces
  const p1o = (byPiece.get(llama[0].piece) ?? [0])[0];
  for (const c of llama.slice(1)) {
    const po = (byPiece.get(c.piece) ?? [0])[0];
    if (groups.get(c.piece).n === 1 && c.p > 1e-3 && po > 0 && p1o > 0) {
      acc.dl.push(Math.abs(Math.log(po / p1o) - Math.log(c.p / llama[0].p)));
    }
  }
  for (const [piece, g] of groups) {
    // A piece listed n times by llama.cpp (ids sharing a text) is compared with our n best ids
    // of that text; ids outside our top list count as 0.
    const po = (byPiece.get(piece) ?? []).slice(0, g.n).reduce((s, x) => s + x, 0);
    const d = Math.abs(g.p - po);
    acc.dpSum += d;
    acc.dpN++;
    acc.dpMax = Math.max(acc.dpMax, d);
  }
}

// Index of the first difference of two token lists (their common length when one is a prefix).
function firstDiff(a, b) {
  let j = 0;
  while (j < a.length && j < b.length && a[j] === b[j]) j++;
  return j;
}

// p(id) in side's distribution of the token after prefix.
async function nextDist(side, model, prefix) {
  const dist = (await side.score(model, prefix, 100, { from: prefix.length - 1 })).at(-1);
  return (id) => dist.find((x) => x.id === id)?.p ?? 0;
}

// tools: chord-synth (and chord-cli); side: ours (tools itself, or a PackageSide / BrowserSide),
// with side.reference (our CPU backend) when ours is the GPU.
async function checkRow(tools, side, args, arch, type, modelPath = null) {
  const row = { arch, type, fails: [] };
  const t0 = Date.now();
  const synth = args.synthArgs
    ? { extra: [...SYNTH.extra, ...args.synthArgs], tag: `${SYNTH.tag}-${args.synthArgs.join('').replace(/[^\w.]+/g, '')}` }
    : SYNTH;
  const model = modelPath ?? (await tools.model(args.cache, arch, type, args.seed, synth));
  const pieces = await Pieces.fromFile(model);
  const [ll, [ourPrompt, ...ourTexts]] = await Promise.all([
    oracle({
      model,
      prompt: PROMPT,
      texts: TEXTS,
      nGreedy: args.greedy,
      nSeq: args.seq,
      nProbs: args.top,
      seed: args.seed,
      threads: args.threads,
      llamaOpts: args.llamaOpts,
    }),
    (async () => {
      // one call at a time: a package side loads the model on the first
      const ids = [await side.tokenize(model, PROMPT)];
      for (const t of TEXTS) ids.push(await side.tokenize(model, t, { bos: false }));
      return ids;
    })(),
  ]);

  // 1. tokenization: the prompt as completion uses it (BOS per the model, specials parsed), and
  //    every text as tokenize() does (no BOS)
  row.nPrompt = ll.greedy.prompt.length;
  row.tokDiff = [];
  if (!eq(ourPrompt, ll.greedy.prompt)) row.tokDiff.push({ text: PROMPT, llama: ll.greedy.prompt, ours: ourPrompt });
  TEXTS.forEach((t, i) => {
    if (!eq(ourTexts[i], ll.tokenize[i])) row.tokDiff.push({ text: t, llama: ll.tokenize[i], ours: ourTexts[i] });
  });
  row.tokOk = row.tokDiff.length === 0;
  row.nTokens = ll.tokenize.reduce((n, ids) => n + ids.length, 0);
  if (!row.tokOk) row.fails.push('tokenize');

  // 2. teacher-forced probabilities along llama.cpp's sampled continuation
  const s = ll.sample;
  const seq = [...s.prompt, ...s.gen];
  const ours = await side.score(model, seq, 100, { from: s.prompt.length - 1 });
  const acc = {
    positions: 0,
    counted: 0,
    agree: 0,
    dpSum: 0,
    dpN: 0,
    dpMax: 0,
    unmapped: new Set(),
    disagreements: [],
    pos: 0,
    dl: [],
    dlPerPos: [],
  };
  for (let k = 0; k < s.probs.length; k++) {
    acc.pos = s.prompt.length - 1 + k;
    const n0 = acc.dl.length;
    comparePosition(pieces, s.probs[k], ours[acc.pos], acc);
    acc.dlPerPos.push(Math.max(0, ...acc.dl.slice(n0)));
  }
  row.dlogitPerPos = acc.dlPerPos.map((x) => Number(x.toFixed(4)));
  // the piece mapping itself, checked on the tokens whose ids we know
  row.pieceMismatch = s.gen.filter((id, k) => pieces.piece(id) !== s.content[k]).length;
  row.positions = acc.positions;
  row.counted = acc.counted;
  row.top1 = acc.counted ? acc.agree / acc.counted : 0;
  row.meanDp = acc.dpN ? acc.dpSum / acc.dpN : 0;
  row.maxDp = acc.dpMax;
  row.unmapped = [...acc.unmapped];
  acc.dl.sort((a, b) => a - b);
  row.dlogitMedian = acc.dl.length ? acc.dl[acc.dl.length >> 1] : 0;
  row.dlogitP90 = acc.dl.length ? acc.dl[Math.floor(acc.dl.length * 0.9)] : 0;
  row.disagreements = acc.disagreements;
  if (row.counted < BARS.counted * row.positions) row.fails.push('counted');
  if (row.top1 < BARS.top1) row.fails.push('top-1');
  if (row.meanDp > BARS.meanDp) row.fails.push('|dp|');
  if (row.unmapped.length || row.pieceMismatch) row.fails.push('pieces');

  // 3. greedy continuations from the same prompt ids, equal up to the first near-tie
  const g = ll.greedy;
  const mine = await side.greedy(model, g.prompt, args.greedy);
  const j = firstDiff(mine, g.gen);
  row.greedySame = j;
  row.greedyN = g.gen.length;
  if (j < g.gen.length) {
    // Our distribution at the divergence (same prefix on both sides): a near-tie if llama.cpp's
    // token is within the margin of ours.
    // With a GPU side, our CPU backend (within ~1e-4 of llama.cpp) also judges: a token pair tied
    // there is a tie of llama.cpp's too, which the GPU's rounding noise may break either way.
    const prefix = [...g.prompt, ...g.gen.slice(0, j)];
    const p = await nextDist(side, model, prefix);
    row.greedyTieMargin = p(mine[j]) - p(g.gen[j]);
    if (side.reference && row.greedyTieMargin >= BARS.margin) {
      const pc = await nextDist(side.reference, model, prefix);
      row.greedyTieMargin = Math.min(row.greedyTieMargin, Math.abs(pc(mine[j]) - pc(g.gen[j])));
    }
    row.greedyTie = row.greedyTieMargin < BARS.margin;
    if (!row.greedyTie) row.fails.push('greedy');
  }

  // 4. (GPU) the same greedy continuation as our CPU backend, up to a near-tie in either distribution
  if (side.reference) {
    const cpu = await side.reference.greedy(model, g.prompt, args.greedy);
    const k = firstDiff(mine, cpu);
    row.cpuSame = k;
    row.cpuN = cpu.length;
    if (k < cpu.length) {
      const prefix = [...g.prompt, ...cpu.slice(0, k)];
      const pc = await nextDist(side.reference, model, prefix);
      const pg = await nextDist(side, model, prefix);
      row.cpuTieMargin = Math.min(pc(cpu[k]) - pc(mine[k]), pg(mine[k]) - pg(cpu[k]));
      row.cpuTie = row.cpuTieMargin < BARS.margin;
      if (!row.cpuTie) row.fails.push('greedy vs CPU');
    }
  }
  row.seconds = (Date.now() - t0) / 1000;
  return row;
}

// "same/n", or where they part: "tie" or "DIFF" and the margin there.
const fmtGreedy = (same, n, tie, margin) => (same === n ? `${n}/${n}` : `${same}/${n} ${tie ? 'tie' : 'DIFF'} (${margin.toFixed(4)})`);

function fmtRow(r, vsCpu) {
  if (r.error) return `| ${r.arch} | ${r.type} | error | | | | | | ${r.error.split('\n')[0].slice(0, 80)} |${vsCpu ? ' |' : ''} FAIL |`;
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const greedy =
    fmtGreedy(r.greedySame, r.greedyN, r.greedyTie, r.greedyTieMargin) +
    (vsCpu ? ` | ${fmtGreedy(r.cpuSame, r.cpuN, r.cpuTie, r.cpuTieMargin)}` : '');
  const tok = r.tokOk ? `ok (${r.nTokens})` : `DIFF ${r.tokDiff.length}/${TEXTS.length + 1}`;
  return (
    `| ${r.arch} | ${r.type} | ${tok} | ${r.counted}/${r.positions} ` +
    `| ${pct(r.top1)} | ${r.meanDp.toFixed(5)} | ${r.maxDp.toFixed(4)} | ${r.dlogitMedian.toFixed(4)} / ` +
    `${r.dlogitP90.toFixed(4)} | ${greedy} | ` +
    `${r.fails.length ? `FAIL: ${r.fails.join(', ')}` : 'ok'} |`
  );
}

// No WebGPU adapter where --backend webgpu asked for one: exit status 3 (the tests skip).
class NoAdapter extends Error {}

// Our side: chord-cli itself, or the package (js/dist) on a backend in Node or in Chromium, with
// the package's CPU backend beside a WebGPU side as its reference. { side, what, close() }.
async function openSide(args, tools) {
  if (args.backend === 'cli')
    return { side: tools, what: `${relative(ROOT, tools.cli)}, ${args.threads} thread(s)`, close: async () => {} };
  const what = `the package's ${args.backend} backend, 1 thread, ${args.browser ? 'in headless Chromium' : 'in Node'}`;
  if (args.browser) {
    const page = await BrowserPage.open();
    if (args.backend === 'webgpu') {
      const why = await page.page.evaluate(async () =>
        !navigator.gpu ? 'navigator.gpu is missing' : (await navigator.gpu.requestAdapter()) ? '' : 'requestAdapter() gave none',
      );
      if (why) {
        await page.close();
        throw new NoAdapter(`Chromium: ${why}`);
      }
    }
    const opts = (backend) => ({ backend, threads: 1, cache: 'none' });
    const side = new BrowserSide(page, 'ours', opts(args.backend));
    if (args.backend === 'webgpu') side.reference = new BrowserSide(page, 'cpu', opts('cpu'));
    return { side, what, close: () => page.close() };
  }
  const { loadModel } = await import('../js/dist/node.js');
  if (args.backend === 'webgpu') {
    const { acquireGpu } = await import('../js/dist/webgpu/index.js');
    try {
      (await acquireGpu()).device.destroy();
    } catch (e) {
      if (e.code === 'unsupported') throw new NoAdapter(`Node: ${e.message}`);
      throw e;
    }
  }
  const side = new PackageSide(loadModel, { backend: args.backend, threads: 1 });
  if (args.backend === 'webgpu') side.reference = new PackageSide(loadModel, { backend: 'cpu', threads: 1 });
  return { side, what, close: async () => Promise.all([side.close(), side.reference?.close()]) };
}

async function main() {
  const args = parseArgs(process.argv);
  const tools = new ChordTools(args.bin, { threads: args.threads, cli: args.cli });
  const t0 = Date.now();
  const rows = [];
  const { side, what, close } = await openSide(args, tools);
  const vsCpu = Boolean(side.reference);
  console.log(
    `equivalence with llama.cpp: ${args.grid.length} models, sequence ${args.seq}, greedy ${args.greedy}, ` +
      `seed ${args.seed}${args.quick ? ' (quick)' : ''}; ours: ${what}`,
  );
  console.log('');
  console.log(
    '| model | type | tokenizer (ids) | positions counted | top-1 agree | mean abs dp | max abs dp | ' +
      `logit diff median / p90 | greedy |${vsCpu ? ' greedy vs our CPU |' : ''} result |`,
  );
  console.log(`|---|---|---|---|---|---|---|---|---|${vsCpu ? '---|' : ''}---|`);
  try {
    for (const [arch, type, path] of args.grid) {
      let r;
      try {
        r = await checkRow(tools, side, args, arch, type, path);
      } catch (e) {
        r = { arch, type, error: String(e?.message ?? e), fails: ['error'] };
      }
      rows.push(r);
      console.log(fmtRow(r, vsCpu));
    }
  } finally {
    await close();
  }
  const failed = rows.filter((r) => r.fails.length);
  const counted = rows.reduce((s, r) => s + (r.counted ?? 0), 0);
  const positions = rows.reduce((s, r) => s + (r.positions ?? 0), 0);
  console.log('');
  console.log(
    `bars: top-1 >= ${100 * BARS.top1}% and mean |dp| <= ${BARS.meanDp} over positions where ` +
      `llama.cpp's top-2 margin > ${BARS.margin}; those must be >= ${100 * BARS.counted}% of positions ` +
      `(here ${counted}/${positions} = ${((100 * counted) / Math.max(1, positions)).toFixed(1)}%); greedy equal up ` +
      `to the first near-tie; same token ids for the prompt and ${TEXTS.length} texts. llama.cpp options: ` +
      `${JSON.stringify(args.llamaOpts)}.` +
      (vsCpu ? ' Greedy vs our CPU: equal up to a token that is a near-tie in either distribution.' : ''),
  );
  const gpu = side.info?.gpu;
  if (gpu)
    console.log(`adapter: ${gpu.source} ${gpu.device || gpu.architecture || gpu.vendor} (${gpu.description}), software ${gpu.software}`);
  console.log(`${rows.length - failed.length}/${rows.length} rows pass in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const r of failed) {
    if (r.error) console.log(`\n${r.arch} ${r.type}: ${r.error}`);
    else {
      for (const d of r.tokDiff) {
        console.log(`\n${r.arch} ${r.type} tokens of ${JSON.stringify(d.text)}:\n  llama ${d.llama}\n  ours  ${d.ours}`);
      }
      if (r.unmapped.length) console.log(`${r.arch} ${r.type}: unmapped llama.cpp pieces ${JSON.stringify(r.unmapped)}`);
      for (const d of r.disagreements.slice(0, 3)) console.log(`${r.arch} ${r.type} pos ${d.pos}: ${JSON.stringify(d)}`);
    }
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((e) => {
  if (e instanceof NoAdapter) console.log(`no WebGPU adapter (${e.message})`);
  else console.error(e?.stack ?? e);
  process.exitCode = e instanceof NoAdapter ? 3 : 2;
});
