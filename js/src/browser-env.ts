// Browser (and Web Worker) environment: wasm files fetched relative to the package's dist/wasm/
// (or wasmBaseUrl), the ES-module wrapper of the Emscripten factory, URL/Blob/bytes sources.
// No Node imports here.
import { WasmChordError } from './errors.js';
import { checkedFetch } from './fetch.js';
import type { EngineEnv } from './engine.js';
import { universalReaders, type PartReader } from './sources.js';
import type { ModelCache, ModelSource } from './types.js';
import { buildName, instantiate, type ModuleFactory } from './wasm.js';

export function defaultWasmBase(): string {
  return new URL('./wasm/', import.meta.url).href;
}

const compiled = new Map<string, Promise<{ factory: ModuleFactory; module: WebAssembly.Module }>>();

async function compile(base: string, name: string): Promise<{ factory: ModuleFactory; module: WebAssembly.Module }> {
  const wasmUrl = new URL(`${name}.wasm`, base).href;
  const factoryP = import(/* @vite-ignore */ /* webpackIgnore: true */ new URL(`${name}.mjs`, base).href).then(
    (m: { default: ModuleFactory }) => m.default,
  );
  const moduleP = (async () => {
    const res = await checkedFetch(wasmUrl);
    if (typeof WebAssembly.compileStreaming === 'function' && res.headers.get('content-type')?.startsWith('application/wasm'))
      return WebAssembly.compileStreaming(res);
    return WebAssembly.compile(await res.arrayBuffer());
  })();
  const [factory, module] = await Promise.all([factoryP, moduleP]);
  return { factory, module };
}

/** Macrotask yield that is not clamped like nested setTimeout(0). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

const pthreadWorkers = new Map<string, string>();

/** The script Emscripten starts each pthread Worker from. A Worker's script must have the page's
 *  origin: for wasm files served from elsewhere (a CDN) it is a same-origin blob: script that
 *  imports the real one (classic importScripts may cross origins; under COEP require-corp the
 *  server must send CORS or Cross-Origin-Resource-Policy headers). Kept for the page's lifetime:
 *  Emscripten may start more Workers later. */
function pthreadWorkerUrl(url: URL): string {
  if (typeof location === 'undefined' || url.origin === location.origin) return url.href;
  let blobUrl = pthreadWorkers.get(url.href);
  if (!blobUrl) {
    blobUrl = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(url.href)});\n`], { type: 'text/javascript' }));
    pthreadWorkers.set(url.href, blobUrl);
  }
  return blobUrl;
}

export function browserEnv(wasmBaseUrl?: string | URL): EngineEnv {
  const base = wasmBaseUrl
    ? new URL(String(wasmBaseUrl), typeof location !== 'undefined' ? location.href : undefined).href
    : defaultWasmBase();
  return {
    async instantiate(flavor, simd, poolSize, memory64 = false) {
      const name = buildName(flavor, simd, memory64);
      const key = `${name} ${base}`;
      let c = compiled.get(key);
      if (!c) {
        c = compile(base, name);
        compiled.set(key, c);
        c.catch(() => compiled.delete(key));
      }
      const { factory, module } = await c;
      return instantiate({
        factory,
        compiled: module,
        poolSize,
        locateFile: (path) => (path.endsWith('.worker.js') ? pthreadWorkerUrl(new URL(path, base)) : new URL(path, base).href),
        // The relaxed and Memory64 builds' Emscripten (3.1.69) starts pthread Workers from the main
        // script itself (no .worker.js): it must be same-origin like the SIMD128 builds' worker script.
        mainScriptUrlOrBlob:
          simd === 'relaxed' || memory64 ? pthreadWorkerUrl(new URL(`${name}.js`, base)) : new URL(`${name}.js`, base).href,
      });
    },
    yieldToEventLoop,
  };
}

export function browserReaders(
  source: ModelSource,
  fetchInit: RequestInit | undefined,
  cache: ModelCache | false | undefined,
): PartReader[] {
  const list = Array.isArray(source) ? source : [source];
  const out: PartReader[] = [];
  list.forEach((s, i) => {
    const r = universalReaders(s as Parameters<typeof universalReaders>[0], i, fetchInit, cache, !Array.isArray(source));
    if (!r) throw new WasmChordError('invalid_argument', `model source #${i} is not a URL, Blob, ArrayBuffer or typed array`);
    out.push(...r);
  });
  return out;
}
