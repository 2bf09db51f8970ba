// Browser entry: loadModel runs the model in a dedicated module Worker by default (the page's
// main thread never blocks on inference); { worker: false } runs it in the calling thread.
import { browserEnv, browserReaders } from './browser-env.js';
import { WasmChordError } from './errors.js';
import { loadOn, type Platform } from './load.js';
import type { Model } from './model.js';
import { capabilities } from './probe.js';
import type { LoadOptions, ModelSource } from './types.js';
import { browserWorkerPort, crossOriginWorkerPort } from './worker-backend.js';

export * from './common.js';

function absolute(s: string | URL): string {
  return new URL(String(s), typeof location !== 'undefined' ? location.href : undefined).href;
}

const browser: Platform = {
  env: browserEnv,
  readers: browserReaders,
  capabilities: () => capabilities(),
  defaultCache: 'auto',
  defaultOnCacheError: (e) => console.warn(`wasm-chord: ${e.message}`),
  useWorker: (option) => option !== false && typeof Worker !== 'undefined',
  wireSource(s, i) {
    if (typeof s === 'string' || s instanceof URL) return absolute(s);
    if (s instanceof Blob || s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return s;
    throw new WasmChordError('invalid_argument', `model source #${i} is not a URL, Blob, ArrayBuffer or typed array`);
  },
  wireBaseUrl: absolute,
  startWorker() {
    // Spelled out as bundlers expect (Vite, webpack: new Worker(new URL(…, import.meta.url), {type:
    // 'module'})) so that they bundle the Worker; served from another origin, a blob: wrapper.
    if (typeof location === 'undefined' || new URL(import.meta.url).origin === location.origin)
      return browserWorkerPort(new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'wasm-chord' }));
    const here = import.meta.url;
    return crossOriginWorkerPort(new URL('./worker.js', here).href);
  },
  hubDefaults: () => ({}),
};

/** Loads a GGUF model from a URL (streamed, with progress), a File/Blob, or bytes. */
export function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  return loadOn(browser, source, options);
}
