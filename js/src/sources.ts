// Model byte sources: each GGUF part is opened (size known up front when possible), then pumped
// chunk by chunk straight into its own buffer on the wasm heap: no second full copy in JS.
import { AbortError, WasmChordError, abortErrorFrom, throwIfAborted } from './errors.js';
import { checkedFetch } from './fetch.js';
import type { ModelCache, ProgressEvent } from './types.js';
import { isStreamingCache } from './cache/streaming.js';
import { blobSource, bytesSource, urlSource, type PrefixSource, type WholeBody } from './gguf/header.js';

/** Where a part's bytes go: a fresh view of [offset, offset + length) of its heap buffer. */
export interface PartSink {
  view(offset: number, length: number): Uint8Array;
}

export interface OpenedPart {
  size: number;
  phase: ProgressEvent['phase'];
  /** Writes all `size` bytes into the sink; onBytes(n) after each chunk (with the phase when a part
   *  mixes phases, e.g. a resumed download: 'cache' then 'download'). */
  pump(sink: PartSink, onBytes: (n: number, phase?: ProgressEvent['phase']) => void, signal?: AbortSignal): Promise<void>;
  /** Where a completed download may be cached (URL parts fetched from the network). */
  cacheKey?: string;
}

export interface PartReader {
  name: string;
  open(signal?: AbortSignal): Promise<OpenedPart>;
  /** The part's first bytes without reading the rest (a Range request, a Blob slice), so the model
   *  can be sized before a download; undefined where that is not worth it (bytes from a cache). */
  header?(signal?: AbortSignal): Promise<PrefixSource | undefined>;
}

const CHUNK = 16 << 20; // bytes per copy from in-memory sources

/** name-00001-of-00003.gguf -> the names of all parts; anything else -> undefined. */
export function splitPartNames(name: string): string[] | undefined {
  const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/.exec(name);
  if (!m || Number(m[2]) !== 1) return undefined;
  const n = Number(m[3]);
  if (n < 1) return undefined;
  const out: string[] = [];
  for (let i = 1; i <= n; ++i) out.push(`${m[1]}-${String(i).padStart(5, '0')}-of-${m[3]}.gguf`);
  return out;
}

/** URL of part 1 of a split model -> URLs of all parts (query string kept); else [url]. */
export function splitUrls(url: URL): URL[] {
  const names = splitPartNames(url.pathname);
  if (!names) return [url];
  return names.map((p) => {
    const u = new URL(url.href);
    u.pathname = p;
    return u;
  });
}

function sizeError(name: string, got: number, want: number): WasmChordError {
  return new WasmChordError('io_error', `${name}: expected ${want} bytes but got ${got}` + (got < want ? ' (truncated)' : ''));
}

const READ_BYTES = 1 << 20; // BYOB read buffer

/** Reads a stream chunk by chunk. With tryByob and a byte stream (Blob streams and fetch bodies in
 *  current browsers and Node) every read lands in the same buffer, handed back and forth, so a
 *  multi-GB load leaves no garbage chunks behind: V8 frees those late. Measured in Chromium on a
 *  637 MB file: a download read chunk by chunk peaked at the file + ~220 MB (+~650 MB when each
 *  chunk was detached after use, which frees nothing sooner), read BYOB at the file + ~20 MB, and
 *  faster; a Blob load went from +827 to +636 MB. Other streams are read as they come. A chunk is
 *  valid until the next read(). */
export class ChunkReader {
  private readonly byob: ReadableStreamBYOBReader | undefined;
  private readonly plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private buf = new Uint8Array(0);

  /** `head`: bytes already read from the stream (by a reader passed in), returned first. */
  constructor(
    source: ReadableStream<Uint8Array> | ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>,
    tryByob: boolean,
    private head?: Uint8Array,
  ) {
    let byob: ReadableStreamBYOBReader | undefined;
    let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
    if (source instanceof ReadableStream) {
      try {
        if (tryByob) byob = source.getReader({ mode: 'byob' });
      } catch {
        byob = undefined; // not a byte stream
      }
      plain = byob ? undefined : source.getReader();
    } else if (typeof ReadableStreamBYOBReader !== 'undefined' && source instanceof ReadableStreamBYOBReader) byob = source;
    else plain = source as ReadableStreamDefaultReader<Uint8Array>;
    this.byob = byob;
    this.plain = plain;
    if (byob) this.buf = new Uint8Array(new ArrayBuffer(READ_BYTES));
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.head) {
      const h = this.head;
      this.head = undefined;
      if (h.byteLength > 0) return h;
    }
    if (this.plain) {
      const { done, value } = await this.plain.read();
      return done ? undefined : value;
    }
    const { done, value } = await this.byob!.read(this.buf);
    if (done || !value) return undefined;
    this.buf = new Uint8Array(value.buffer); // the same memory, transferred back to us
    return value;
  }

  cancel(): Promise<void> {
    return (this.byob ?? this.plain)!.cancel();
  }
}

/** Copies chunks from a stream into the sink, checking the declared size. */
async function pumpStream(
  name: string,
  reader: ChunkReader,
  size: number,
  sink: PartSink,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  let off = 0;
  try {
    for (;;) {
      throwIfAborted(signal);
      const value = await reader.read();
      if (!value) break;
      if (off + value.byteLength > size) throw sizeError(name, off + value.byteLength, size);
      const n = value.byteLength;
      sink.view(off, n).set(value);
      off += n;
      onBytes(n);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    if (signal?.aborted) throw abortErrorFrom(signal);
    if (e instanceof WasmChordError) throw e;
    throw new WasmChordError('io_error', `${name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  if (off !== size) throw sizeError(name, off, size);
}

export function bytesReader(name: string, bytes: Uint8Array): PartReader {
  return {
    name,
    header: async () => bytesSource(bytes),
    async open() {
      return {
        size: bytes.byteLength,
        phase: 'load',
        async pump(sink, onBytes, signal) {
          for (let off = 0; off < bytes.byteLength; off += CHUNK) {
            throwIfAborted(signal);
            const n = Math.min(CHUNK, bytes.byteLength - off);
            sink.view(off, n).set(bytes.subarray(off, off + n));
            onBytes(n);
          }
        },
      };
    },
  };
}

export function blobReader(name: string, blob: Blob, phase: ProgressEvent['phase'] = 'load'): PartReader {
  return {
    name,
    header: async () => blobSource(blob),
    async open() {
      return {
        size: blob.size,
        phase,
        pump: (sink, onBytes, signal) => pumpStream(name, new ChunkReader(blob.stream(), true), blob.size, sink, onBytes, signal),
      };
    },
  };
}

/** A URL part: fetch with streamed progress; served from `cache` when it has the URL. */
export function urlReader(
  url: URL,
  fetchInit: RequestInit | undefined,
  cache: ModelCache | false | undefined,
  first?: WholeBody,
): PartReader {
  const name = url.href;
  // The whole file's response already in hand, partly read: `first`, or the header request's when
  // the server ignored Range and sent everything.
  let whole: WholeBody | undefined = first;
  return {
    name,
    async header(signal) {
      // Cached bytes are local: no network request just to size them (a plain ModelCache cannot
      // say without reading the whole Blob).
      if (isStreamingCache(cache) ? !cache.local || (await cache.local(url).catch(() => true)) : cache) return undefined;
      const src = await urlSource(url, signal, fetchInit);
      let keep = false;
      return {
        get size() {
          return src.size;
        },
        prefix: (n) => src.prefix(n),
        streamed: src.streamed,
        keep: () => void (keep = true),
        async close() {
          // A server without Range support sent the whole file: read on from that response.
          if (keep && src.rest && (!cache || isStreamingCache(cache))) whole = src.rest();
          else await src.close();
        },
      };
    },
    async open(signal) {
      if (isStreamingCache(cache)) {
        const res = whole;
        whole = undefined;
        return cache.openUrl(url, fetchInit, signal, res);
      }
      if (cache) {
        const hit = await cache.get(name).catch(() => undefined);
        if (hit) return blobReader(name, hit, 'cache').open(signal);
      }
      let headers: Headers;
      let reader: ChunkReader;
      if (whole) {
        ({ headers } = whole);
        reader = new ChunkReader(whole.reader, true, whole.head);
        whole = undefined;
      } else {
        const res = await checkedFetch(url, fetchInit, signal);
        headers = res.headers;
        reader = new ChunkReader(res.body, true);
      }
      const encoding = headers.get('content-encoding');
      const lengthHeader = headers.get('content-length');
      const declared = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
      const cacheKey = cache && cache.put ? name : undefined;
      if (declared !== undefined && (!encoding || encoding === 'identity')) {
        return {
          size: declared,
          phase: 'download',
          cacheKey,
          pump: (sink, onBytes, sig) => pumpStream(name, reader, declared, sink, onBytes, sig),
        };
      }
      // Size unknown (no Content-Length, or compressed in transit): the bytes must be held in JS
      // until the end (one extra transient copy; serve models uncompressed with a length to avoid it).
      const chunks: Uint8Array[] = [];
      let total = 0;
      try {
        for (;;) {
          throwIfAborted(signal);
          const value = await reader.read();
          if (!value) break;
          chunks.push(value.slice()); // a BYOB chunk is valid until the next read
          total += value.byteLength;
        }
      } catch (e) {
        reader.cancel().catch(() => {});
        if (signal?.aborted || e instanceof AbortError) throw abortErrorFrom(signal);
        throw new WasmChordError('io_error', `fetch ${name}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      }
      return {
        size: total,
        phase: 'download',
        cacheKey,
        async pump(sink, onBytes) {
          let off = 0;
          for (const c of chunks) {
            sink.view(off, c.byteLength).set(c);
            off += c.byteLength;
            onBytes(c.byteLength);
          }
          chunks.length = 0;
        },
      };
    },
  };
}

/** Readers for sources any environment understands (URL strings need a base in workers). `whole`:
 *  the source is the whole model (not one item of an array of parts), so a URL naming part 1 of a
 *  split model stands for all its parts. */
export function universalReaders(
  source: string | URL | Blob | ArrayBuffer | ArrayBufferView,
  index: number,
  fetchInit: RequestInit | undefined,
  cache: ModelCache | false | undefined,
  whole = true,
): PartReader[] | undefined {
  const parts = (u: URL) => (whole ? splitUrls(u) : [u]);
  if (source instanceof URL) return parts(source).map((u) => urlReader(u, fetchInit, cache));
  if (typeof source === 'string') {
    let url: URL;
    try {
      url = new URL(source, typeof location !== 'undefined' ? location.href : undefined);
    } catch {
      return undefined;
    }
    return parts(url).map((u) => urlReader(u, fetchInit, cache));
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const name = typeof File !== 'undefined' && source instanceof File ? source.name : `blob #${index}`;
    return [blobReader(name, source)];
  }
  if (source instanceof ArrayBuffer) return [bytesReader(`buffer #${index}`, new Uint8Array(source))];
  if (ArrayBuffer.isView(source))
    return [bytesReader(`buffer #${index}`, new Uint8Array(source.buffer, source.byteOffset, source.byteLength))];
  return undefined;
}
