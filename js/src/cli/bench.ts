// `wasm-chord bench`: load time, prompt processing (prefill) and generation (decode) speed in
// tokens/s, like llama-bench's pp/tg tests: mean ± standard deviation over repetitions.
import type { Model } from '../model.js';
import { HELP_OPTION, MODEL_OPTIONS, UsageError, type CommandSpec, type Values } from './args.js';
import { exitOnBrokenPipe, interruptSignal, loadFromArgs, modelArg, modelName } from './load.js';
import { formatBytes } from '../format.js';

export const benchCommand: CommandSpec = {
  name: 'bench',
  summary:
    'Measure load time, prompt processing (pp: prompt tokens/s) and text generation\n' +
    '(tg: generated tokens/s) as llama-bench does: random token prompts, greedy decoding past EOS,\n' +
    'one warm-up run, then mean ± standard deviation over the repetitions.',
  usage: 'wasm-chord bench -m PATH|URL [-p 128] [-n 64] [-t N[,N...]] [-r 3] [--json]',
  maxPositionals: 1,
  options: [
    ...MODEL_OPTIONS.filter((o) => o.name !== 'threads' && o.name !== 'ctx-size'),
    { name: 'n-prompt', short: 'p', type: 'int', min: 0, arg: 'N', help: 'prompt tokens for the pp test, 0 = skip (default 128)' },
    { name: 'n-gen', short: 'n', type: 'int', min: 0, arg: 'N', help: 'tokens for the tg test, 0 = skip (default 64)' },
    { name: 'threads', short: 't', type: 'string', arg: 'N[,N..]', help: 'kernel threads; a comma list runs each (default auto)' },
    { name: 'repetitions', short: 'r', type: 'int', min: 1, arg: 'N', help: 'repetitions of each test (default 3)' },
    { name: 'json', type: 'flag', help: 'print the results as JSON' },
    HELP_OPTION,
  ],
};

export interface BenchRow {
  model: string;
  sizeBytes: number;
  params: number;
  wasm: string;
  threads: number;
  test: string;
  /** tokens/s of each repetition */
  samples: number[];
  mean: number;
  stddev: number;
}

function stats(xs: number[]): { mean: number; stddev: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, stddev: Math.sqrt(v) };
}

/** Deterministic random token ids (avoiding the lowest ids, usually control tokens); the first id
 *  always differs from the previous prompt's so no KV cache prefix is reused. */
function promptMaker(nVocab: number): (n: number) => number[] {
  let s = 0x9e3779b9;
  let lastFirst = -1;
  const lo = Math.min(3, nVocab - 1);
  return (n) => {
    const out: number[] = [];
    for (let i = 0; i < n; ++i) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out.push(lo + (s % (nVocab - lo)));
    }
    if (out[0] === lastFirst) out[0] = lo + ((lastFirst - lo + 1) % (nVocab - lo));
    lastFirst = out[0] ?? -1;
    return out;
  };
}

const GREEDY = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1 } as const;

/** Runs the prompt ids for maxTokens; checks the KV cache was not reused (the prompts differ). */
async function timed(
  model: Model,
  ids: number[],
  maxTokens: number,
  signal: AbortSignal,
): Promise<{ promptMs: number; totalMs: number; generated: number }> {
  const r = await model.complete(ids, { ...GREEDY, maxTokens, ignoreEos: true, signal });
  if (r.usage.cachedTokens > 0) throw new Error(`benchmark prompt reused ${r.usage.cachedTokens} cached tokens`);
  return { promptMs: r.timings.promptMs, totalMs: r.timings.totalMs, generated: r.usage.completionTokens };
}

export async function bench(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const nPrompt = (values['n-prompt'] as number | undefined) ?? 128;
  const nGen = (values['n-gen'] as number | undefined) ?? 64;
  const reps = (values.repetitions as number | undefined) ?? 3;
  if (nPrompt === 0 && nGen === 0) throw new UsageError('nothing to measure: -p and -n are both 0');
  const threadList = ((values.threads as string | undefined) ?? 'auto').split(',').map((s) => s.trim());
  const rows: BenchRow[] = [];
  const loads: Array<{ threads: number; ms: number }> = [];
  const interrupt = interruptSignal();
  const json = values.json === true;
  exitOnBrokenPipe();
  try {
    for (const t of threadList) {
      const t0 = performance.now();
      const model = await loadFromArgs({
        values: { ...values, threads: t },
        src,
        signal: interrupt.signal,
        contextLength: Math.max(nPrompt + 1, nGen + 1, 16),
      });
      const loadMs = performance.now() - t0;
      try {
        const info = model.info;
        loads.push({ threads: info.threads, ms: loadMs });
        if (nPrompt + 1 > info.contextLength || nGen + 1 > info.contextLength)
          throw new UsageError(`the context (${info.contextLength} tokens) is too small for -p ${nPrompt} / -n ${nGen}`);
        const row = (test: string, samples: number[]): BenchRow => ({
          model: modelName(src),
          sizeBytes: info.fileBytes,
          params: info.parameterCount,
          wasm: info.wasm,
          threads: info.threads,
          test,
          samples,
          ...stats(samples),
        });
        const prompt = promptMaker(info.nVocab);
        // Warm-up: compiles hot paths and lets background compilation settle.
        if (nPrompt > 0) await timed(model, prompt(nPrompt), 1, interrupt.signal);
        if (nGen > 0) await timed(model, prompt(1), Math.min(nGen, 32), interrupt.signal);
        if (nPrompt > 0) {
          const s: number[] = [];
          for (let r = 0; r < reps; ++r) {
            const m = await timed(model, prompt(nPrompt), 1, interrupt.signal);
            s.push((nPrompt / m.promptMs) * 1000);
          }
          rows.push(row(`pp${nPrompt}`, s));
        }
        if (nGen > 0) {
          const s: number[] = [];
          for (let r = 0; r < reps; ++r) {
            // One prompt token, then nGen single-token steps: nGen forward passes in totalMs.
            const m = await timed(model, prompt(1), nGen, interrupt.signal);
            s.push((m.generated / m.totalMs) * 1000);
          }
          rows.push(row(`tg${nGen}`, s));
        }
      } finally {
        await model.dispose();
      }
    }
  } finally {
    interrupt.dispose();
  }
  if (json) {
    process.stdout.write(JSON.stringify({ load: loads, results: rows }, null, 2) + '\n');
    return 0;
  }
  const cells = [['model', 'size', 'params', 'wasm', 'threads', 'test', 't/s']];
  for (const r of rows) {
    cells.push([
      r.model,
      formatBytes(r.sizeBytes),
      r.params >= 1e9
        ? `${(r.params / 1e9).toFixed(2)} B`
        : r.params >= 1e6
          ? `${(r.params / 1e6).toFixed(2)} M`
          : `${(r.params / 1e3).toFixed(2)} K`,
      r.wasm,
      String(r.threads),
      r.test,
      `${r.mean.toFixed(2)} ± ${r.stddev.toFixed(2)}`,
    ]);
  }
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const out = [
    line(cells[0]!),
    `|${widths.map((w, i) => (i >= 4 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...cells.slice(1).map(line),
  ];
  out.push('');
  for (const l of loads) out.push(`load time (${l.threads} thread${l.threads === 1 ? '' : 's'}): ${l.ms.toFixed(1)} ms`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
