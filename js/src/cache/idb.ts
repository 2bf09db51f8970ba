// IndexedDB plumbing for the model cache: the database, its two object stores, promise wrappers
// for requests and transactions, and the mapping of storage failures to typed errors.
import { WasmChordError } from '../errors.js';

export const DB_NAME = 'wasm-chord-cache';
const DB_VERSION = 1;
/** Manifests keyed by URL: one record per cached (or partially cached) file. */
export const ENTRIES = 'entries';
/** Chunk records keyed by [url, index]. */
export const CHUNKS = 'chunks';

/** One chunk's size and checksum, as written while the bytes streamed in. */
export interface ChunkInfo {
  size: number;
  /** Hex digest of the chunk's bytes (algorithm: the entry's `digest`). */
  hash: string;
}

/** 'MUL-128' for entries written now; 'SHA-256' and 'CRC-32' are still read (older versions). */
export type DigestName = 'MUL-128' | 'SHA-256' | 'CRC-32';

/** The manifest of one URL. `complete` is set last, in a transaction that checks every chunk. */
export interface EntryRecord {
  url: string;
  /** Bytes of the whole file (the server's Content-Length). */
  size: number;
  etag: string | null;
  lastModified: string | null;
  /** Bytes per chunk record (the last one may be shorter). */
  chunkBytes: number;
  digest: DigestName;
  /** Stored chunks, contiguous from 0 (index i covers [i*chunkBytes, ...)). */
  chunks: ChunkInfo[];
  complete: boolean;
  /** Date.now() when the entry became complete; null while partial. */
  cachedAt: number | null;
  startedAt: number;
  /** The download writing this entry (a writer stops when the entry is no longer its own). */
  session: string | null;
}

export interface ChunkRecord {
  url: string;
  index: number;
  /** A Blob (written now: read back as a stream straight into the heap, no garbage buffer per
   *  chunk) or an ArrayBuffer (entries of older versions). */
  data: Blob | ArrayBuffer;
}

export function idbAvailable(): boolean {
  return typeof indexedDB !== 'undefined' && indexedDB !== null;
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (typeof DOMException !== 'undefined' && e instanceof DOMException && e.code === 22);
}

/** A storage failure as a WasmChordError: 'quota_exceeded' for quota, else 'io_error'. */
export function storageError(what: string, e: unknown): WasmChordError {
  if (e instanceof WasmChordError) return e;
  const msg = (e as Error | null)?.message ?? String(e);
  if (isQuotaError(e))
    return new WasmChordError('quota_exceeded', `${what}: the browser's storage quota is exhausted${msg ? ` (${msg})` : ''}`, { cause: e });
  return new WasmChordError('io_error', `${what}: ${msg}`, { cause: e });
}

export function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Settles when the transaction commits; rejects with its error (e.g. QuotaExceededError). */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    tx.onerror = (ev) => ev.preventDefault(); // let it reach onabort with tx.error set
  });
}

let dbPromise: Promise<IDBDatabase> | undefined;

/** The shared connection (opened once per realm: page, or worker). */
export function openDb(): Promise<IDBDatabase> {
  if (!idbAvailable()) return Promise.reject(new WasmChordError('unsupported', 'IndexedDB is not available here'));
  if (dbPromise) return dbPromise;
  const p = new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(ENTRIES)) db.createObjectStore(ENTRIES, { keyPath: 'url' });
      if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS, { keyPath: ['url', 'index'] });
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another realm upgrading (or deleting) the database: let it, reopen on next use.
      db.onversionchange = () => {
        db.close();
        dbPromise = undefined;
      };
      db.onclose = () => {
        dbPromise = undefined;
      };
      resolve(db);
    };
    req.onerror = () => reject(storageError('opening the model cache', req.error));
    req.onblocked = () => {}; // an old connection is closing; success follows
  });
  dbPromise = p;
  p.catch(() => {
    if (dbPromise === p) dbPromise = undefined;
  });
  return p;
}

/** Key range of every chunk of `url`. */
export function chunkRange(url: string): IDBKeyRange {
  return IDBKeyRange.bound([url, 0], [url, Number.MAX_SAFE_INTEGER]);
}

export function storedBytes(e: EntryRecord): number {
  return e.chunks.reduce((s, c) => s + c.size, 0);
}

// ---- checksums ----
// New entries use MUL-128: four 32-bit multiply-rotate lanes (the round of murmur-style hashes)
// over the chunk's little-endian words, computed synchronously on any view, shared heap views
// included, so a chunk is checked where it lies with no copy and no WebCrypto round trip (SHA-256
// cost a copy per chunk and ran at about the same speed). It detects damage, not tampering: the
// cache holds what the server sent, fetched over the page's own connection. Entries written by
// older versions keep their SHA-256 or CRC-32 and are still verified with them.

const P1 = 0x9e3779b1 | 0; // odd 32-bit constants with well-spread bits (golden ratio, murmur3 mix)
const P2 = 0x85ebca77 | 0;

/** MUL-128 of `bytes` as 32 hex digits. */
export function mul128(bytes: Uint8Array): string {
  const n = bytes.byteLength;
  const nWords = n >>> 2;
  // Word reads need 4-byte alignment; chunks start at multiples of cacheChunkBytes, so only an
  // odd view (never made here) takes the copy.
  const w =
    (bytes.byteOffset & 3) === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, nWords)
      : new Uint32Array(bytes.slice(0, nWords * 4).buffer);
  let a = P1,
    b = P2,
    c = 0xc2b2ae3d | 0,
    d = 0x27d4eb2f | 0;
  const body = nWords & ~3;
  let i = 0;
  for (; i < body; i += 4) {
    a = Math.imul(a + Math.imul(w[i]!, P2), P1);
    a = (a << 13) | (a >>> 19);
    b = Math.imul(b + Math.imul(w[i + 1]!, P2), P1);
    b = (b << 13) | (b >>> 19);
    c = Math.imul(c + Math.imul(w[i + 2]!, P2), P1);
    c = (c << 13) | (c >>> 19);
    d = Math.imul(d + Math.imul(w[i + 3]!, P2), P1);
    d = (d << 13) | (d >>> 19);
  }
  // Leftover words and bytes, then the length, go into lane a (byte k at bits 8k).
  for (; i < nWords; ++i) a = Math.imul(((a << 13) | (a >>> 19)) ^ Math.imul(w[i]!, P2), P1);
  for (let k = nWords * 4; k < n; ++k) a = Math.imul(((a << 13) | (a >>> 19)) ^ (bytes[k]! << (8 * (k & 3))), P1);
  const lanes = [a, b, c, d].map((x, k) => {
    let h = Math.imul(x ^ n ^ (k * P2), P1); // each lane mixed with the length and its position
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    return (h >>> 0).toString(16).padStart(8, '0');
  });
  return lanes.join('');
}

export function defaultDigest(): EntryRecord['digest'] {
  return 'MUL-128';
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; ++n) {
      let c = n;
      for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; ++i) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hex digest of a (non-shared) buffer, for any digest an entry may name. */
export async function digestOf(algo: EntryRecord['digest'], data: ArrayBuffer): Promise<string> {
  if (algo === 'MUL-128') return mul128(new Uint8Array(data));
  if (algo === 'SHA-256') return hex(await crypto.subtle.digest('SHA-256', data));
  return crc32(new Uint8Array(data)).toString(16).padStart(8, '0');
}
