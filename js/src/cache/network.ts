// HTTP side of the cached loader: a GET (optionally a Range request to resume), its validators,
// and a pump that streams the body into the heap sink at the right offset.
import { WasmChordError, abortErrorFrom, throwIfAborted } from '../errors.js';
import { checkedFetch } from '../fetch.js';
import { ChunkReader, type PartSink } from '../sources.js';
import type { ProgressEvent } from '../types.js';

export type OnBytes = (n: number, phase?: ProgressEvent['phase']) => void;

export interface Opened {
  res: Response;
  /** Offset of the body's first byte within the file (0 for a full response). */
  start: number;
  /** Size of the whole file. */
  size: number;
  etag: string | null;
  lastModified: string | null;
}

/** GETs `url` (from byte `from` when > 0). Returns undefined when the size is unknown (no length,
 *  or compressed in transit): the caller then loads without the cache. */
export async function openHttp(
  url: URL,
  fetchInit: RequestInit | undefined,
  from: number,
  signal: AbortSignal | undefined,
): Promise<Opened | undefined> {
  const name = url.href;
  const headers = new Headers(fetchInit?.headers);
  if (from > 0) headers.set('Range', `bytes=${from}-`);
  // The bytes are kept in IndexedDB: 'no-store' spares the disk a second copy in the HTTP cache.
  const res = await checkedFetch(url, { cache: 'no-store', ...fetchInit, headers }, signal);
  const encoding = res.headers.get('content-encoding');
  const len = res.headers.get('content-length');
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  if ((encoding && encoding !== 'identity') || len === null || !/^\d+$/.test(len)) {
    res.body.cancel().catch(() => {});
    return undefined;
  }
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== from || Number(m[2]) - Number(m[1]) + 1 !== Number(len)) {
      res.body.cancel().catch(() => {});
      throw new WasmChordError(
        'io_error',
        `fetch ${name}: unusable Content-Range ${res.headers.get('content-range') ?? '(none)'} for a request from byte ${from}`,
      );
    }
    return { res, start: from, size: Number(m[3]), etag, lastModified };
  }
  return { res, start: 0, size: Number(len), etag, lastModified };
}

/** Streams the body into the sink at [start, size); `onChunkEnd(end)` runs after each network
 *  chunk (the write-through cache may await it: backpressure). Bytes before `countFrom` are written
 *  but not reported as progress (a full response replacing bytes that came from the cache). */
export async function pumpHttp(
  name: string,
  o: Opened,
  sink: PartSink,
  onBytes: OnBytes,
  signal: AbortSignal | undefined,
  countFrom: number,
  onChunkEnd?: (end: number) => Promise<void> | void,
): Promise<void> {
  const reader = new ChunkReader(o.res.body!, true);
  let off = o.start;
  try {
    for (;;) {
      throwIfAborted(signal);
      const value = await reader.read();
      if (!value) break;
      const n = value.byteLength;
      if (off + n > o.size) throw new WasmChordError('io_error', `${name}: expected ${o.size} bytes but got more`);
      sink.view(off, n).set(value);
      const counted = Math.max(0, off + n - Math.max(off, countFrom));
      off += n;
      if (counted > 0) onBytes(counted, 'download');
      if (onChunkEnd) await onChunkEnd(off);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (signal?.aborted) throw abortErrorFrom(signal);
    if (e instanceof WasmChordError) throw e;
    throw new WasmChordError(
      'io_error',
      `${name}: the download stopped after ${off} of ${o.size} bytes ` + `(${(e as Error)?.message ?? String(e)})`,
      { cause: e },
    );
  }
  if (off !== o.size) throw new WasmChordError('io_error', `${name}: expected ${o.size} bytes but got ${off} (truncated)`);
}
