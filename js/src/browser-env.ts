// Browser (and Web Worker) environment: wasm files fetched relative to the package's dist/wasm/
// (or wasmBaseUrl), the ES-module wrapper of the Emscripten factory, URL/Blob/bytes sources.
// No Node imports here.
import { WasmChordError } from './errors.js';
import type { EngineEnv } from './engine.js';
import { universalReaders, type PartReader } from './sources.js';
import type { ModelCache, ModelSource } from './types.js';
import { instantiate, type Flavor, type ModuleFactory } from './wasm.js';

const FILES: Record<Flavor, { js: string; mjs: string; wasm: string }> = {
  st: { js: 'chord.js', mjs: 'chord.mjs', wasm: 'chord.wasm' },
  mt: { js: 'chord-mt.js', mjs: 'chord-mt.mjs', wasm: 'chord-mt.wasm' },
};

export function defaultWasmBase(): string {
  return new URL('./wasm/', import.meta.url).href;
}

const compiled = new Map<string, Promise<{ factory: ModuleFactory; module: WebAssembly.Module }>>();

async function compile(base: string, flavor: Flavor): Promise<{ factory: ModuleFactory; module: WebAssembly.Module }> {
  const f = FILES[flavor];
  const wasmUrl = new URL(f.wasm, base).href;
  const factoryP = import(/* @vite-ignore */ /* webpackIgnore: true */ new URL(f.mjs, base).href)
    .then((m: { default: ModuleFactory }) => m.default);
  const moduleP = (async () => {
    const res = await fetch(wasmUrl);
    if (!res.ok) throw new WasmChordError('io_error', `fetch ${wasmUrl}: HTTP ${res.status}`);
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

export function browserEnv(wasmBaseUrl?: string | URL): EngineEnv {
  const base = wasmBaseUrl ? new URL(String(wasmBaseUrl), typeof location !== 'undefined' ? location.href : undefined).href : defaultWasmBase();
  return {
    async instantiate(flavor, poolSize) {
      const key = `${flavor} ${base}`;
      let c = compiled.get(key);
      if (!c) {
        c = compile(base, flavor);
        compiled.set(key, c);
        c.catch(() => compiled.delete(key));
      }
      const { factory, module } = await c;
      return instantiate({
        factory, compiled: module, poolSize,
        locateFile: (path) => new URL(path, base).href,
        mainScriptUrlOrBlob: new URL(FILES[flavor].js, base).href,
      });
    },
    yieldToEventLoop,
  };
}

export function browserReaders(source: ModelSource, fetchInit: RequestInit | undefined, cache: ModelCache | false | undefined): PartReader[] {
  const list = Array.isArray(source) ? source : [source];
  const out: PartReader[] = [];
  list.forEach((s, i) => {
    const r = universalReaders(s as Parameters<typeof universalReaders>[0], i, fetchInit, cache);
    if (!r) throw new WasmChordError('invalid_argument', `model source #${i} is not a URL, Blob, ArrayBuffer or typed array`);
    out.push(...r);
  });
  return out;
}
