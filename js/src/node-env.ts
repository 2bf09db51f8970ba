// Node environment: wasm files read from dist/wasm/ (CommonJS factories via createRequire),
// filesystem paths and file: URLs as sources (read straight into the heap), core count.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEnv } from './engine.js';
import { WasmChordError, throwIfAborted } from './errors.js';
import { fileSource } from './gguf/file-source.js';
import { capabilities as probe } from './probe.js';
import { splitPartNames, universalReaders, type PartReader } from './sources.js';
import type { Capabilities, ModelCache, ModelSource, ProgressEvent } from './types.js';
import { buildName, instantiate, type ModuleFactory } from './wasm.js';

function hardwareConcurrency(): number {
  try {
    return availableParallelism();
  } catch {
    return cpus().length || 1;
  }
}

/** capabilities() with Node's core count. */
export function nodeCapabilities(): Capabilities {
  return probe(hardwareConcurrency());
}

function wasmDir(base: string | URL | undefined): string {
  if (base === undefined) return fileURLToPath(new URL('./wasm/', import.meta.url));
  const s = String(base);
  return s.startsWith('file:') ? fileURLToPath(s) : s;
}

const compiled = new Map<string, Promise<{ factory: ModuleFactory; module: WebAssembly.Module }>>();

export function nodeEnv(base: string | URL | undefined): EngineEnv {
  const dir = wasmDir(base);
  return {
    async instantiate(flavor, simd, poolSize, memory64 = false) {
      const name = buildName(flavor, simd, memory64);
      const key = `${name} ${dir}`;
      let c = compiled.get(key);
      if (!c) {
        c = (async () => {
          let bytes: Buffer;
          try {
            bytes = await readFile(join(dir, `${name}.wasm`));
          } catch (e) {
            throw new WasmChordError('io_error', `cannot read the wasm build in ${dir}: ${(e as Error).message}`, { cause: e });
          }
          // The Emscripten factory is CommonJS (dist/wasm/package.json says so).
          const factory = createRequire(import.meta.url)(join(dir, `${name}.js`)) as ModuleFactory;
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

/** hf: defaults from the environment: the variables huggingface_hub and llama.cpp read. */
export function nodeHubDefaults(): { token?: string; endpoint?: string } {
  return { token: process.env.HF_TOKEN || undefined, endpoint: process.env.HF_ENDPOINT || undefined };
}

const CHUNK = 16 << 20;

/** Opens a file for reading with its size; a missing file is not_found, other failures io_error. */
export async function openFile(path: string): Promise<{ file: FileHandle; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new WasmChordError(code === 'ENOENT' ? 'not_found' : 'io_error', `cannot open '${path}': ${why}`, { cause: e });
  }
  try {
    return { file, size: (await file.stat()).size };
  } catch (e) {
    await file.close();
    throw new WasmChordError('io_error', `cannot stat '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/** A file read straight into the heap; `phase` 'cache' for a file of the disk cache. */
export function pathReader(path: string, phase: ProgressEvent['phase'] = 'load'): PartReader {
  return {
    name: path,
    header: () => fileSource(path),
    async open() {
      const { file, size } = await openFile(path);
      return {
        size,
        phase,
        async pump(sink, onBytes, signal) {
          try {
            for (let off = 0; off < size;) {
              throwIfAborted(signal);
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

function pathReaders(path: string, whole: boolean): PartReader[] {
  const names = whole ? splitPartNames(basename(path)) : undefined;
  return names ? names.map((n) => pathReader(join(dirname(path), n))) : [pathReader(path)];
}

/** Paths (no scheme) and file: URLs read from disk; everything else as in the browser. */
export function nodeReaders(source: ModelSource, fetchInit: RequestInit | undefined, cache: ModelCache | false | undefined): PartReader[] {
  const whole = !Array.isArray(source); // an array lists every part itself
  const list = (Array.isArray(source) ? source : [source]) as Array<string | URL | Blob | ArrayBuffer | ArrayBufferView>;
  const out: PartReader[] = [];
  list.forEach((s, i) => {
    if (s instanceof URL && s.protocol === 'file:') out.push(...pathReaders(fileURLToPath(s), whole));
    else if (typeof s === 'string' && s.startsWith('file:')) out.push(...pathReaders(fileURLToPath(s), whole));
    else if (typeof s === 'string' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) out.push(...pathReaders(s, whole));
    else {
      const r = universalReaders(s, i, fetchInit, cache, whole);
      if (!r) throw new WasmChordError('invalid_argument', `model source #${i} is not a path, URL, Blob, ArrayBuffer or typed array`);
      out.push(...r);
    }
  });
  return out;
}
