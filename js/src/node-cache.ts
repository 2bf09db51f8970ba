// A model cache on disk for Node (the CLI keeps hf: downloads in one): one file per URL in a
// directory. A download streams into the heap as usual and is then written from there to a
// temporary file that is renamed into place when complete, so a file in the cache is always whole;
// a cached file is read straight into the heap (progress phase 'cache'). It also remembers what
// hf: names resolved to, so they load from it when the hub cannot be reached.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { StreamingModelCache } from './cache/streaming.js';
import type { HubMemo, HubResolution } from './hub.js';
import { WasmChordError } from './errors.js';
import { pathReader } from './node-env.js';
import { urlReader } from './sources.js';

const WRITE_BYTES = 16 << 20; // bytes per write from the heap

/** Where the CLI caches: $WASM_CHORD_CACHE, else $XDG_CACHE_HOME/wasm-chord, else ~/.cache/wasm-chord. */
export function defaultCacheDir(): string {
  if (process.env.WASM_CHORD_CACHE) return process.env.WASM_CHORD_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wasm-chord');
}

export interface FileCacheOptions {
  /** A write that failed (the model still loads, uncached). Default: ignored. */
  onError?: (e: Error) => void;
}

export interface FileCache extends StreamingModelCache, HubMemo {
  /** The file that holds (or would hold) `url`. */
  pathOf(url: string | URL): string;
}

/** A cache of downloaded model files in `dir` (created when first needed), for loadModel's `cache`. */
export function fileCache(dir: string, options: FileCacheOptions = {}): FileCache {
  const pathOf = (url: string | URL): string => {
    const href = String(url);
    const name = decodeURIComponent(new URL(href).pathname.split('/').pop() || 'model').replace(/[^A-Za-z0-9._-]/g, '_');
    return join(dir, `${createHash('sha256').update(href).digest('hex').slice(0, 16)}-${name}`);
  };
  const has = async (path: string) => (await stat(path).catch(() => undefined))?.isFile() === true;
  const fail = (what: string, e: unknown) =>
    options.onError?.(new WasmChordError('io_error', `model cache: ${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e }));

  /** Writes `write(file)` to a temporary file, then renames it to `path`; failures are reported. */
  async function store(path: string, write: (file: Awaited<ReturnType<typeof open>>) => Promise<void>): Promise<void> {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      await mkdir(dir, { recursive: true });
      const file = await open(tmp, 'w');
      try {
        await write(file);
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      fail(`cannot write ${path}`, e);
    }
  }

  const memoPath = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.hf.json`);

  return {
    pathOf,
    async rememberHub(key, r) {
      await store(memoPath(key), async (file) => {
        await file.writeFile(JSON.stringify({ key, ...r }));
      });
    },
    async recallHub(key) {
      let r: (HubResolution & { key?: string }) | undefined;
      try {
        r = JSON.parse(await readFile(memoPath(key), 'utf8')) as HubResolution & { key?: string };
      } catch {
        return undefined;
      }
      if (r?.key !== key || !Array.isArray(r.urls) || !r.urls.every((u) => typeof u === 'string')) return undefined;
      for (const u of r.urls) if (!(await has(pathOf(u)))) return undefined;
      return { urls: r.urls, file: String(r.file), revision: String(r.revision) };
    },
    // Only a worker's load asks for whole Blobs (in-process loads use openUrl): an in-memory copy,
    // as file-backed Blobs cannot be posted to a worker thread.
    async get(key) {
      const path = pathOf(key);
      return (await has(path)) ? new Blob([await readFile(path)]) : undefined;
    },
    async put(key, blob) {
      await store(pathOf(key), async (file) => {
        for await (const chunk of blob.stream() as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
      });
    },
    local: (url) => has(pathOf(url)),
    async openUrl(url, fetchInit, signal, first) {
      const path = pathOf(url);
      if (await has(path)) {
        first?.reader.cancel().catch(() => {});
        return pathReader(path, 'cache').open();
      }
      const part = await urlReader(url, fetchInit, false, first).open(signal);
      return {
        ...part,
        async pump(sink, onBytes, sig) {
          await part.pump(sink, onBytes, sig);
          // Every byte is in the heap now; nothing else allocates before this pump returns, so the
          // views stay valid across the writes.
          await store(path, async (file) => {
            for (let off = 0; off < part.size; off += WRITE_BYTES) {
              const view = sink.view(off, Math.min(WRITE_BYTES, part.size - off));
              const { bytesWritten } = await file.write(view);
              if (bytesWritten !== view.byteLength) throw new Error('short write');
            }
          });
        },
      };
    },
  };
}
