// The URL-load table of `npm run bench`: one model file served from 127.0.0.1, loaded in the bench
// page by wasm-chord with the default IndexedDB cache (a fresh download, then the cached reload)
// and from a fetched Blob, beside wllama's fetch-and-load (fetch into a Blob, load that). Each row
// records its time and the renderer's peak RSS over its own baseline; reps alternate the order.
import { median, memoryBar } from './bench-report.mjs';

const MB = 1024 * 1024;

/** The rows, in the order of the table. `who` picks the page function; `prep` runs untimed first. */
const ROWS = [
  { key: 'download', label: 'ours: loadModel(url), download + cache write', fn: 'urlLoadOurs', prep: 'clearCacheOurs' },
  { key: 'cached', label: 'ours: loadModel(url), cached reload', fn: 'urlLoadOurs' },
  { key: 'blob', label: 'ours: fetch → Blob → loadModel(blob)', fn: 'blobLoadOurs' },
  { key: 'wllama', label: 'wllama: fetch → Blob → loadModel([blob])', fn: 'blobLoadWllama' },
];

/** Runs `reps` rounds of every row for each model; returns one result per model.
 *  `models`: [{ name, url, fileBytes, kvBytes }]. */
export async function runLoadTable({ page, rss, models, reps, threads, contextLength, log }) {
  const out = [];
  for (const m of models) {
    const res = { model: m.name, fileBytes: m.fileBytes, kvBytes: m.kvBytes, bar: memoryBar(m.fileBytes, m.kvBytes), rows: {} };
    for (const r of ROWS) res.rows[r.key] = [];
    for (let rep = 0; rep < reps; rep++) {
      // download must precede cached; wllama goes first or last in turn, the Blob row in between.
      const order = rep % 2 === 0 ? ['download', 'cached', 'blob', 'wllama'] : ['wllama', 'blob', 'download', 'cached'];
      for (const key of order) {
        const row = ROWS.find((r) => r.key === key);
        if (row.prep) await page.evaluate((fn) => window.bench[fn](), row.prep);
        await rss.settle();
        const base = rss.mark();
        const r = await page.evaluate(([fn, a]) => window.bench[fn](...a), [row.fn, [m.url, threads, contextLength]]);
        r.peakBytes = rss.peakSinceMark() - base;
        res.rows[key][rep] = r;
        if (r.error) log(`  load ${m.name} ${key} rep ${rep + 1}: ERROR ${r.error}`);
        else
          log(
            `  load ${m.name} ${key.padEnd(8)} rep ${rep + 1}/${reps}: ${(r.loadMs / 1e3).toFixed(2)} s` +
              (r.bytesMs !== undefined ? ` (bytes in at ${(r.bytesMs / 1e3).toFixed(2)} s, ${r.phase})` : '') +
              (r.fetchMs !== undefined ? ` (fetch ${(r.fetchMs / 1e3).toFixed(2)} s)` : '') +
              `, renderer RSS +${Math.round(r.peakBytes / MB)} MB peak`,
          );
      }
    }
    out.push(res);
  }
  return out;
}

const sec = (ms) => (Number.isFinite(ms) ? (ms / 1e3).toFixed(2) : '–');

/** Markdown table: per row the median time, MB/s, peak memory against the bar, and the median of
 *  per-rep ratios wllama time / ours (> 1: ours faster). */
export function loadTable(results) {
  const head = ['model', 'path', 'median s', 'MB/s', 'peak RSS +MB', 'bar MB', 'within bar', 'wllama fetch+load s', 'ratio'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const m of results) {
    const wl = m.rows.wllama;
    for (const row of ROWS) {
      const runs = m.rows[row.key].filter((r) => r && !r.error);
      if (!runs.length) {
        lines.push(`| ${m.model} | ${row.label} | failed | | | | | | |`);
        continue;
      }
      const t = median(runs.map((r) => r.loadMs));
      const peak = Math.max(...runs.map((r) => r.peakBytes));
      const ratios = [];
      m.rows[row.key].forEach((r, i) => {
        if (r && !r.error && wl[i] && !wl[i].error) ratios.push(wl[i].loadMs / r.loadMs);
      });
      const isWllama = row.key === 'wllama';
      lines.push(
        `| ${m.model} | ${row.label} | ${sec(t)} | ${Math.round(m.fileBytes / MB / (t / 1e3))} | ${Math.round(peak / MB)} | ` +
          `${Math.round(m.bar / MB)} | ${peak <= m.bar ? 'yes' : 'no'} | ${isWllama ? '' : sec(median(wl.filter((r) => r && !r.error).map((r) => r.loadMs)))} | ` +
          `${isWllama ? '' : median(ratios).toFixed(2)} |`,
      );
    }
  }
  return lines.join('\n');
}
