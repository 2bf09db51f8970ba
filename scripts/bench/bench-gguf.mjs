// GGUF header reader for the benchmark's decode ceiling: tensor byte sizes (from consecutive data
// offsets, so no per-type block table is needed) and the few hyperparameters that size the KV cache.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
  }
  need(n) {
    if (this.pos + n > this.buf.length) throw new RangeError('short header');
  }
  u32() { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  u64() { this.need(8); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return Number(v); }
  str() {
    const n = this.u64();
    this.need(n);
    const s = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  value(type) {
    const fixed = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
    switch (type) {
      case 4: return this.u32();
      case 5: { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
      case 6: { this.need(4); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
      case 10: return this.u64();
      case 8: return this.str();
      case 9: {
        const et = this.u32();
        const n = this.u64();
        if (et === 8) { for (let i = 0; i < n; i++) this.str(); }
        else if (fixed[et] !== undefined) { this.need(n * fixed[et]); this.pos += n * fixed[et]; }
        else throw new Error(`GGUF array of type ${et}`);
        return { array: true, length: n };
      }
      default:
        if (fixed[type] === undefined) throw new Error(`GGUF value type ${type}`);
        this.need(fixed[type]);
        this.pos += fixed[type];
        return null;
    }
  }
}

function parse(buf, fileSize) {
  const r = new Reader(buf);
  if (r.u32() !== 0x46554747) throw new Error('not a GGUF file');
  const version = r.u32();
  const nTensors = r.u64();
  const nKv = r.u64();
  const kv = {};
  for (let i = 0; i < nKv; i++) {
    const key = r.str();
    kv[key] = r.value(r.u32());
  }
  const tensors = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str();
    const nd = r.u32();
    const dims = [];
    for (let d = 0; d < nd; d++) dims.push(r.u64());
    const type = r.u32();
    const offset = r.u64();
    tensors.push({ name, dims, type, offset });
  }
  const align = kv['general.alignment'] ?? 32;
  const dataStart = Math.ceil(r.pos / align) * align;
  const byOffset = [...tensors].sort((a, b) => a.offset - b.offset);
  byOffset.forEach((t, i) => {
    const end = i + 1 < byOffset.length ? byOffset[i + 1].offset : fileSize - dataStart;
    t.bytes = end - t.offset;
  });
  return { version, kv, tensors, dataStart };
}

/** { kv, tensors: [{name, dims, type, offset, bytes}], fileSize } of a GGUF file. */
export function readGguf(path) {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    for (let len = 8 << 20; ; len *= 2) {
      const n = Math.min(len, fileSize);
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, 0);
      try {
        return { ...parse(buf, fileSize), fileSize };
      } catch (e) {
        if (!(e instanceof RangeError) || n === fileSize) throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes a decode step reads: every weight matrix once (the embedding table contributes one row
 *  unless it doubles as the output matrix), plus the f16 KV cache up to position `pos`. */
export function decodeBytesPerToken(g, pos) {
  const arch = g.kv['general.architecture'];
  const k = (s) => g.kv[`${arch}.${s}`];
  const nLayer = k('block_count');
  const nEmbd = k('embedding_length');
  const nHead = k('attention.head_count');
  const nKv = k('attention.head_count_kv') ?? nHead;
  const headDim = k('attention.key_length') ?? nEmbd / nHead;
  const tied = !g.tensors.some((t) => t.name === 'output.weight');
  let weights = 0;
  for (const t of g.tensors) {
    if (t.name === 'token_embd.weight' && !tied) weights += t.bytes / t.dims[1];  // one row
    else weights += t.bytes;
  }
  const kvBytesPerPos = nLayer * 2 * nKv * headDim * 2;
  return { weights, kv: kvBytesPerPos * pos, total: weights + kvBytesPerPos * pos, kvBytesPerPos, nLayer, tied };
}
