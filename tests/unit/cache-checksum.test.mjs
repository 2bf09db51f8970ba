// The model cache's chunk checksum (js/src/cache/idb.ts, MUL-128): the same value for the same bytes
// however they are held (plain, shared, unaligned), a different one for any flipped bit, any
// length change or swapped words; digestOf agrees with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf, mul128 } from '../../js/dist/cache/idb.js';

function bytes(n, seed = 1) {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

test('MUL-128: 32 hex digits, deterministic, the same over shared and unaligned views', () => {
  for (const n of [0, 1, 3, 4, 15, 16, 17, 63, 64, 65, 1000, 65536 + 7]) {
    const b = bytes(n, n + 1);
    const h = mul128(b);
    assert.match(h, /^[0-9a-f]{32}$/);
    assert.equal(mul128(b.slice()), h);
    const shared = new Uint8Array(new SharedArrayBuffer(n + 8), 4, n);
    shared.set(b);
    assert.equal(mul128(shared), h, `shared view, ${n} bytes`);
    const odd = new Uint8Array(new ArrayBuffer(n + 3), 3, n);
    odd.set(b);
    assert.equal(mul128(odd), h, `unaligned view, ${n} bytes`);
  }
});

test('MUL-128: every single-bit flip, length change and word swap changes it', () => {
  const b = bytes(203);
  const h = mul128(b);
  const seen = new Set([h]);
  for (let i = 0; i < b.length; ++i) {
    for (const bit of [0, 3, 7]) {
      const c = b.slice();
      c[i] ^= 1 << bit;
      const hc = mul128(c);
      assert.notEqual(hc, h, `byte ${i} bit ${bit}`);
      seen.add(hc);
    }
  }
  assert.equal(seen.size, 1 + 203 * 3, 'all flips give distinct checksums');
  assert.notEqual(mul128(b.subarray(0, 202)), h);
  assert.notEqual(mul128(new Uint8Array(204).fill(0)), mul128(new Uint8Array(203).fill(0)));
  const swapped = b.slice();
  swapped.set(b.subarray(0, 4), 4);
  swapped.set(b.subarray(4, 8), 0);
  assert.notEqual(mul128(swapped), h, 'two words swapped');
});

test('digestOf: MUL-128 equals mul128, SHA-256 and CRC-32 of older entries still computed', async () => {
  const b = bytes(1000);
  assert.equal(await digestOf('MUL-128', b.slice().buffer), mul128(b));
  assert.equal(await digestOf('CRC-32', new TextEncoder().encode('123456789').buffer), 'cbf43926'); // the CRC-32 check value
  assert.equal(
    await digestOf('SHA-256', new TextEncoder().encode('abc').buffer),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});
