// `wasm-chord inspect`: GGUF metadata and the tensor table (name, type, shape, bytes), read from
// the header alone, so it is quick on large files and reads only the first bytes of a URL.
import { fileURLToPath } from 'node:url';
import { HELP_OPTION, HF_OPTIONS, type CommandSpec, type Values } from './args.js';
import { fileSource } from '../gguf/file-source.js';
import { readGgufHeader, urlSource, type GgufHeader, type HeaderScalar, type HeaderValue, type PrefixSource } from '../gguf/header.js';
import { hubHeaders, isHfSource, resolveHf } from '../hub.js';
import { nodeHubDefaults } from '../node-env.js';
import { exitOnBrokenPipe, interruptSignal, isUrl, modelArg } from './load.js';
import { formatBytes } from '../format.js';

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary:
    "Print a GGUF file's metadata and tensor table (name, type, shape, bytes, offset).\n" +
    'Only the header is read: for a URL, the download stops where the header ends.',
  usage: 'wasm-chord inspect -m PATH|URL|hf:USER/MODEL[:QUANT] [--json] [--all]',
  maxPositionals: 1,
  options: [
    { name: 'model', short: 'm', type: 'string', arg: 'PATH|URL', help: 'GGUF file, http(s) URL or hf:USER/MODEL[:QUANT] (or use -hf)' },
    ...HF_OPTIONS,
    { name: 'json', type: 'flag', help: 'print everything as one JSON object' },
    { name: 'all', type: 'flag', help: 'print arrays (e.g. the vocabulary) whole instead of their first 16 elements' },
    { name: 'no-tensors', type: 'flag', help: 'leave out the tensor table' },
    HELP_OPTION,
  ],
  notes: ['Shapes are listed ne[0] first (the contiguous dimension), as llama.cpp prints them.'],
};

function jsonSafe(v: HeaderScalar | HeaderScalar[]): unknown {
  if (Array.isArray(v)) return v.map(jsonSafe);
  return typeof v === 'bigint' ? v.toString() : v;
}

/** The shortest decimal that reads back as the same float32. */
function showF32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  for (let p = 1; p < 9; ++p) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function showScalar(v: HeaderScalar, type: string): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && (type === 'f32' || type === 'arr[f32]')) return showF32(v);
  return String(v);
}

function showValue(v: HeaderValue, limit: number): string {
  if (Array.isArray(v.value)) {
    const items = v.value.map((x) => showScalar(x, v.type));
    const more = (v.length ?? items.length) > items.length ? `, ... ${(v.length ?? 0) - items.length} more` : '';
    return `[${items.join(', ')}${more}]`;
  }
  const s = showScalar(v.value, v.type);
  return s.length > limit ? `${s.slice(0, limit)}... (${(v.value as string).length} chars)` : s;
}

function table(rows: string[][], rightAlign: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (rightAlign.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function render(src: string, h: GgufHeader, values: Values): string {
  const all = values.all === true;
  const params = h.tensors.reduce((s, t) => s + t.elements, 0);
  const tensorBytes = h.tensors.reduce((s, t) => s + (t.bytes ?? 0), 0);
  const out: string[] = [];
  out.push(`file:       ${src}`);
  out.push(`format:     GGUF v${h.version}, alignment ${h.alignment}, data at byte ${h.dataOffset}`);
  if (h.fileBytes !== undefined) out.push(`size:       ${h.fileBytes} bytes (${formatBytes(h.fileBytes)})`);
  out.push(`tensors:    ${h.tensors.length}, ${params} parameters, ${tensorBytes} bytes of data`);
  const types = new Map<string, number>();
  for (const t of h.tensors) types.set(t.type, (types.get(t.type) ?? 0) + 1);
  out.push(`types:      ${[...types].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  out.push('', `metadata (${Object.keys(h.metadata).length} keys):`);
  const rows = Object.entries(h.metadata).map(([k, v]) => [
    `  ${k}`,
    v.length !== undefined ? `${v.type.replace(']', '')}, ${v.length}]` : v.type,
    showValue(v, all ? Infinity : 200),
  ]);
  if (rows.length) out.push(table(rows, new Set()).trimEnd());
  if (values['no-tensors'] !== true && h.tensors.length) {
    out.push('', 'tensors:');
    const trows = [['  #', 'name', 'type', 'shape', 'elements', 'bytes', 'offset']];
    h.tensors.forEach((t, i) =>
      trows.push([
        `  ${i}`,
        t.name,
        t.type,
        `[${t.shape.join(', ')}]`,
        String(t.elements),
        t.bytes === null ? '?' : String(t.bytes),
        String(t.offset),
      ]),
    );
    out.push(table(trows, new Set([0, 4, 5, 6])).trimEnd());
  }
  for (const w of h.warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}

export async function inspect(values: Values, positionals: string[]): Promise<number> {
  const src = modelArg(values, positionals);
  const interrupt = interruptSignal();
  let source: PrefixSource;
  if (isHfSource(src)) {
    // The header of the file (part 1 of a split model) the hub resolves the name to.
    const env = nodeHubDefaults();
    const token = (values['hf-token'] as string | undefined) ?? env.token;
    const hub = await resolveHf(src, { endpoint: env.endpoint, token, signal: interrupt.signal });
    source = await urlSource(hub.urls[0]!, interrupt.signal, { headers: hubHeaders(undefined, token) });
  } else if (isUrl(src) && !src.startsWith('file:')) source = await urlSource(src, interrupt.signal);
  else source = await fileSource(src.startsWith('file:') ? fileURLToPath(src) : src);
  try {
    const h = await readGgufHeader(source, { maxArray: values.all === true ? Infinity : 16 });
    exitOnBrokenPipe();
    if (values.json === true) {
      const metadata = Object.fromEntries(Object.entries(h.metadata).map(([k, v]) => [k, { ...v, value: jsonSafe(v.value) }]));
      const tensors = values['no-tensors'] === true ? undefined : h.tensors;
      process.stdout.write(JSON.stringify({ source: src, ...h, metadata, tensors }, null, 2) + '\n');
    } else {
      process.stdout.write(render(src, h, values));
    }
    return 0;
  } finally {
    interrupt.dispose();
    await source.close();
  }
}
