// Shared pieces of the CLI commands: the model source check, loading with a progress bar and
// Ctrl-C, and turning parsed generation flags into request fields.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmChordError } from '../errors.js';
import { isHfSource, parseHfSource } from '../hub.js';
import type { Model } from '../model.js';
import { defaultCacheDir, fileCache } from '../node-cache.js';
import { loadModel } from '../node.js';
import type { LoadOptions } from '../types.js';
import { SAMPLING_OPTIONS, UsageError, type Values } from './args.js';
import { ProgressBar } from './progress.js';

export function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/** The model source: -m, -hf [-hff] (as an hf: source), or a single positional argument
 *  (wasm-chord run model.gguf …). */
export function modelArg(values: Values, positionals: string[]): string {
  const m = values.model as string | undefined;
  const hf = values['hf-repo'] as string | undefined;
  const hfFile = values['hf-file'] as string | undefined;
  if (hfFile !== undefined && hf === undefined) throw new UsageError('--hf-file needs -hf USER/MODEL');
  if (hf !== undefined && m !== undefined) throw new UsageError('give the model with -m or -hf, not both');
  const named = m ?? hf;
  if (named !== undefined && positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}' (the model is given with ${m !== undefined ? '-m' : '-hf'})`);
  let src = m ?? positionals[0];
  if (hf !== undefined) src = `hf:${hfFile === undefined ? hf : `${hf.replace(/:[^/]*$/, '')}/${hfFile}`}`;
  if (src === undefined || src === '') throw new UsageError('a model is required: -m PATH|URL or -hf USER/MODEL[:QUANT]');
  if (isHfSource(src)) {
    try {
      parseHfSource(src);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return src;
}

/** A short name for messages and the server's model id: the file name without .gguf (for an hf:
 *  source, what follows hf:). */
export function modelName(src: string): string {
  if (isHfSource(src))
    return src
      .slice(3)
      .replace(/^\/\//, '')
      .replace(/\.gguf$/i, '');
  let name = src;
  try {
    name = isUrl(src) ? decodeURIComponent(new URL(src).pathname) : src;
  } catch {
    /* keep src */
  }
  return basename(name).replace(/\.gguf$/i, '') || 'model';
}

/** Fails early, with a one-line message, on a path that is not a readable file. */
export async function checkModelPath(src: string): Promise<void> {
  if (isHfSource(src)) return; // resolved by loadModel
  if (isUrl(src) && !src.startsWith('file:')) {
    if (!/^https?:/i.test(src)) throw new UsageError(`unsupported URL scheme in '${src}' (use a path, file:, http: or https:)`);
    return;
  }
  const path = src.startsWith('file:') ? fileURLToPath(src) : src;
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new WasmChordError(code === 'ENOENT' ? 'not_found' : 'io_error', `cannot open model '${path}': ${why}`);
  }
  if (st.isDirectory()) throw new WasmChordError('io_error', `cannot open model '${path}': it is a directory`);
}

export function threadsArg(values: Values): LoadOptions['threads'] {
  const t = values.threads as string | undefined;
  if (t === undefined || t === 'auto') return 'auto';
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--threads must be 'auto' or an integer from 1 to 64, got '${t}'`);
  return n;
}

/** Aborts on the first Ctrl-C / SIGTERM; a second Ctrl-C exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort(new WasmChordError('aborted', `interrupted (${sig})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ctl.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export interface LoadArgs {
  values: Values;
  src: string;
  signal?: AbortSignal;
  /** Context length to use when -c is not given. */
  contextLength?: number;
}

/** Loads the model named on the command line, drawing a progress bar on a terminal. */
export async function loadFromArgs({ values, src, signal, contextLength }: LoadArgs): Promise<Model> {
  const threads = threadsArg(values);
  await checkModelPath(src);
  const showBar = values['no-progress'] !== true && (values.progress === true || process.stderr.isTTY === true);
  const bar = showBar ? new ProgressBar(process.stderr, modelName(src)) : undefined;
  try {
    return await loadModel(src, {
      threads,
      contextLength: (values['ctx-size'] as number | undefined) ?? contextLength,
      batchSize: values['batch-size'] as number | undefined,
      hfToken: values['hf-token'] as string | undefined,
      // hf: downloads are kept on disk, as llama.cpp's -hf does (files pinned to the repo's commit).
      cache:
        isHfSource(src) && values['no-download-cache'] !== true
          ? fileCache(defaultCacheDir(), { onError: (e) => process.stderr.write(`wasm-chord: warning: ${oneLine(e)}\n`) })
          : undefined,
      signal,
      onProgress: bar ? (e) => bar.update(e) : undefined,
    });
  } finally {
    bar?.finish();
  }
}

/** The generation flags as request fields (llama.cpp's flag names: --top-k is top_k, --temp is
 *  temperature, -n is max_tokens), read like a server request by optionsFromRequest. */
export function requestFromArgs(values: Values): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  for (const spec of [...SAMPLING_OPTIONS, { name: 'n-predict' }]) {
    const v = values[spec.name];
    if (v === undefined) continue;
    if (spec.name === 'stop' && (v as string[]).some((s) => s === '')) throw new UsageError('--stop needs a non-empty text');
    req[spec.name === 'temp' ? 'temperature' : spec.name === 'n-predict' ? 'max_tokens' : spec.name.replaceAll('-', '_')] = v;
  }
  return req;
}

/** Exits quietly when the reader of stdout goes away (`wasm-chord run … | head`). */
export function exitOnBrokenPipe(onBroken?: () => void): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    onBroken?.();
    process.exit(0);
  });
}

/** An error as one line of text (messages from deep layers may span lines). */
export function oneLine(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  // fetch() says only "fetch failed"; the reason (e.g. ECONNREFUSED) is in the cause chain.
  for (let c = e instanceof Error ? e.cause : undefined, depth = 0; c instanceof Error && depth < 3; c = c.cause, ++depth)
    if (!msg.includes(c.message)) msg += `: ${c.message}`;
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
