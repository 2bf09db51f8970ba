// The package's GGUF header reader (v1-v3), used by `wasm-chord inspect` and the repo's scripts:
// metadata and the tensor table, read from the first bytes of a file or URL only (no tensor data).
// Every count and length is checked against what can remain before it is used. No Node imports
// (file-source.ts adds local files).
import { WasmChordError } from '../errors.js';
import { checkedFetch } from '../fetch.js';
import { GGML_TYPES, ggmlBytes, ggmlTypeName } from './ggml-types.js';

const VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'str', 'arr', 'u64', 'i64', 'f64'] as const;
/** A 64-bit value as a number where it is exact, else a bigint. */
const exact = (b: bigint): number | bigint =>
  b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;

/** GGUF scalar value type -> [bytes, little-endian reader]. */
const SCALARS: Record<number, readonly [number, (dv: DataView, at: number) => HeaderScalar]> = {
  0: [1, (dv, at) => dv.getUint8(at)],
  1: [1, (dv, at) => dv.getInt8(at)],
  2: [2, (dv, at) => dv.getUint16(at, true)],
  3: [2, (dv, at) => dv.getInt16(at, true)],
  4: [4, (dv, at) => dv.getUint32(at, true)],
  5: [4, (dv, at) => dv.getInt32(at, true)],
  6: [4, (dv, at) => dv.getFloat32(at, true)],
  7: [1, (dv, at) => dv.getUint8(at) !== 0],
  10: [8, (dv, at) => exact(dv.getBigUint64(at, true))],
  11: [8, (dv, at) => exact(dv.getBigInt64(at, true))],
  12: [8, (dv, at) => dv.getFloat64(at, true)],
};
const MAX_DIMS = 4; // GGML_MAX_DIMS

/** A metadata value; Uint8Array only for string-array elements read with rawStringArrays. */
export type HeaderScalar = number | string | boolean | bigint | Uint8Array;

export interface HeaderReadOptions {
  /** Array elements kept per key (default 16; Infinity keeps whole arrays, e.g. the vocabulary). */
  maxArray?: number;
  /** Keep string-array elements as their raw bytes (token texts may not be valid UTF-8). */
  rawStringArrays?: boolean;
  /** Bytes asked for first (default 64 KiB); more are asked for, doubling, until the header fits. */
  firstBytes?: number;
}

export interface HeaderValue {
  /** 'u32', 'str', … or 'arr[str]' for arrays. */
  type: string;
  /** The value; for arrays the first `shown` elements. */
  value: HeaderScalar | HeaderScalar[];
  /** Arrays: the element count. */
  length?: number;
}

export interface TensorEntry {
  name: string;
  /** ggml type name, or 'type<N>' for an id ggml does not define. */
  type: string;
  typeId: number;
  /** ne[0] (the contiguous dimension) first, as llama.cpp prints shapes. */
  shape: number[];
  elements: number;
  /** Bytes of the tensor's data; null when the type is unknown and its size cannot be derived. */
  bytes: number | null;
  /** Offset from the start of the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  alignment: number;
  /** File offset where tensor data starts. */
  dataOffset: number;
  /** Whole file size when known (a URL without Content-Length has none). */
  fileBytes: number | undefined;
  metadata: Record<string, HeaderValue>;
  tensors: TensorEntry[];
  /** Problems that do not stop the listing (e.g. tensor data past the end of the file). */
  warnings: string[];
}

class NeedMore {
  constructor(readonly bytes: number) {}
}

function bad(msg: string): WasmChordError {
  return new WasmChordError('bad_gguf', msg);
}

/** Parses from a prefix of the file; throws NeedMore when the prefix is too short. */
type Parsed = Omit<GgufHeader, 'fileBytes' | 'warnings'> & { rowWarnings: string[] };

function parse(buf: Uint8Array, complete: boolean, { maxArray = 16, rawStringArrays = false }: HeaderReadOptions): Parsed {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n <= buf.byteLength) return;
    if (complete) throw bad(`the header runs past the end of the file (needs byte ${pos + n}, the file has ${buf.byteLength})`);
    throw new NeedMore(pos + n);
  };
  const u32 = (): number => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): bigint => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    return v;
  };
  const magic = u32();
  if (magic !== 0x46554747) {
    const legacy: Record<number, string> = { 0x67676d6c: 'GGML', 0x67676d66: 'GGMF', 0x67676a74: 'GGJT' };
    if (legacy[magic])
      throw bad(`this is a legacy ${legacy[magic]} file, not GGUF (convert it with llama.cpp's convert_llama_ggml_to_gguf.py)`);
    const head = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw bad(`not a GGUF file (first bytes ${head}, expected 47 47 55 46 "GGUF")`);
  }
  const version = u32();
  if (version === 0 || version > 3) {
    if (version > 0xffff) throw bad('big-endian GGUF files are not supported');
    throw bad(`unsupported GGUF version ${version} (1-3 are known)`);
  }
  const count = (what: string, limit: number): number => {
    const v = version === 1 ? BigInt(u32()) : u64();
    if (v > BigInt(limit)) throw bad(`${what} ${v} is implausible (limit ${limit})`);
    return Number(v);
  };
  const rawStr = (what: string): Uint8Array => {
    const n = count(`${what} length`, 1 << 30);
    need(n);
    const s = buf.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  const str = (what: string): string => new TextDecoder().decode(rawStr(what));
  // A string array element not kept (a vocabulary has 10^5): checked and skipped without making a
  // view, a label or a bigint, so a big header parses without garbage.
  const skipStr = (key: string, j: number): void => {
    const width = version === 1 ? 4 : 8;
    need(width);
    const n = dv.getUint32(pos, true);
    if (width === 8 && dv.getUint32(pos + 4, true) !== 0) throw bad(`'${key}'[${j}] length is implausible`);
    pos += width;
    if (n > 1 << 30) throw bad(`'${key}'[${j}] length ${n} is implausible (limit ${1 << 30})`);
    need(n);
    pos += n;
  };
  const scalar = (t: number): HeaderScalar => {
    const [size, read] = SCALARS[t]!;
    need(size);
    const v = read(dv, pos);
    pos += size;
    return v;
  };
  const typeName = (t: number, key: string): string => {
    const name = VALUE_TYPES[t];
    if (name === undefined) throw bad(`metadata '${key}' has unknown value type ${t}`);
    return name;
  };

  const nTensors = count('tensor count', 1 << 24);
  const nKv = count('metadata count', 1 << 20);
  const metadata: Record<string, HeaderValue> = {};
  let alignment = 32;
  for (let i = 0; i < nKv; ++i) {
    const key = str(`metadata #${i} key`);
    const t = u32();
    const tn = typeName(t, key);
    if (t === 8) {
      metadata[key] = { type: 'str', value: str(`'${key}'`) };
    } else if (t === 9) {
      const et = u32();
      const en = typeName(et, key);
      if (et === 9) throw bad(`metadata '${key}': nested arrays are not supported`);
      const n = count(`'${key}' array length`, 1 << 30);
      // Each element takes at least one byte: a length beyond the bytes left is a lie.
      if (complete && n > buf.byteLength - pos) throw bad(`metadata '${key}': ${n} elements cannot fit in the file`);
      const shown: HeaderScalar[] = [];
      if (et === 8) {
        const keep = Math.min(n, maxArray);
        for (let j = 0; j < keep; ++j) {
          const s = rawStr(`'${key}'[${j}]`);
          shown.push(rawStringArrays ? s.slice() : new TextDecoder().decode(s));
        }
        for (let j = keep; j < n; ++j) skipStr(key, j);
      } else {
        const size = SCALARS[et]![0];
        need(n * size);
        const keep = Math.min(n, maxArray);
        for (let j = 0; j < keep; ++j) shown.push(scalar(et));
        pos += (n - keep) * size;
      }
      metadata[key] = { type: `arr[${en}]`, value: shown, length: n };
    } else {
      const v = scalar(t);
      metadata[key] = { type: tn, value: v };
      if (key === 'general.alignment') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || (v & (v - 1)) !== 0 || v > 1 << 20)
          throw bad(`general.alignment must be a power of two, got ${String(v)}`);
        alignment = v;
      }
    }
  }
  const tensors: TensorEntry[] = [];
  const rowWarnings: string[] = [];
  for (let i = 0; i < nTensors; ++i) {
    const name = str(`tensor #${i} name`);
    const nDims = u32();
    if (nDims < 1 || nDims > MAX_DIMS) throw bad(`tensor '${name}' has ${nDims} dimensions (1-${MAX_DIMS} allowed)`);
    const shape: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; ++d) {
      const ne = count(`tensor '${name}' dimension`, Number.MAX_SAFE_INTEGER);
      shape.push(ne);
      elements *= ne;
    }
    if (!Number.isSafeInteger(elements)) throw bad(`tensor '${name}' has too many elements`);
    const typeId = u32();
    const off = u64();
    if (off > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`tensor '${name}' has an implausible offset ${off}`);
    const info = GGML_TYPES[typeId];
    if (info && shape[0]! % info.blockSize !== 0)
      rowWarnings.push(
        `tensor '${name}': row length ${shape[0]} is not a multiple of the ${info.name} block size ${info.blockSize} (llama.cpp rejects this)`,
      );
    // Some old files quantized a whole tensor flat (blocks across rows): size it the same way.
    const bytes = ggmlBytes(typeId, elements);
    tensors.push({ name, type: ggmlTypeName(typeId), typeId, shape, elements, bytes, offset: Number(off) });
  }
  const dataOffset = Math.ceil(pos / alignment) * alignment;
  return { version, alignment, dataOffset, metadata, tensors, rowWarnings };
}

/** Something that can hand out a growing prefix of a file. */
export interface PrefixSource {
  /** At least `n` bytes from the start, or the whole file if it is shorter (then `complete`). */
  prefix(n: number): Promise<{ bytes: Uint8Array; complete: boolean }>;
  size: number | undefined;
  close(): Promise<void>;
  /** A server that ignored Range sends the whole file: the bytes read so far and the body's reader,
   *  for the caller to read on instead of requesting the file again (close() then leaves it open). */
  rest?(): WholeBody;
  /** Set by a PartReader's source: the load goes on, so close() keeps what open() can reuse. */
  keep?(): void;
  /** Bytes come as a stream (a server without Range): asking for more than needed waits for them. */
  streamed?: boolean;
}

/** A whole-file response partly read: `head` (its first bytes) then the rest from `reader` (BYOB
 *  when the body is a byte stream, so a multi-GB download can go on reading into one buffer). */
export interface WholeBody {
  head: Uint8Array;
  reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;
  headers: Headers;
}

const RANGE_FIRST = 4 << 20; // bytes asked for first: the whole header of most models

/** A URL's first bytes: HTTP Range requests (RANGE_FIRST bytes, then more as the parser asks), or,
 *  from a server that ignores Range, the body streamed only until the header is complete. */
export async function urlSource(url: string | URL, signal?: AbortSignal, init?: RequestInit): Promise<PrefixSource> {
  const get = (from: number, to: number) => {
    const headers = new Headers(init?.headers);
    headers.set('Range', `bytes=${from}-${to}`);
    return checkedFetch(url, { ...init, headers }, signal);
  };
  const res = await get(0, RANGE_FIRST - 1);
  if (res.status !== 206) return streamSource(res);
  let size: number | undefined;
  let bytes = new Uint8Array(0);
  let complete = false;
  const append = async (r: Response, from: number): Promise<void> => {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(r.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== from) {
      r.body?.cancel().catch(() => {});
      throw new WasmChordError(
        'io_error',
        `fetch ${String(url)}: unusable Content-Range ${r.headers.get('content-range') ?? '(none)'} for bytes from ${from}`,
      );
    }
    if (m[3] !== '*') size = Number(m[3]);
    const got = new Uint8Array(await r.arrayBuffer());
    const next = new Uint8Array(bytes.byteLength + got.byteLength);
    next.set(bytes);
    next.set(got, bytes.byteLength);
    complete = got.byteLength === 0 || (size !== undefined && next.byteLength >= size);
    bytes = next;
  };
  await append(res, 0);
  return {
    get size() {
      return size;
    },
    async prefix(n) {
      while (bytes.byteLength < n && !complete) {
        const from = bytes.byteLength;
        await append(await get(from, Math.max(n, 2 * from) - 1), from);
      }
      return { bytes, complete };
    },
    async close() {},
  };
}

/** A response's body read only as far as the parser asks (any server works, Range or not). */
function streamSource(res: Awaited<ReturnType<typeof checkedFetch>>): PrefixSource {
  const len = Number(res.headers.get('content-length'));
  const size = res.headers.get('content-encoding') || !Number.isFinite(len) || len <= 0 ? undefined : len;
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = res.body.getReader({ mode: 'byob' });
  } catch {
    byob = undefined; // not a byte stream
  }
  const reader = byob ?? res.body.getReader();
  const read = async (): Promise<Uint8Array | undefined> => {
    const r = byob ? await byob.read(new Uint8Array(1 << 20)) : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
    return r.done ? undefined : r.value;
  };
  let bytes = new Uint8Array(0);
  let ended = false;
  let taken = false;
  return {
    size,
    streamed: true,
    async prefix(n) {
      const chunks: Uint8Array[] = [bytes];
      let have = bytes.byteLength;
      while (have < n && !ended) {
        const c = await read();
        if (!c) ended = true;
        else {
          chunks.push(c);
          have += c.byteLength;
        }
      }
      if (chunks.length > 1) {
        bytes = new Uint8Array(have);
        let o = 0;
        for (const c of chunks) {
          bytes.set(c, o);
          o += c.byteLength;
        }
      }
      return { bytes, complete: ended };
    },
    async close() {
      if (!ended && !taken) await reader.cancel().catch(() => {});
    },
    rest() {
      taken = true;
      return { head: bytes, reader, headers: res.headers };
    },
  };
}

/** A Blob's (or File's) first bytes, read as slices. */
export function blobSource(blob: Blob): PrefixSource {
  return {
    size: blob.size,
    async prefix(n) {
      const bytes = new Uint8Array(await blob.slice(0, n).arrayBuffer());
      return { bytes, complete: bytes.byteLength >= blob.size };
    },
    async close() {},
  };
}

/** Bytes already in memory. */
export function bytesSource(all: Uint8Array): PrefixSource {
  return {
    size: all.byteLength,
    async prefix(n) {
      return { bytes: all.subarray(0, Math.min(n, all.byteLength)), complete: n >= all.byteLength };
    },
    async close() {},
  };
}

/** The bytes of the header (metadata and tensor infos) and the file's size, or the size undefined
 *  when the source cannot say. Parses as readGgufHeader does (bad files fail as bad_gguf). */
export async function headerBytes(src: PrefixSource): Promise<{ bytes: Uint8Array; size: number | undefined }> {
  let last: Uint8Array = new Uint8Array(0);
  const keep: PrefixSource = {
    get size() {
      return src.size;
    },
    async prefix(n) {
      const r = await src.prefix(n);
      last = r.bytes;
      return r;
    },
    close: () => src.close(),
  };
  // A stream is parsed as its bytes come (from a slow server, waiting for 4 MiB would delay the
  // check); random-access sources are read in one piece where the header is under 4 MiB.
  const h = await readGgufHeader(keep, { maxArray: 0, firstBytes: src.streamed ? undefined : RANGE_FIRST });
  return { bytes: last.subarray(0, Math.min(h.dataOffset, last.byteLength)), size: h.fileBytes };
}

/** Reads the header through `src`, fetching more bytes only as the parser needs them. */
export async function readGgufHeader(src: PrefixSource, options: HeaderReadOptions = {}): Promise<GgufHeader> {
  let want = options.firstBytes ?? 1 << 16;
  for (;;) {
    const { bytes, complete } = await src.prefix(want);
    try {
      const { rowWarnings, ...h } = parse(bytes, complete, options);
      const fileBytes = src.size ?? (complete ? bytes.byteLength : undefined);
      return { ...h, fileBytes, warnings: [...rowWarnings, ...checkData(h, fileBytes)] };
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      want = Math.max(e.bytes, want * 2);
    }
  }
}

/** Fills unknown-type sizes from offset gaps and checks tensor data against the file size. */
function checkData(h: Omit<GgufHeader, 'fileBytes' | 'warnings'>, fileBytes: number | undefined): string[] {
  const warnings: string[] = [];
  const dataBytes = fileBytes === undefined ? undefined : fileBytes - h.dataOffset;
  const sorted = [...h.tensors].sort((a, b) => a.offset - b.offset);
  sorted.forEach((t, i) => {
    const next = i + 1 < sorted.length ? sorted[i + 1]!.offset : dataBytes;
    if (t.bytes === null && next !== undefined) t.bytes = next - t.offset;
    if (t.offset % h.alignment !== 0) warnings.push(`tensor '${t.name}' offset ${t.offset} is not ${h.alignment}-byte aligned`);
    if (t.bytes !== null && next !== undefined && t.offset + t.bytes > next)
      warnings.push(
        next === dataBytes
          ? `tensor '${t.name}' data (${t.offset}+${t.bytes}) runs past the end of the file`
          : `tensor '${t.name}' data overlaps the next tensor`,
      );
  });
  if (h.tensors.some((t) => GGML_TYPES[t.typeId] === undefined))
    warnings.push('some tensors have a type ggml does not define; their sizes come from offset gaps');
  return warnings;
}
