// Node entry: the model runs in-process (wasm in this thread; the pthreads build adds
// worker_threads for kernels). Sources may also be filesystem paths or file: URLs.
import { readFile, open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type EngineEnv } from './engine.js';
import { WasmChordError, throwIfAborted } from './errors.js';
import { LocalBackend } from './local-backend.js';
import { Model } from './model.js';
import { capabilities as probe, resolveConfig } from './probe.js';
import { splitPartNames, universalReaders, type PartReader } from './sources.js';
import type { Capabilities, LoadOptions, ModelSource } from './types.js';
import { instantiate, type Flavor, type ModuleFactory } from './wasm.js';

export * from './common.js';

const FILES: Record<Flavor, { js: string; wasm: string }> = {
  st: { js: 'chord.js', wasm: 'chord.wasm' },
  mt: { js: 'chord-mt.js', wasm: 'chord-mt.wasm' },
};

function hardwareConcurrency(): number {
  try {
    return availableParallelism();
  } catch {
    return cpus().length || 1;
  }
}

/** capabilities() with Node's core count. */
export function capabilities(): Capabilities {
  return probe(hardwareConcurrency());
}

function wasmDir(base: string | URL | undefined): string {
  if (base === undefined) return fileURLToPath(new URL('./wasm/', import.meta.url));
  const s = String(base);
  return s.startsWith('file:') ? fileURLToPath(s) : s;
}

const compiled = new Map<string, Promise<{ factory: ModuleFactory; module: WebAssembly.Module }>>();

function nodeEnv(base: string | URL | undefined): EngineEnv {
  const dir = wasmDir(base);
  return {
    async instantiate(flavor, poolSize) {
      const key = `${flavor} ${dir}`;
      let c = compiled.get(key);
      if (!c) {
        c = (async () => {
          const jsPath = join(dir, FILES[flavor].js);
          // The Emscripten factory is CommonJS (dist/wasm/package.json says so).
          const factory = createRequire(import.meta.url)(jsPath) as ModuleFactory;
          let bytes: Buffer;
          try {
            bytes = await readFile(join(dir, FILES[flavor].wasm));
          } catch (e) {
            throw new WasmChordError('io_error', `cannot read the wasm build at ${dir}: ${(e as Error).message}`, { cause: e });
          }
          return { factory, module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>) };
        })();
        compiled.set(key, c);
        c.catch(() => compiled.delete(key));
      }
      const { factory, module } = await c;
      return instantiate({ factory, compiled: module, poolSize });
    },
    yieldToEventLoop: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

const CHUNK = 16 << 20;

function pathReader(path: string): PartReader {
  return {
    name: path,
    async open(signal) {
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new WasmChordError(code === 'ENOENT' ? 'not_found' : 'io_error', `cannot open ${path}: ${(e as Error).message}`, { cause: e });
      }
      const size = (await fh.stat()).size;
      const file = fh;
      return {
        size,
        phase: 'load',
        async pump(sink, onBytes, sig) {
          try {
            for (let off = 0; off < size;) {
              throwIfAborted(sig ?? signal);
              const n = Math.min(CHUNK, size - off);
              // Read straight into the heap buffer: no intermediate copy.
              const { bytesRead } = await file.read(sink.view(off, n), 0, n, off);
              if (bytesRead === 0) throw new WasmChordError('io_error', `${path}: the file shrank while reading (${off} of ${size} bytes)`);
              off += bytesRead;
              onBytes(bytesRead);
            }
          } finally {
            await file.close();
          }
        },
      };
    },
  };
}

function pathReaders(path: string): PartReader[] {
  const names = splitPartNames(basename(path));
  return names ? names.map((n) => pathReader(join(dirname(path), n))) : [pathReader(path)];
}

function nodeReaders(source: ModelSource, fetchInit: RequestInit | undefined, cache: LoadOptions['cache']): PartReader[] {
  const list = (Array.isArray(source) ? source : [source]) as Array<string | URL | Blob | ArrayBuffer | ArrayBufferView>;
  const out: PartReader[] = [];
  list.forEach((s, i) => {
    if (s instanceof URL && s.protocol === 'file:') out.push(...pathReaders(fileURLToPath(s)));
    else if (typeof s === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) out.push(...pathReaders(s));
    else if (typeof s === 'string' && s.startsWith('file:')) out.push(...pathReaders(fileURLToPath(s)));
    else {
      const r = universalReaders(s, i, fetchInit, cache);
      if (!r) throw new WasmChordError('invalid_argument', `model source #${i} is not a path, URL, Blob, ArrayBuffer or typed array`);
      out.push(...r);
    }
  });
  return out;
}

/** Loads a GGUF model from a path, file:/http(s): URL, Blob or bytes. Runs in this thread. */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model> {
  const cfg = resolveConfig(options, capabilities());
  const readers = nodeReaders(source, options.fetchInit, options.cache);
  const engine = await Engine.load(readers, { ...cfg, cache: options.cache, signal: options.signal, onProgress: options.onProgress },
    nodeEnv(options.wasmBaseUrl));
  return new Model(new LocalBackend(engine));
}

