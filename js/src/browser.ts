// Browser entry: loadModel runs the model in a dedicated module Worker by default (the page's
// main thread never blocks on inference); { worker: false } runs it in the calling thread.
import { browserEnv, browserReaders } from './browser-env.js';
import { checkCacheOptions, resolveCache } from './cache/index.js';
import { Engine } from './engine.js';
import { WasmChordError } from './errors.js';
import { LocalBackend } from './local-backend.js';
import { Model } from './model.js';
import { capabilities, resolveConfig } from './probe.js';
import { wireFetchInit, type WireSource } from './rpc.js';
import type { LoadOptions, ModelSource } from './types.js';
import { WorkerBackend, browserWorkerPort } from './worker-backend.js';

export * from './common.js';

function absolute(s: string | URL): string {
  return new URL(String(s), typeof location !== 'undefined' ? location.href : undefined).href;
}

/** Loads a GGUF model from a URL (streamed, with progress), a File/Blob, or bytes. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  const useWorker = options.worker !== false && typeof Worker !== 'undefined';
  // The IndexedDB cache ('auto' by default) runs where the bytes arrive: in the Worker.
  const onCacheError = options.onCacheError ?? ((e: Error) => console.warn(`wasm-chord: ${e.message}`));
  if (!useWorker) {
    const cfg = resolveConfig(options, capabilities());
    const cache = resolveCache(options.cache, 'auto', { chunkBytes: options.cacheChunkBytes, onError: onCacheError });
    const readers = browserReaders(source, options.fetchInit, cache);
    const engine = await Engine.load(readers, { ...cfg, cache, signal: options.signal, onProgress: options.onProgress },
      browserEnv(options.wasmBaseUrl));
    return new Model(new LocalBackend(engine));
  }
  resolveConfig(options, capabilities());  // fail early (bad options, no SIMD) before a Worker starts
  checkCacheOptions(options.cache, options.cacheChunkBytes);
  const list = (Array.isArray(source) ? source : [source]) as Array<string | URL | Blob | ArrayBuffer | ArrayBufferView>;
  const sources: WireSource[] = list.map((s, i) => {
    if (typeof s === 'string' || s instanceof URL) return absolute(s);
    if (s instanceof Blob || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
    throw new WasmChordError('invalid_argument', `model source #${i} is not a URL, Blob, ArrayBuffer or typed array`);
  });
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'wasm-chord' });
  const policy = options.cache ?? 'auto';
  const cache = typeof policy === 'object' ? policy : undefined;
  const backend = await WorkerBackend.load(browserWorkerPort(worker), sources, {
    threads: options.threads,
    contextLength: options.contextLength,
    batchSize: options.batchSize,
    wasmBaseUrl: options.wasmBaseUrl === undefined ? undefined : absolute(options.wasmBaseUrl),
    fetchInit: wireFetchInit(options.fetchInit),
    cache: {
      get: !!cache, put: !!(cache && cache.put),
      policy: policy === 'auto' || policy === 'only' ? policy : undefined, chunkBytes: options.cacheChunkBytes,
    },
  }, cache, options.onProgress, options.signal, onCacheError);
  return new Model(backend);
}
