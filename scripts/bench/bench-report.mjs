// Benchmark summaries and Markdown tables: medians over reps, paired ours/wllama ratios (the rep
// pairs ran back to back, so their ratio cancels most machine noise), decode ceilings, memory bar.

export const prefillRate = (r) => (r.promptN / r.promptMs) * 1e3;
// The first sampled token comes from the prompt pass; genMs covers the genN - 1 decode steps.
export const decodeRate = (r) => ((r.genN - 1) / r.genMs) * 1e3;
// CPU-time ratio: wllama's CPU seconds for a whole generation / ours (as pairedRatio(ours, wllama,
// 1 / cpuMs)); less sensitive than wall time to other load on a shared machine.

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const ok = (r) => r && !r.error && Number.isFinite(r.promptMs) && Number.isFinite(r.genMs);

/** Medians of one runtime's reps. */
export function summarize(runs) {
  const good = (runs ?? []).filter(ok);
  return { n: good.length, prefill: median(good.map(prefillRate)), decode: median(good.map(decodeRate)) };
}

/** Median of per-rep ratios a_i / b_i over reps where both ran. */
export function pairedRatio(a, b, rate) {
  const xs = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (ok(a[i]) && ok(b[i])) xs.push(rate(a[i]) / rate(b[i]));
  return median(xs);
}

const MB = 1024 * 1024;
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const mb = (b) => (Number.isFinite(b) && b > 0 ? `${Math.round(b / MB)}` : '–');
const sec = (ms) => (Number.isFinite(ms) ? (ms / 1e3).toFixed(2) : '–');

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Memory bar from the issue: peak <= GGUF bytes + KV cache bytes + 64 MiB. */
export function memoryBar(fileBytes, kvBytes) {
  return fileBytes + kvBytes + 64 * MB;
}

export function browserTable(rows) {
  const head = [
    'model',
    'thr',
    'prefill ours',
    'prefill wllama',
    'ratio',
    'decode ours',
    'decode wllama',
    'ratio',
    'CPU-time ratio',
    'ceiling',
    'ours % ceil',
    'load ours s',
    'load wllama s',
    'RSS Δ ours MB',
    'RSS Δ wllama MB',
    'same prefix (chars)',
  ];
  return table(
    head,
    rows.map((r) => {
      const o = summarize(r.ours.runs);
      const w = summarize(r.wllama.runs);
      return [
        r.model,
        r.threads,
        f(o.prefill),
        f(w.prefill),
        f(pairedRatio(r.ours.runs, r.wllama.runs, prefillRate), 2),
        f(o.decode),
        f(w.decode),
        f(pairedRatio(r.ours.runs, r.wllama.runs, decodeRate), 2),
        f(
          pairedRatio(r.ours.runs, r.wllama.runs, (x) => 1 / x.cpuMs),
          2,
        ),
        f(r.ceiling),
        `${f((o.decode / r.ceiling) * 100, 0)}%`,
        sec(r.ours.loadMs),
        sec(r.wllama.loadMs),
        mb(r.ours.memBytes),
        mb(r.wllama.memBytes),
        (r.agree ?? []).join(', ') || '–',
      ];
    }),
  );
}

/** Relaxed-SIMD build (ours) against the SIMD128-only build (ours128), and each against wllama. */
export function relaxedTable(rows) {
  const head = [
    'model',
    'thr',
    'prefill relaxed',
    'prefill SIMD128',
    'relaxed / SIMD128',
    'decode relaxed',
    'decode SIMD128',
    'relaxed / SIMD128',
    'SIMD128 / wllama prefill',
    'SIMD128 / wllama decode',
    'SIMD128 % ceil',
  ];
  return table(
    head,
    rows
      .filter((r) => r.ours128)
      .map((r) => {
        const o = summarize(r.ours.runs);
        const s = summarize(r.ours128.runs);
        return [
          `${r.model}${r.ours.info?.simd === 'relaxed' ? '' : ` (default build: ${r.ours.info?.simd ?? '?'})`}`,
          r.threads,
          f(o.prefill),
          f(s.prefill),
          f(pairedRatio(r.ours.runs, r.ours128.runs, prefillRate), 2),
          f(o.decode),
          f(s.decode),
          f(pairedRatio(r.ours.runs, r.ours128.runs, decodeRate), 2),
          f(pairedRatio(r.ours128.runs, r.wllama.runs, prefillRate), 2),
          f(pairedRatio(r.ours128.runs, r.wllama.runs, decodeRate), 2),
          `${f((s.decode / r.ceiling) * 100, 0)}%`,
        ];
      }),
  );
}

export function nodeTable(rows) {
  const head = [
    'model',
    'thr',
    'prefill tok/s',
    'decode tok/s',
    'CPU s / run',
    'ceiling',
    '% ceil',
    'load s',
    'wasm heap MB',
    'peak RSS Δ MB',
    'bar MB',
    'heap ≤ bar',
    'RSS Δ ≤ bar',
  ];
  const cmp = (v, bar) => (v > 0 ? (v <= bar ? 'yes' : `no (+${mb(v - bar)})`) : '–');
  return table(
    head,
    rows.map((r) => {
      const s = summarize(r.runs);
      return [
        r.model,
        r.threads,
        f(s.prefill),
        f(s.decode),
        f(median((r.runs ?? []).map((x) => x.cpuMs / 1e3)), 2),
        f(r.ceiling),
        `${f((s.decode / r.ceiling) * 100, 0)}%`,
        sec(r.loadMs),
        mb(r.heapBytes),
        mb(r.maxRss - r.rssBefore),
        mb(r.bar),
        cmp(r.heapBytes, r.bar),
        cmp(r.maxRss - r.rssBefore, r.bar),
      ];
    }),
  );
}

/** Node rows with backend 'webgpu' beside the CPU rows of the same model and thread count. */
export function webgpuTable(gpuRows, cpuRows) {
  const head = ['model', 'thr', 'prefill GPU', 'prefill CPU', 'ratio', 'decode GPU', 'decode CPU', 'ratio', 'load GPU s', 'note'];
  return table(
    head,
    gpuRows.map((r) => {
      const c = cpuRows.find((x) => x.model === r.model && x.threads === r.threads);
      const g = summarize(r.runs);
      const s = summarize(c?.runs);
      return [
        r.model,
        r.threads,
        f(g.prefill),
        f(s.prefill),
        f(g.prefill / s.prefill, 2),
        f(g.decode),
        f(s.decode),
        f(g.decode / s.decode, 2),
        sec(r.loadMs),
        r.error ? r.error.slice(0, 80) : '',
      ];
    }),
  );
}

export function nativeTable(rows) {
  const head = ['model', 'thr', 'prefill tok/s', 'decode tok/s', 'CPU s / run', 'load s'];
  return table(
    head,
    rows.map((r) => {
      const s = summarize(r.runs);
      return [r.model, r.threads, f(s.prefill), f(s.decode), f(median(r.runs.map((x) => x.cpuMs / 1e3)), 2), sec(r.loadMs)];
    }),
  );
}

export function ceilingTable(models, bandwidth) {
  const head = [
    'model',
    'GGUF MB',
    'weights read / token MB',
    'KV read / token MB',
    ...bandwidth.map((b) => `ceiling ${b.threads}T tok/s`),
  ];
  return table(
    head,
    models.map((m) => [
      m.name,
      mb(m.fileBytes),
      f(m.perToken.weights / MB),
      f(m.perToken.kv / MB, 2),
      ...bandwidth.map((b) => f(b.bytesPerSec / m.perToken.total)),
    ]),
  );
}

export function memoryTable(rows) {
  const head = [
    'model',
    'thr',
    'GGUF MB',
    'KV MB',
    'bar MB',
    'ours RSS Δ peak MB',
    'ours peak ≤ bar',
    'ours RSS Δ after load MB',
    'ours after ≤ bar',
    'wllama RSS Δ peak MB',
    'wllama RSS Δ after load MB',
  ];
  const cmp = (v, bar) => (v > 0 ? (v <= bar ? 'yes' : `no (+${mb(v - bar)})`) : '–');
  return table(
    head,
    rows.map((r) => [
      r.model,
      r.threads,
      mb(r.fileBytes),
      mb(r.kvBytes),
      mb(r.bar),
      mb(r.ours.memBytes),
      cmp(r.ours.memBytes, r.bar),
      mb(r.ours.memAfterBytes),
      cmp(r.ours.memAfterBytes, r.bar),
      mb(r.wllama.memBytes),
      mb(r.wllama.memAfterBytes),
    ]),
  );
}
