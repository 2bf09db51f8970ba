// Hugging Face hub sources: 'hf:owner/repo[@revision][:QUANT]' and 'hf:owner/repo[@revision]/path.gguf'
// resolved through the hub's public API (the model-info route lists a revision's files and its
// commit) into resolve URLs pinned to that commit: every part of a split model, in order. The quant
// is picked as llama.cpp's -hf does. No Node imports: runs in browsers, Workers and Node.
import { WasmChordError, abortErrorFrom } from './errors.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** What an hf: source names. */
export interface HfSpec {
  /** 'owner/name'. */
  repo: string;
  /** Branch, tag or commit; undefined = the repo's default branch. */
  revision: string | undefined;
  /** A quant such as Q4_K_M (matched case-insensitively in file names); undefined = the default order. */
  tag: string | undefined;
  /** A file path inside the repo (instead of a tag). */
  file: string | undefined;
}

export interface HubOptions {
  /** The hub's base URL (default https://huggingface.co): a mirror, or a test server. */
  endpoint?: string | URL;
  /** Sent as `Authorization: Bearer …` to the API and with every file request. */
  token?: string;
  /** fetch() init for the API request (headers are merged under the hub's own). */
  fetchInit?: RequestInit;
  signal?: AbortSignal;
}

export interface HubResolution {
  /** The resolve URL of each part, in order (one for an unsplit file). */
  urls: string[];
  /** The chosen file's path in the repo (part 1 of a split model). */
  file: string;
  /** The commit the URLs are pinned to (or the revision asked for, when the API gave none). */
  revision: string;
}

// A repo id part as the hub allows it (llama.cpp checks the same): letters, digits and _, with
// single '.' or '-' between them.
const NAME = /^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// Files that sit beside models in GGUF repos but are not language models (llama.cpp's list).
const NOT_MODELS = ['mmproj', 'imatrix', 'mtp-', 'eagle3-', 'dflash-', 'dspark-'];
/** Quants tried in order when an hf: source names none: llama.cpp's -hf default (Q4_K_M, then
 *  Q8_0), with Q4_0 between them (the smaller file suits a browser better than Q8_0). */
export const DEFAULT_QUANTS = ['Q4_K_M', 'Q4_0', 'Q8_0'];

function bad(source: string, why: string): WasmChordError {
  return new WasmChordError(
    'invalid_argument',
    `'${source}' is not a Hugging Face source: ${why} (expected hf:owner/repo[:QUANT] or hf:owner/repo/path/file.gguf)`,
  );
}

/** True for strings loadModel resolves through the hub. */
export function isHfSource(s: unknown): s is `hf:${string}` {
  return typeof s === 'string' && s.startsWith('hf:');
}

/** Parses an hf: source; throws invalid_argument when it is malformed. */
export function parseHfSource(source: string): HfSpec {
  if (!isHfSource(source)) throw bad(source, "it does not start with 'hf:'");
  let rest = source.slice(3).replace(/^\/\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) throw bad(source, 'no owner/repo');
  const owner = rest.slice(0, slash);
  rest = rest.slice(slash + 1);
  const end = rest.search(/[@:/]/);
  const name = end < 0 ? rest : rest.slice(0, end);
  rest = end < 0 ? '' : rest.slice(end);
  if (!NAME.test(owner) || !NAME.test(name) || owner.length + name.length > 255) throw bad(source, `'${owner}/${name}' is not a repo id`);
  let revision: string | undefined;
  if (rest.startsWith('@')) {
    const e = rest.slice(1).search(/[:/]/);
    const raw = e < 0 ? rest.slice(1) : rest.slice(1, e + 1);
    rest = e < 0 ? '' : rest.slice(e + 1);
    try {
      revision = decodeURIComponent(raw); // refs/pr/1 is written refs%2Fpr%2F1
    } catch {
      throw bad(source, `bad revision '${raw}'`);
    }
    if (revision === '') throw bad(source, 'empty revision');
  }
  let tag: string | undefined;
  let file: string | undefined;
  if (rest.startsWith(':')) {
    tag = rest.slice(1);
    if (!TAG.test(tag)) throw bad(source, `bad quant tag '${tag}'`);
  } else if (rest.startsWith('/')) {
    file = rest.slice(1);
    const parts = file.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw bad(source, `bad file path '${file}'`);
    if (!/\.gguf$/i.test(file)) throw bad(source, `'${file}' is not a .gguf file`);
  } else if (rest !== '') {
    throw bad(source, `unexpected '${rest}'`);
  }
  return { repo: `${owner}/${name}`, revision, tag, file };
}

interface FileName {
  /** The path without .gguf and without the -0000i-of-0000n split suffix. */
  prefix: string;
  /** The quant written at the end of the name (upper case), '' if none. */
  quant: string;
  index: number;
  count: number;
}

/** llama.cpp's reading of a GGUF name: `<prefix>[-<i>-of-<n>].gguf`, the quant after the last - or . */
function splitName(path: string): FileName | undefined {
  if (!/\.gguf$/i.test(path)) return undefined;
  let prefix = path.slice(0, -5);
  let index = 1;
  let count = 1;
  const m = /^(.+)-(\d{5})-of-(\d{5})$/.exec(prefix);
  if (m) {
    prefix = m[1]!;
    index = Number(m[2]);
    count = Number(m[3]);
  }
  const q = /[-.]([A-Za-z0-9_]+)$/.exec(prefix);
  return { prefix, quant: q ? q[1]!.toUpperCase() : '', index, count };
}

function isModelFile(path: string): boolean {
  if (!/\.gguf$/i.test(path)) return false;
  const base = path.slice(path.lastIndexOf('/') + 1);
  return !NOT_MODELS.some((k) => base.includes(k));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The quants a repo offers (from its model file names), for error messages. */
export function availableQuants(files: readonly string[]): string[] {
  const q = new Set<string>();
  for (const f of files) if (isModelFile(f)) q.add(splitName(f)!.quant || f);
  return [...q].sort();
}

/** The model file for `tag` (or the default order), as llama.cpp picks it: the first model file
 *  (part 1 of a split one) whose path has the tag followed by '.' or '-', case-insensitively;
 *  without a tag, the first of DEFAULT_QUANTS that is there, else the first model file. */
export function pickModelFile(files: readonly string[], tag: string | undefined): string | undefined {
  const candidates = files.filter((f) => isModelFile(f) && splitName(f)!.index === 1);
  for (const t of tag === undefined ? DEFAULT_QUANTS : [tag]) {
    const re = new RegExp(`${escapeRegExp(t)}[.-]`, 'i');
    const hit = candidates.find((f) => re.test(f));
    if (hit) return hit;
  }
  return tag === undefined ? candidates[0] : undefined;
}

/** Every part of `file` in order (just [file] when it is not split); throws if one is missing. */
export function splitParts(files: readonly string[], file: string, repo: string): string[] {
  const s = splitName(file)!;
  if (s.count <= 1) return [file];
  const byIndex = new Map<number, string>();
  for (const f of files) {
    const o = splitName(f);
    if (o && o.count === s.count && o.prefix === s.prefix) byIndex.set(o.index, f);
  }
  const out: string[] = [];
  for (let i = 1; i <= s.count; ++i) {
    const f = byIndex.get(i);
    if (!f) throw new WasmChordError('not_found', `${repo}: part ${i} of ${s.count} of the split model ${file} is not in the repo`);
    out.push(f);
  }
  return out;
}

/** The hub's base URL without a trailing slash; throws invalid_argument for a non-http(s) URL. */
export function hubBase(endpoint: string | URL | undefined): string {
  const raw = String(endpoint ?? DEFAULT_HF_ENDPOINT);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new WasmChordError('invalid_argument', `hfEndpoint '${raw}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WasmChordError('invalid_argument', `hfEndpoint '${raw}' is not http(s)`);
  return u.href.replace(/\/+$/, '');
}

/** Request headers for the hub: the caller's, then the token. Throws invalid_argument for a token
 *  that cannot be a header value. */
export function hubHeaders(init: HeadersInit | undefined, token: string | undefined): Headers {
  const h = new Headers(init);
  if (token !== undefined && token !== '') {
    try {
      h.set('Authorization', `Bearer ${token}`);
    } catch {
      throw new WasmChordError('invalid_argument', 'hfToken is not a valid header value');
    }
  }
  return h;
}

/** How to give a token, for error messages. */
export const HF_TOKEN_HINT = 'pass hfToken (Node: or set HF_TOKEN; CLI: --hf-token)';

/** A failed hub API answer as a typed error naming the repo (the hub also answers 401 for a repo
 *  that does not exist when no token is sent, so as not to reveal private repos). */
function apiError(res: Response, spec: HfSpec, base: string, hasToken: boolean): WasmChordError {
  const code = res.headers.get('x-error-code');
  const where = base === DEFAULT_HF_ENDPOINT ? '' : ` at ${base}`;
  const repo = `Hugging Face repo '${spec.repo}'${where}`;
  if (res.status === 404 && code === 'RevisionNotFound')
    return new WasmChordError('not_found', `${repo} has no revision '${spec.revision ?? ''}'`);
  if (res.status === 404) return new WasmChordError('not_found', `${repo} was not found (HTTP 404)`);
  if (res.status === 401 && !hasToken)
    return new WasmChordError(
      'unauthorized',
      `${repo} was not found, or it is private or gated and needs a token: ${HF_TOKEN_HINT} (HTTP 401)`,
    );
  if (res.status === 401)
    return new WasmChordError('unauthorized', `${repo}: the hub refused the token (HTTP 401); check it, or whether the repo exists`);
  if (res.status === 403)
    return new WasmChordError(
      'unauthorized',
      code === 'GatedRepo'
        ? `${repo} is gated: accept its conditions on the hub and ${HF_TOKEN_HINT} (HTTP 403)`
        : `${repo}: access denied (HTTP 403); ${HF_TOKEN_HINT} with read access`,
    );
  return new WasmChordError('io_error', `${repo}: the hub answered HTTP ${res.status} ${res.statusText}`.trim());
}

interface ModelInfoJson {
  sha?: unknown;
  siblings?: unknown;
}

/** The file list and commit of a repo revision (GET {base}/api/models/{repo}[/revision/{rev}]). */
async function listFiles(spec: HfSpec, base: string, o: HubOptions): Promise<{ files: string[]; sha: string | undefined }> {
  const rev = spec.revision === undefined ? '' : `/revision/${encodeURIComponent(spec.revision)}`;
  const url = `${base}/api/models/${spec.repo}${rev}`;
  const headers = hubHeaders(o.fetchInit?.headers, o.token);
  headers.set('Accept', 'application/json');
  let res: Response;
  try {
    res = await fetch(url, { ...o.fetchInit, headers, signal: o.signal ?? o.fetchInit?.signal ?? null });
  } catch (e) {
    if (o.signal?.aborted) throw abortErrorFrom(o.signal);
    const cause = (e as Error)?.cause;
    const why = cause instanceof Error ? `${(e as Error).message}: ${cause.message}` : ((e as Error)?.message ?? String(e));
    throw new WasmChordError('io_error', `cannot reach the Hugging Face hub at ${base}: ${why}`, { cause: e });
  }
  if (!res.ok) {
    res.body?.cancel().catch(() => {});
    throw apiError(res, spec, base, o.token !== undefined && o.token !== '');
  }
  let json: ModelInfoJson;
  try {
    json = (await res.json()) as ModelInfoJson;
  } catch (e) {
    if (o.signal?.aborted) throw abortErrorFrom(o.signal);
    throw new WasmChordError('io_error', `${url}: the hub's answer is not JSON`, { cause: e });
  }
  if (typeof json !== 'object' || json === null || !Array.isArray(json.siblings))
    throw new WasmChordError('io_error', `${url}: the hub's answer has no file list (siblings)`);
  const files: string[] = [];
  for (const s of json.siblings as unknown[]) {
    const f = (s as { rfilename?: unknown } | null)?.rfilename;
    // Paths stay inside the repo: no empty, '.' or '..' segments.
    if (typeof f === 'string' && f !== '' && !f.split('/').some((p) => p === '' || p === '.' || p === '..')) files.push(f);
  }
  const sha = typeof json.sha === 'string' && /^[0-9a-f]{40}$/i.test(json.sha) ? json.sha : undefined;
  return { files, sha };
}

/** The file a parsed spec names, checked against the repo's list; throws typed errors. */
function chooseFile(spec: HfSpec, files: readonly string[]): string {
  const ggufs = files.filter((f) => /\.gguf$/i.test(f));
  if (spec.file !== undefined) {
    const want = spec.file.toLowerCase();
    const hit = files.find((f) => f.toLowerCase() === want);
    if (hit) return hit;
    const list = ggufs.length ? `; its GGUF files: ${ggufs.join(', ')}` : '; it has no GGUF files';
    throw new WasmChordError('not_found', `${spec.repo} has no file '${spec.file}'${list}`);
  }
  const hit = pickModelFile(files, spec.tag);
  if (hit) return hit;
  const quants = availableQuants(files);
  if (!quants.length) throw new WasmChordError('not_found', `${spec.repo} has no GGUF model files`);
  throw new WasmChordError('not_found', `${spec.repo} has no ${spec.tag} file; available quants: ${quants.join(', ')}`);
}

/** A cache that also remembers what hf: sources resolved to, so that they load when the hub cannot
 *  be reached (llama.cpp falls back on its cached files the same way). fileCache is one. */
export interface HubMemo {
  rememberHub(key: string, r: HubResolution): Promise<void>;
  /** The last resolution of `key` if every file of it is cached, else undefined. */
  recallHub(key: string): Promise<HubResolution | undefined>;
}

export function isHubMemo(c: unknown): c is HubMemo {
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof (c as HubMemo).recallHub === 'function' &&
    typeof (c as HubMemo).rememberHub === 'function'
  );
}

/** The memo key of a source: the hub and the name (not the token). */
export function hubMemoKey(source: string, endpoint: string | URL | undefined): string {
  return `${hubBase(endpoint)} ${source}`;
}

/** Resolves an hf: source to the resolve URLs of its parts, pinned to the revision's commit. */
export async function resolveHf(source: string, o: HubOptions = {}): Promise<HubResolution> {
  const spec = parseHfSource(source);
  const base = hubBase(o.endpoint);
  const { files, sha } = await listFiles(spec, base, o);
  const file = chooseFile(spec, files);
  const parts = splitParts(files, file, spec.repo);
  const revision = sha ?? spec.revision ?? 'main';
  const rev = encodeURIComponent(revision);
  const urls = parts.map((p) => `${base}/${spec.repo}/resolve/${rev}/${p.split('/').map(encodeURIComponent).join('/')}`);
  return { urls, file, revision };
}
