// Model cache records: read/list/delete manifests, start a partial entry, append verified chunks
// (each with the manifest update in one transaction) and mark an entry complete only after
// checking that every chunk is stored.
import { WasmChordError } from '../errors.js';
import {
  CHUNKS,
  ENTRIES,
  chunkRange,
  done,
  request,
  storageError,
  storedBytes,
  type ChunkInfo,
  type ChunkRecord,
  type EntryRecord,
} from './idb.js';

export async function getEntry(db: IDBDatabase, url: string): Promise<EntryRecord | undefined> {
  const tx = db.transaction(ENTRIES, 'readonly');
  return (await request(tx.objectStore(ENTRIES).get(url))) as EntryRecord | undefined;
}

export async function listEntries(db: IDBDatabase): Promise<EntryRecord[]> {
  const tx = db.transaction(ENTRIES, 'readonly');
  return (await request(tx.objectStore(ENTRIES).getAll())) as EntryRecord[];
}

/** Removes the manifest and every chunk of `url`. True if there was a manifest. */
export async function deleteEntry(db: IDBDatabase, url: string): Promise<boolean> {
  const tx = db.transaction([ENTRIES, CHUNKS], 'readwrite');
  const had = (await request(tx.objectStore(ENTRIES).count(url))) > 0;
  tx.objectStore(ENTRIES).delete(url);
  tx.objectStore(CHUNKS).delete(chunkRange(url));
  await done(tx);
  return had;
}

export async function clearAll(db: IDBDatabase): Promise<void> {
  const tx = db.transaction([ENTRIES, CHUNKS], 'readwrite');
  tx.objectStore(ENTRIES).clear();
  tx.objectStore(CHUNKS).clear();
  await done(tx);
}

/** Replaces whatever is stored for `entry.url` by a fresh partial entry with no chunks. */
export async function startEntry(db: IDBDatabase, entry: EntryRecord): Promise<void> {
  try {
    const tx = db.transaction([ENTRIES, CHUNKS], 'readwrite');
    tx.objectStore(CHUNKS).delete(chunkRange(entry.url));
    tx.objectStore(ENTRIES).put(entry);
    await done(tx);
  } catch (e) {
    throw storageError(`caching ${entry.url}`, e);
  }
}

/** Hands a partial entry to a new download session (resume). False if it changed meanwhile. */
export async function claimEntry(db: IDBDatabase, url: string, expectChunks: number, session: string): Promise<boolean> {
  const tx = db.transaction(ENTRIES, 'readwrite');
  const store = tx.objectStore(ENTRIES);
  const e = (await request(store.get(url))) as EntryRecord | undefined;
  if (!e || e.complete || e.chunks.length !== expectChunks) {
    tx.abort();
    return false;
  }
  store.put({ ...e, session });
  await done(tx);
  return true;
}

/** Stores chunk `index` and records it in the manifest, in one transaction. Returns false (and
 *  writes nothing) when the entry is gone or belongs to another session (deleted meanwhile).
 *  `data` is copied into a Blob before this returns, so the caller may reuse its buffer at once. */
export async function putChunk(
  db: IDBDatabase,
  url: string,
  session: string,
  index: number,
  data: Uint8Array<ArrayBuffer>,
  info: ChunkInfo,
): Promise<boolean> {
  let owned = false;
  let tx: IDBTransaction | undefined;
  try {
    // 'relaxed': no flush to disk per chunk; completeEntry's transaction is the durable step.
    tx = db.transaction([ENTRIES, CHUNKS], 'readwrite', { durability: 'relaxed' });
    const finished = done(tx);
    // Put first, check ownership after: an abort takes the put back.
    const rec: ChunkRecord = { url, index, data: new Blob([data]) };
    tx.objectStore(CHUNKS).put(rec);
    const entries = tx.objectStore(ENTRIES);
    const e = (await request(entries.get(url))) as EntryRecord | undefined;
    if (!e || e.session !== session || e.complete || e.chunks.length !== index) {
      tx.abort();
      await finished.catch(() => {});
      return false;
    }
    owned = true;
    entries.put({ ...e, chunks: [...e.chunks, info] });
    await finished;
    return true;
  } catch (e) {
    // The put may fail the transaction (quota) before the ownership check: still a storage error.
    if (!owned && !tx?.error) return false;
    throw storageError(`caching ${url} (chunk ${index})`, tx?.error ?? e);
  }
}

/** Marks the entry complete if its chunks add up to `size` and are all present. */
export async function completeEntry(db: IDBDatabase, url: string, session: string): Promise<boolean> {
  try {
    const tx = db.transaction([ENTRIES, CHUNKS], 'readwrite');
    const finished = done(tx);
    const entries = tx.objectStore(ENTRIES);
    const e = (await request(entries.get(url))) as EntryRecord | undefined;
    if (!e || e.session !== session || e.complete) {
      tx.abort();
      await finished.catch(() => {});
      return false;
    }
    const n = await request(tx.objectStore(CHUNKS).count(chunkRange(url)));
    const want = Math.ceil(e.size / e.chunkBytes);
    const sizesOk = e.chunks.every((c, i) => c.size === Math.min(e.chunkBytes, e.size - i * e.chunkBytes) && c.hash !== '');
    if (n !== want || e.chunks.length !== want || storedBytes(e) !== e.size || !sizesOk) {
      tx.abort();
      await finished.catch(() => {});
      throw new WasmChordError('io_error', `caching ${url}: ${n} of ${want} chunks stored (${storedBytes(e)} of ${e.size} bytes)`);
    }
    entries.put({ ...e, complete: true, cachedAt: Date.now(), session: null });
    await finished;
    return true;
  } catch (e) {
    throw storageError(`caching ${url}`, e);
  }
}

export async function getChunk(db: IDBDatabase, url: string, index: number): Promise<ChunkRecord | undefined> {
  const tx = db.transaction(CHUNKS, 'readonly');
  return (await request(tx.objectStore(CHUNKS).get([url, index]))) as ChunkRecord | undefined;
}
