// The package's GGUF header reader (js/src/gguf/) against files written by an independent encoder
// in this test, and the ggml type table against the block layouts of llama.cpp's ggml-common.h.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GGML_TYPES, ggmlBytes, ggmlTypeName } from '../../js/dist/gguf/ggml-types.js';
import { readGgufHeader } from '../../js/dist/gguf/header.js';

// ---- an independent GGUF v3 encoder: values are [type, value] ----
const T = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9, u64: 10, i64: 11, f64: 12 };
function encode({ kvs, tensors, alignment = 32, version = 3, dataBytes = 0 }) {
  const out = [];
  const u8 = (n) => out.push(n & 0xff);
  const le = (n, bytes) => {
    let v = BigInt(n);
    for (let i = 0; i < bytes; ++i) {
      u8(Number(v & 0xffn));
      v >>= 8n;
    }
  };
  const f = (n, bytes) => {
    const b = new Uint8Array(bytes);
    const dv = new DataView(b.buffer);
    bytes === 4 ? dv.setFloat32(0, n, true) : dv.setFloat64(0, n, true);
    out.push(...b);
  };
  const str = (s) => {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    le(b.length, 8);
    out.push(...b);
  };
  const scalar = (t, v) => {
    if (t === T.str) return str(v);
    if (t === T.f32) return f(v, 4);
    if (t === T.f64) return f(v, 8);
    if (t === T.bool) return u8(v ? 1 : 0);
    const size = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 10: 8, 11: 8 }[t];
    le(BigInt.asUintN(size * 8, BigInt(v)), size);
  };
  le(0x46554747, 4);
  le(version, 4);
  le(tensors.length, 8);
  le(kvs.length, 8);
  for (const [key, t, v, et] of kvs) {
    str(key);
    le(t, 4);
    if (t === T.arr) {
      le(et, 4);
      le(v.length, 8);
      for (const x of v) scalar(et, x);
    } else scalar(t, v);
  }
  for (const tn of tensors) {
    str(tn.name);
    le(tn.shape.length, 4);
    for (const n of tn.shape) le(n, 8);
    le(tn.type, 4);
    le(tn.offset, 8);
  }
  const dataOffset = Math.ceil(out.length / alignment) * alignment;
  const bytes = new Uint8Array(dataOffset + dataBytes);
  bytes.set(out);
  return { bytes, dataOffset };
}

/** A PrefixSource over bytes that records how much the reader asked for. */
function source(bytes, asked = []) {
  return {
    size: bytes.byteLength,
    async prefix(n) {
      asked.push(n);
      const b = bytes.subarray(0, Math.min(n, bytes.byteLength));
      return { bytes: b, complete: b.byteLength === bytes.byteLength };
    },
    async close() {},
  };
}

test('ggml type table: block sizes and bytes as ggml-common.h lays the blocks out', () => {
  const half = 2;
  const expect = {
    q4_0: [32, half + 16],
    q4_1: [32, 2 * half + 16],
    q5_0: [32, half + 4 + 16],
    q5_1: [32, 2 * half + 4 + 16],
    q8_0: [32, half + 32],
    q8_1: [32, 2 * half + 32],
    q2_K: [256, 256 / 16 + 256 / 4 + 2 * half],
    q3_K: [256, 256 / 8 + 256 / 4 + 12 + half],
    q4_K: [256, 2 * half + 12 + 256 / 2],
    q5_K: [256, 2 * half + 12 + 256 / 8 + 256 / 2],
    q6_K: [256, 256 / 2 + 256 / 4 + 256 / 16 + half],
    q8_K: [256, 4 + 256 + (2 * 256) / 16],
    f32: [1, 4],
    f16: [1, 2],
    bf16: [1, 2],
    f64: [1, 8],
    i8: [1, 1],
    i16: [1, 2],
    i32: [1, 4],
    i64: [1, 8],
  };
  const byName = Object.fromEntries(Object.values(GGML_TYPES).map((t) => [t.name, t]));
  for (const [name, [block, size]] of Object.entries(expect)) {
    assert.deepEqual([byName[name]?.blockSize, byName[name]?.typeSize], [block, size], name);
  }
  assert.equal(ggmlTypeName(12), 'q4_K');
  assert.equal(ggmlTypeName(4), 'type4', 'the removed q4_2 is not defined');
  assert.equal(ggmlBytes(8, 64), 68);
  assert.equal(ggmlBytes(8, 33), null, 'not a whole number of blocks');
  assert.equal(ggmlBytes(99, 32), null);
});

test('metadata of every value type, tensors with sizes from the type table, alignment', async () => {
  const badUtf8 = Uint8Array.of(0x61, 0xff, 0x62);
  const { bytes, dataOffset } = encode({
    alignment: 64,
    kvs: [
      ['general.architecture', T.str, 'llama'],
      ['general.alignment', T.u32, 64],
      ['a.u8', T.u8, 200],
      ['a.i8', T.i8, -5],
      ['a.u16', T.u16, 65535],
      ['a.i16', T.i16, -300],
      ['a.i32', T.i32, -70000],
      ['a.f32', T.f32, 0.5],
      ['a.bool', T.bool, true],
      ['a.f64', T.f64, 1e300],
      ['a.u64.small', T.u64, 12345],
      ['a.u64.big', T.u64, 2n ** 60n + 1n],
      ['a.i64', T.i64, -(2n ** 62n)],
      ['tokenizer.ggml.tokens', T.arr, ['<s>', badUtf8, 'x', 'y'], T.str],
      ['a.floats', T.arr, [1, 2, 3, 4, 5], T.f32],
    ],
    tensors: [
      { name: 'tok_embd.weight', shape: [64, 10], type: 8, offset: 0 }, // q8_0: 20 blocks of 34 bytes
      { name: 'norm.weight', shape: [64], type: 0, offset: 704 }, // f32
      { name: 'odd.weight', shape: [256, 2], type: 12, offset: 1024 }, // q4_K
    ],
    dataBytes: 1024 + 288,
  });
  const h = await readGgufHeader(source(bytes), { maxArray: 3 });
  assert.equal(h.version, 3);
  assert.equal(h.alignment, 64);
  assert.equal(h.dataOffset, dataOffset);
  assert.equal(h.fileBytes, bytes.byteLength);
  const v = (k) => h.metadata[k].value;
  assert.deepEqual(
    [v('a.u8'), v('a.i8'), v('a.u16'), v('a.i16'), v('a.i32'), v('a.f32'), v('a.bool'), v('a.f64')],
    [200, -5, 65535, -300, -70000, 0.5, true, 1e300],
  );
  assert.equal(v('a.u64.small'), 12345, '64-bit values that fit are numbers');
  assert.equal(v('a.u64.big'), 2n ** 60n + 1n, 'beyond 2^53: bigint');
  assert.equal(v('a.i64'), -(2n ** 62n));
  assert.deepEqual(h.metadata['tokenizer.ggml.tokens'], { type: 'arr[str]', value: ['<s>', 'a\ufffdb', 'x'], length: 4 });
  assert.deepEqual(h.metadata['a.floats'], { type: 'arr[f32]', value: [1, 2, 3], length: 5 });
  assert.deepEqual(
    h.tensors.map((t) => [t.name, t.type, t.shape, t.elements, t.bytes, t.offset]),
    [
      ['tok_embd.weight', 'q8_0', [64, 10], 640, 680, 0],
      ['norm.weight', 'f32', [64], 64, 256, 704],
      ['odd.weight', 'q4_K', [256, 2], 512, 288, 1024],
    ],
  );
  assert.deepEqual(h.warnings, []);

  const raw = await readGgufHeader(source(bytes), { maxArray: Infinity, rawStringArrays: true });
  assert.deepEqual(raw.metadata['tokenizer.ggml.tokens'].value[1], badUtf8, 'raw bytes kept');
  assert.equal(raw.metadata['a.floats'].value.length, 5);
});

test('a long header is read by growing the prefix; only what the parser needs', async () => {
  const vocab = Array.from({ length: 20000 }, (_, i) => `token-${i}`);
  const { bytes, dataOffset } = encode({ kvs: [['tokenizer.ggml.tokens', T.arr, vocab, T.str]], tensors: [], dataBytes: 1 << 20 });
  const asked = [];
  const h = await readGgufHeader(source(bytes, asked));
  assert.equal(h.metadata['tokenizer.ggml.tokens'].length, 20000);
  assert.ok(asked.length > 1, 'the first 64 KiB were not enough');
  assert.ok(asked.at(-1) < dataOffset * 2 + (1 << 16), `read ${asked.at(-1)} bytes for a ${dataOffset}-byte header`);
});

test('hostile and foreign files fail with bad_gguf naming the problem', async () => {
  const fails = async (bytes, re) => {
    const e = await readGgufHeader(source(bytes)).then(
      () => null,
      (x) => x,
    );
    assert.equal(e?.code, 'bad_gguf', String(e));
    assert.match(e.message, re);
  };
  await fails(new TextEncoder().encode('lmgg' + '\0'.repeat(60)), /legacy GGML/);
  await fails(new TextEncoder().encode('PK\x03\x04' + '\0'.repeat(60)), /not a GGUF file/);
  await fails(encode({ version: 4, kvs: [], tensors: [] }).bytes, /unsupported GGUF version 4/);
  const big = encode({ kvs: [], tensors: [] }).bytes;
  new DataView(big.buffer).setBigUint64(8, 2n ** 40n, true); // tensor count
  await fails(big, /tensor count .* implausible/);
  const lying = encode({ kvs: [['k', T.arr, [1, 2], T.u32]], tensors: [] }).bytes;
  new DataView(lying.buffer).setBigUint64(24 + 8 + 1 + 4 + 4, 2n ** 29n, true); // the array's length
  await fails(lying, /cannot fit|past the end/);
  await fails(encode({ kvs: [], tensors: [{ name: 't', shape: [1, 1, 1, 1, 1], type: 0, offset: 0 }] }).bytes, /5 dimensions/);
  await fails(encode({ kvs: [['general.alignment', T.u32, 48]], tensors: [] }).bytes, /power of two/);
});

test('layout problems are warnings: overlaps, data past the end, unknown types sized from gaps', async () => {
  const { bytes } = encode({
    kvs: [],
    tensors: [
      { name: 'a', shape: [32], type: 0, offset: 0 }, // 128 bytes, overlaps b
      { name: 'b', shape: [8], type: 0, offset: 96 },
      { name: 'c', shape: [16], type: 77, offset: 160 }, // unknown type: 40 bytes up to the end
      { name: 'd', shape: [33], type: 8, offset: 200 }, // q8_0 row not a whole block
    ],
    dataBytes: 200,
  });
  const h = await readGgufHeader(source(bytes));
  const w = h.warnings.join('\n');
  assert.match(w, /tensor 'a' data overlaps the next tensor/);
  assert.match(w, /'d': row length 33 is not a multiple of the q8_0 block size 32/);
  assert.match(w, /type ggml does not define/);
  assert.equal(h.tensors[2].type, 'type77');
  assert.equal(h.tensors[2].bytes, 40);
});
