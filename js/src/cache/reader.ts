// The cached URL loader: serves a complete entry chunk by chunk from IndexedDB straight into the
// heap (no network), resumes a partial one with an HTTP Range request when the server's validators
// still match, and otherwise downloads while writing checksummed chunks through to IndexedDB.
import { WasmChordError, throwIfAborted } from '../errors.js';
import { ChunkReader, urlReader, type OpenedPart, type PartSink } from '../sources.js';
import { defaultDigest, digestOf, mul128, openDb, storageError, storedBytes, type EntryRecord } from './idb.js';
import { openHttp, pumpHttp, type OnBytes, type Opened } from './network.js';
import { claimEntry, completeEntry, deleteEntry, getChunk, getEntry, putChunk, startEntry } from './store.js';

export interface CachedLoadOptions {
  policy: 'auto' | 'only';
  chunkBytes: number;
  /** A cache failure that did not stop the load (e.g. quota_exceeded: loaded, but not cached). */
  onError?: (e: Error) => void;
}

/** Holds the per-URL Web Lock while a download writes its entry (one writer per URL). */
async function tryLock(url: string): Promise<(() => void) | undefined> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) return () => {};
  return new Promise((resolve) => {
    locks
      .request(`wasm-chord-cache ${url}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(undefined);
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(() => resolve(undefined));
  });
}

/** GGUF, or a legacy GGML/GGJT file (magic read as a little-endian u32: 'lmgg', 'fmgg', 'tjgg'). */
function looksLikeModel(head: Uint8Array): boolean {
  const magic = String.fromCharCode(...head);
  return magic === 'GGUF' || magic === 'lmgg' || magic === 'fmgg' || magic === 'tjgg';
}

function sameValidators(e: EntryRecord, o: Opened): boolean {
  if (e.etag !== null) return o.etag === e.etag;
  if (e.lastModified !== null) return o.lastModified === e.lastModified;
  return false;
}

function randomSession(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Stores finished chunks in order as the heap fills: each is checksummed where it lies in the heap,
 *  copied into one reused staging buffer (a Blob refuses shared memory) and put as a Blob made from
 *  it at once. IndexedDB runs transactions on the same stores in the order they were made; at most
 *  two wait at a time (backpressure on the download), so the cache costs a few chunks of memory
 *  beside the heap. Blob records read back as streams straight into the heap: stored ArrayBuffers
 *  came back as one garbage buffer per chunk (TinyLlama Q4_K_M cached reload +785 vs +656 MB). */
class ChunkWriter {
  private next: number;
  private inFlight: Promise<void>[] = [];
  private stopped = false;
  private staging: Uint8Array<ArrayBuffer> | undefined;
  constructor(
    private readonly db: IDBDatabase,
    private readonly entry: EntryRecord,
    private readonly session: string,
    private readonly sink: PartSink,
    private readonly onError: ((e: Error) => void) | undefined,
  ) {
    this.next = entry.chunks.length;
  }

  private fail(e: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    // Leave nothing half-written behind a failure of the cache itself (quota, I/O).
    deleteEntry(this.db, this.entry.url).catch(() => {});
    this.onError?.(storageError(`caching ${this.entry.url}`, e));
  }

  /** Called with the number of bytes now in the heap; stores every chunk that is complete. */
  async advance(end: number): Promise<void> {
    const { chunkBytes, size, url } = this.entry;
    while (!this.stopped && this.next * chunkBytes < size && Math.min(size, (this.next + 1) * chunkBytes) <= end) {
      const index = this.next++;
      const off = index * chunkBytes;
      const len = Math.min(chunkBytes, size - off);
      const view = this.sink.view(off, len);
      if (index === 0 && !looksLikeModel(view.subarray(0, Math.min(4, len)))) {
        // Not a model file (an error page, a typo'd URL): keep it out of the cache.
        this.stopped = true;
        await deleteEntry(this.db, url).catch(() => {});
        return;
      }
      const hash = this.entry.digest === 'MUL-128' ? mul128(view) : await digestOf(this.entry.digest, view.slice().buffer);
      this.staging ??= new Uint8Array(new ArrayBuffer(chunkBytes));
      const data = this.staging.subarray(0, len);
      data.set(view);
      const p = putChunk(this.db, url, this.session, index, data, { size: len, hash }).then(
        (ok) => {
          if (!ok) this.stopped = true; // deleted or taken over meanwhile: stop quietly
        },
        (e: unknown) => this.fail(e),
      );
      this.inFlight.push(p);
      if (this.inFlight.length > 2) await this.inFlight.shift();
    }
  }

  /** After a failed download: true if stored chunks and validators allow a Range resume. */
  async resumable(): Promise<boolean> {
    await Promise.all(this.inFlight);
    const e = this.entry;
    return !this.stopped && this.next > 0 && (e.etag !== null || e.lastModified !== null);
  }

  /** After the last byte: waits for the writes, then marks the entry complete. */
  async finish(): Promise<void> {
    await this.advance(this.entry.size);
    await Promise.all(this.inFlight);
    if (this.stopped) return;
    try {
      await completeEntry(this.db, this.entry.url, this.session);
    } catch (e) {
      this.fail(e);
    }
  }
}

/** Streams a Blob into the sink from `off`; returns the bytes written (stops at the Blob's end). */
async function readInto(blob: Blob, sink: PartSink, off: number): Promise<number> {
  const reader = new ChunkReader(blob.stream(), true);
  let n = 0;
  for (;;) {
    const chunk = await reader.read();
    if (!chunk) return n;
    if (n + chunk.byteLength > blob.size) {
      reader.cancel().catch(() => {});
      return -1;
    }
    sink.view(off + n, chunk.byteLength).set(chunk);
    n += chunk.byteLength;
  }
}

/** Reads chunks [0, count) of a stored entry into the sink, checking size and checksum. Returns the
 *  number of bytes read; stops early (returning the offset) at a missing or corrupt chunk. Throws
 *  AbortError if the signal fires. */
async function readChunks(
  db: IDBDatabase,
  e: EntryRecord,
  count: number,
  sink: PartSink,
  onBytes: OnBytes,
  signal?: AbortSignal,
): Promise<number> {
  let off = 0;
  const get = (i: number) => {
    const p = getChunk(db, e.url, i);
    p.catch(() => {}); // a read-ahead nobody awaits (abort, damage) must not be an unhandled rejection
    return p;
  };
  let pending = count > 0 ? get(0) : undefined;
  for (let i = 0; i < count; ++i) {
    const rec = await pending!.catch(() => undefined);
    throwIfAborted(signal);
    pending = i + 1 < count ? get(i + 1) : undefined; // read ahead while this one is checked
    const info = e.chunks[i]!;
    const data = rec?.data;
    const size = data instanceof Blob ? data.size : data instanceof ArrayBuffer ? data.byteLength : -1;
    if (size !== info.size) return off;
    // Into the heap first (a Blob streams there through one reused buffer), then checked in place.
    if (data instanceof Blob) {
      const got = await readInto(data, sink, off).catch((err: unknown) => {
        if (signal?.aborted) throw err;
        return -1; // an unreadable chunk counts as damaged
      });
      if (got !== size) return off;
    } else sink.view(off, size).set(new Uint8Array(data as ArrayBuffer));
    const view = sink.view(off, size);
    const hash = e.digest === 'MUL-128' ? mul128(view) : await digestOf(e.digest, view.slice().buffer);
    if (hash !== info.hash) return off;
    off += info.size;
    onBytes(info.size, 'cache');
  }
  return off;
}

function plainDownload(url: URL, fetchInit: RequestInit | undefined, signal?: AbortSignal): Promise<OpenedPart> {
  return urlReader(url, fetchInit, false).open(signal);
}

/** Opens `url` through the cache (see the file comment). */
export async function openCachedUrl(
  url: URL,
  fetchInit: RequestInit | undefined,
  o: CachedLoadOptions,
  signal?: AbortSignal,
): Promise<OpenedPart> {
  const key = url.href;
  let db: IDBDatabase;
  let entry: EntryRecord | undefined;
  try {
    db = await openDb();
    entry = await getEntry(db, key);
  } catch (e) {
    const err = storageError('reading the model cache', e);
    if (o.policy === 'only') throw err;
    o.onError?.(err);
    return plainDownload(url, fetchInit, signal);
  }

  if (entry?.complete) {
    const e = entry;
    return {
      size: e.size,
      phase: 'cache',
      async pump(sink, onBytes: OnBytes, sig) {
        const got = await readChunks(db, e, e.chunks.length, sink, onBytes, sig);
        if (got === e.size) return;
        // A chunk is missing or corrupt: drop the entry; fetch the rest unless offline-only.
        await deleteEntry(db, key).catch(() => {});
        if (o.policy === 'only')
          throw new WasmChordError('io_error', `${key}: the cached copy is damaged (at byte ${got}) and was deleted`);
        const h = await openHttp(url, fetchInit, got, sig);
        if (!h || h.size !== e.size)
          throw new WasmChordError('io_error', `${key}: the cached copy is damaged and the server's file differs; load again`);
        await pumpHttp(key, h, sink, onBytes, sig, got);
      },
    };
  }
  if (o.policy === 'only') throw new WasmChordError('not_found', `${key} is not in the model cache (cache: 'only')`);

  const release = await tryLock(key);
  if (!release) return plainDownload(url, fetchInit, signal); // another load is writing this entry
  let released = false;
  const unlock = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  try {
    const session = randomSession();
    // Resume: ask for the bytes after the stored chunks; use them only if the file is unchanged.
    const have = entry ? storedBytes(entry) : 0;
    let h: Opened | undefined;
    let resume = false;
    if (entry && have > 0 && have < entry.size && (entry.etag !== null || entry.lastModified !== null)) {
      h = await openHttp(url, fetchInit, have, signal);
      resume =
        !!h &&
        h.start === have &&
        h.size === entry.size &&
        sameValidators(entry, h) &&
        (await claimEntry(db, key, entry.chunks.length, session).catch(() => false));
      if (h && !resume && h.start !== 0) {
        h.res.body?.cancel().catch(() => {});
        h = undefined;
      }
    }
    if (!h) h = await openHttp(url, fetchInit, 0, signal);
    if (!h) {
      unlock();
      return plainDownload(url, fetchInit, signal); // size unknown: cannot cache as it streams
    }
    const opened = h;
    let target: EntryRecord | undefined;
    if (resume) target = { ...entry!, session };
    else if (opened.size > 0) {
      target = {
        url: key,
        size: opened.size,
        etag: opened.etag,
        lastModified: opened.lastModified,
        chunkBytes: o.chunkBytes,
        digest: defaultDigest(),
        chunks: [],
        complete: false,
        cachedAt: null,
        startedAt: Date.now(),
        session,
      };
      try {
        const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
        const est = storage && typeof storage.estimate === 'function' ? await storage.estimate() : undefined;
        if (est && est.quota !== undefined && est.usage !== undefined && opened.size > est.quota - est.usage)
          throw new WasmChordError(
            'quota_exceeded',
            `caching ${key}: ${opened.size} bytes do not fit the ${Math.max(0, est.quota - est.usage)} bytes of storage quota left`,
          );
        await startEntry(db, target);
      } catch (e) {
        o.onError?.(storageError(`caching ${key}`, e));
        target = undefined;
      }
    } else if (entry) await deleteEntry(db, key).catch(() => {});
    return {
      size: opened.size,
      phase: resume ? 'cache' : 'download',
      async pump(sink, onBytes: OnBytes, sig) {
        try {
          let from = 0;
          if (resume && target) {
            from = await readChunks(db, target, target.chunks.length, sink, onBytes, sig);
            if (from !== opened.start) {
              // A stored chunk went bad: start over with a full download, not cached.
              opened.res.body?.cancel().catch(() => {});
              await deleteEntry(db, key).catch(() => {});
              const full = await openHttp(url, fetchInit, 0, sig);
              if (!full || full.size !== opened.size)
                throw new WasmChordError('io_error', `${key}: the partial cache was damaged and the file changed; load again`);
              await pumpHttp(key, full, sink, onBytes, sig, from);
              return;
            }
          }
          const writer = target ? new ChunkWriter(db, target, session, sink, o.onError) : undefined;
          try {
            await pumpHttp(key, opened, sink, onBytes, sig, 0, writer ? (end) => writer.advance(end) : undefined);
          } catch (e) {
            // Keep a partial entry only if a later load can resume it (chunks stored, validators known).
            if (writer && !(await writer.resumable())) await deleteEntry(db, key).catch(() => {});
            throw e;
          }
          await writer?.finish();
        } finally {
          unlock();
        }
      },
    };
  } catch (e) {
    unlock();
    throw e;
  }
}
