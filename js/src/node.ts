// Node entry: the model runs in-process by default (wasm in this thread; the pthreads build adds
// worker_threads for kernels), or in its own worker thread with { worker: true }. Sources may
// also be filesystem paths or file: URLs.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { WasmChordError } from './errors.js';
import { loadOn, type Platform } from './load.js';
import type { Model } from './model.js';
import { nodeCapabilities, nodeEnv, nodeHubDefaults, nodeReaders } from './node-env.js';
import type { FromWorker } from './rpc.js';
import type { Capabilities, LoadOptions, ModelSource } from './types.js';
import type { ClientPort } from './worker-backend.js';

export * from './common.js';
export { fileCache, type FileCache, type FileCacheOptions } from './node-cache.js';

/** What this Node offers (SIMD, shared memory for threads, core count). */
export function capabilities(): Capabilities {
  return nodeCapabilities();
}

function threadPort(worker: Worker): ClientPort {
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (fn) => worker.on('message', (m: FromWorker) => fn(m)),
    onError: (fn) => worker.on('error', (e: Error) => fn(e)),
    terminate: () => {
      void worker.terminate();
    },
    // An idle model must not keep the process alive; a call in flight must.
    setBusy: (busy) => (busy ? worker.ref() : worker.unref()),
  };
}

const node: Platform = {
  env: nodeEnv,
  readers: nodeReaders,
  capabilities: nodeCapabilities,
  // 'auto'/'only' use IndexedDB where a polyfill provides it; Node's default is no cache.
  defaultCache: 'none',
  useWorker: (option) => option === true,
  wireSource(s, i) {
    if (s instanceof URL) return s.protocol === 'file:' ? fileURLToPath(s) : s.href;
    if (typeof s === 'string' || s instanceof Blob || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
    throw new WasmChordError('invalid_argument', `model source #${i} is not a path, URL, Blob, ArrayBuffer or typed array`);
  },
  wireBaseUrl: String,
  startWorker: () => threadPort(new Worker(new URL('./node-worker.js', import.meta.url), { name: 'wasm-chord' })),
  hubDefaults: nodeHubDefaults,
};

/** Loads a GGUF model from a path, file:/http(s): URL, Blob or bytes. */
export function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  return loadOn(node, source, options);
}
