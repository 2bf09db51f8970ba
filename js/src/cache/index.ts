// The browser model cache (IndexedDB): the public `cache` object (list/has/delete/clear/usage)
// and resolveCache(), which turns LoadOptions.cache ('auto' | 'none' | 'only' | a ModelCache |
// false) into what the URL readers consult.
import { WasmChordError } from '../errors.js';
import type { CachePolicy, ModelCache } from '../types.js';
import { idbAvailable, openDb, storageError, storedBytes } from './idb.js';
import { openCachedUrl } from './reader.js';
import { clearAll, deleteEntry, getEntry, listEntries } from './store.js';
import type { StreamingModelCache } from './streaming.js';

/** Default bytes per IndexedDB chunk record. */
export const DEFAULT_CACHE_CHUNK_BYTES = 8 << 20;
const MIN_CHUNK = 64 << 10;
const MAX_CHUNK = 256 << 20;

export interface CacheEntry {
  url: string;
  /** Bytes of the whole file. */
  size: number;
  /** Bytes stored so far (equals size when complete). */
  storedBytes: number;
  /** When the entry became complete (ms since the epoch); null while partial. */
  cachedAt: number | null;
  /** Only complete entries are used to load a model; a partial one is resumed on the next load. */
  complete: boolean;
  etag: string | null;
  lastModified: string | null;
}

export interface CacheUsage {
  /** navigator.storage.estimate() for this origin (undefined where unavailable). */
  usage: number | undefined;
  quota: number | undefined;
  /** Bytes of model chunks this cache holds (complete and partial entries). */
  cachedBytes: number;
  entries: number;
}

function absolute(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(String(url), base).href;
  } catch {
    throw new WasmChordError('invalid_argument', `not a URL: ${String(url)}`);
  }
}

async function db(what: string): Promise<IDBDatabase> {
  if (!idbAvailable()) throw new WasmChordError('unsupported', `${what}: IndexedDB is not available in this environment`);
  return openDb();
}

async function wrap<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw storageError(what, e);
  }
}

/** The model cache of this origin (shared by every page and Worker of the origin). */
export const cache = {
  /** Every entry, complete or partial, oldest first. */
  list(): Promise<CacheEntry[]> {
    return wrap('listing the model cache', async () => {
      const all = await listEntries(await db('cache.list'));
      return all
        .map((e) => ({
          url: e.url,
          size: e.size,
          storedBytes: storedBytes(e),
          cachedAt: e.cachedAt,
          complete: e.complete,
          etag: e.etag,
          lastModified: e.lastModified,
        }))
        .sort((a, b) => (a.cachedAt ?? Infinity) - (b.cachedAt ?? Infinity) || a.url.localeCompare(b.url));
    });
  },
  /** True if `url` is cached completely (loadModel will read it without the network). */
  has(url: string | URL): Promise<boolean> {
    const key = absolute(url);
    return wrap('reading the model cache', async () => (await getEntry(await db('cache.has'), key))?.complete === true);
  },
  /** Removes `url` (complete or partial). True if there was an entry. */
  delete(url: string | URL): Promise<boolean> {
    const key = absolute(url);
    return wrap('deleting from the model cache', async () => deleteEntry(await db('cache.delete'), key));
  },
  /** Removes every entry. */
  clear(): Promise<void> {
    return wrap('clearing the model cache', async () => clearAll(await db('cache.clear')));
  },
  /** Storage used by the origin (and its quota) and by this cache. */
  usage(): Promise<CacheUsage> {
    return wrap('measuring the model cache', async () => {
      const all = await listEntries(await db('cache.usage'));
      const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
      const est = storage && typeof storage.estimate === 'function' ? await storage.estimate().catch(() => undefined) : undefined;
      return {
        usage: est?.usage,
        quota: est?.quota,
        cachedBytes: all.reduce((s, e) => s + storedBytes(e), 0),
        entries: all.length,
      };
    });
  },
};

export interface ResolveCacheExtra {
  chunkBytes?: number;
  onError?: (e: Error) => void;
}

/** Validates the cache options (before a Worker starts). */
export function checkCacheOptions(policy: unknown, chunkBytes: unknown): void {
  if (
    policy !== undefined &&
    policy !== false &&
    policy !== 'auto' &&
    policy !== 'none' &&
    policy !== 'only' &&
    !(typeof policy === 'object' && policy !== null && typeof (policy as ModelCache).get === 'function')
  )
    throw new WasmChordError('invalid_argument', "cache must be 'auto', 'none', 'only', false or a ModelCache");
  if (
    chunkBytes !== undefined &&
    (typeof chunkBytes !== 'number' || !Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK || chunkBytes > MAX_CHUNK)
  )
    throw new WasmChordError('invalid_argument', `cacheChunkBytes must be an integer from ${MIN_CHUNK} to ${MAX_CHUNK}`);
}

/** What the URL readers consult: a ModelCache, the IndexedDB cache for 'auto'/'only', or false. */
export function resolveCache(
  option: ModelCache | CachePolicy | false | undefined,
  dflt: CachePolicy,
  extra: ResolveCacheExtra = {},
): ModelCache | false {
  checkCacheOptions(option, extra.chunkBytes);
  const o = option === undefined ? dflt : option;
  if (o === false || o === 'none') return false;
  if (typeof o === 'object') return o;
  if (!idbAvailable()) {
    if (o === 'auto') return false;
    const offline: StreamingModelCache = {
      get: async () => undefined,
      openUrl: async (url, _init, _signal, first) => {
        first?.reader.cancel().catch(() => {});
        throw new WasmChordError('unsupported', `${url.href}: cache 'only' needs IndexedDB, which this environment lacks`);
      },
      local: async () => true,
    };
    return offline;
  }
  const opts = { policy: o, chunkBytes: extra.chunkBytes ?? DEFAULT_CACHE_CHUNK_BYTES, onError: extra.onError };
  const idb: StreamingModelCache = {
    get: async () => undefined, // whole-file reads are not offered: openUrl streams chunk by chunk
    openUrl: (url, fetchInit, signal, first) => {
      first?.reader.cancel().catch(() => {}); // resumes and validators need requests of its own
      return openCachedUrl(url, fetchInit, opts, signal);
    },
    local: async (url) => o === 'only' || (await cache.has(url)),
  };
  return idb;
}
