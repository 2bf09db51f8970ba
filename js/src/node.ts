// Node entry: the model runs in-process by default (wasm in this thread; the pthreads build adds
// worker_threads for kernels), or in its own worker thread with { worker: true }. Sources may
// also be filesystem paths or file: URLs.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { checkCacheOptions, resolveCache } from './cache/index.js';
import { Engine } from './engine.js';
import { WasmChordError } from './errors.js';
import { LocalBackend } from './local-backend.js';
import { Model } from './model.js';
import { nodeCapabilities, nodeEnv, nodeReaders } from './node-env.js';
import { resolveConfig } from './probe.js';
import { wireFetchInit, type FromWorker, type WireSource } from './rpc.js';
import type { Capabilities, LoadOptions, ModelSource } from './types.js';
import { WorkerBackend, type ClientPort } from './worker-backend.js';

export * from './common.js';

/** What this Node offers (SIMD, shared memory for threads, core count). */
export function capabilities(): Capabilities {
  return nodeCapabilities();
}

function threadPort(worker: Worker): ClientPort {
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (fn) => worker.on('message', (m: FromWorker) => fn(m)),
    onError: (fn) => worker.on('error', (e: Error) => fn(e)),
    terminate: () => { void worker.terminate(); },
    // An idle model must not keep the process alive; a call in flight must.
    setBusy: (busy) => (busy ? worker.ref() : worker.unref()),
  };
}

/** Loads a GGUF model from a path, file:/http(s): URL, Blob or bytes. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  const cfg = resolveConfig(options, capabilities());
  checkCacheOptions(options.cache, options.cacheChunkBytes);
  if (!options.worker) {
    // 'auto'/'only' use IndexedDB where a polyfill provides it; Node's default is no cache.
    const cache = resolveCache(options.cache, 'none', { chunkBytes: options.cacheChunkBytes, onError: options.onCacheError });
    const readers = nodeReaders(source, options.fetchInit, cache);
    const engine = await Engine.load(readers, { ...cfg, cache, signal: options.signal, onProgress: options.onProgress },
      nodeEnv(options.wasmBaseUrl));
    return new Model(new LocalBackend(engine));
  }
  const list = (Array.isArray(source) ? source : [source]) as Array<string | URL | Blob | ArrayBuffer | ArrayBufferView>;
  const sources: WireSource[] = list.map((s, i) => {
    if (s instanceof URL) return s.protocol === 'file:' ? fileURLToPath(s) : s.href;
    if (typeof s === 'string' || s instanceof Blob || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
    throw new WasmChordError('invalid_argument', `model source #${i} is not a path, URL, Blob, ArrayBuffer or typed array`);
  });
  const worker = new Worker(new URL('./node-worker.js', import.meta.url), { name: 'wasm-chord' });
  const policy = options.cache ?? 'none';
  const cache = typeof policy === 'object' ? policy : undefined;
  const backend = await WorkerBackend.load(threadPort(worker), sources, {
    threads: options.threads,
    contextLength: options.contextLength,
    batchSize: options.batchSize,
    wasmBaseUrl: options.wasmBaseUrl === undefined ? undefined : String(options.wasmBaseUrl),
    fetchInit: wireFetchInit(options.fetchInit),
    cache: {
      get: !!cache, put: !!(cache && cache.put),
      policy: policy === 'auto' || policy === 'only' ? policy : undefined, chunkBytes: options.cacheChunkBytes,
    },
  }, cache, options.onProgress, options.signal, options.onCacheError);
  return new Model(backend);
}
