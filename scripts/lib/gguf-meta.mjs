// Minimal GGUF (v2/v3) metadata reader for scripts: key/value pairs and tensor infos, no tensor data.
// Used by equivalence.mjs to read a model's vocabulary (token texts and types).
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

const SCALAR = {
  0: ['getUint8', 1], 1: ['getInt8', 1], 2: ['getUint16', 2], 3: ['getInt16', 2],
  4: ['getUint32', 4], 5: ['getInt32', 4], 6: ['getFloat32', 4], 7: ['getUint8', 1],
  10: ['getBigUint64', 8], 11: ['getBigInt64', 8], 12: ['getFloat64', 8],
};

// Reads the header part of a GGUF file (grows the read window until the header fits).
export function readGgufMeta(path) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let want = Math.min(size, 8 << 20);
    for (;;) {
      const buf = Buffer.alloc(want);
      readSync(fd, buf, 0, want, 0);
      try {
        return parse(buf);
      } catch (e) {
        if (!(e instanceof RangeError) || want >= size) throw e;
        want = Math.min(size, want * 4);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function parse(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = dv.getBigUint64(p, true); p += 8; return Number(v); };
  const str = () => {
    const n = u64();
    if (p + n > buf.length) throw new RangeError('short');
    const s = buf.subarray(p, p + n);
    p += n;
    return s;  // raw bytes: token texts may be invalid UTF-8
  };
  if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
  p = 4;
  const version = u32();
  if (version < 2) throw new Error(`GGUF v${version} not supported`);
  const nTensors = u64();
  const nKv = u64();
  const value = (t) => {
    if (t === 8) return str().toString('utf8');
    if (t === 9) {
      const et = u32();
      const n = u64();
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = et === 8 ? str() : value(et);
      return out;
    }
    const s = SCALAR[t];
    if (!s) throw new Error(`bad value type ${t}`);
    const v = dv[s[0]](p, true);
    p += s[1];
    return t === 7 ? v !== 0 : typeof v === 'bigint' ? Number(v) : v;
  };
  const kv = new Map();
  for (let i = 0; i < nKv; i++) {
    const k = str().toString('utf8');
    kv.set(k, value(u32()));
  }
  const tensors = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str().toString('utf8');
    const nd = u32();
    const ne = [];
    for (let d = 0; d < nd; d++) ne.push(u64());
    const type = u32();
    const offset = u64();
    tensors.push({ name, ne, type, offset });
  }
  return { version, kv, tensors };
}
