// WGSL decoders of the GGUF weight formats the GPU backend keeps quantized on the device (block
// layouts as core/quant/blocks.h, values as core/quant's reference dequantizers, in the same float
// operation order so decoded weights equal the C++ ones). Weights live in `W: array<u32>` as the
// file's raw block bytes; each type defines
//   fn load4(b: u32, j: u32) -> vec4<f32>   // elements 4j..4j+3 of the block at byte offset b
// and the kernels (kernels.ts) are written once over it. F32/F16 use pseudo-blocks of 4 elements.

/** The weight types with a WGSL decoder: name, GGUF type id (core/quant/types.h), elements per
 *  (pseudo-)block and its bytes. */
const TYPES = [
  ['F32', 0, 4, 16],
  ['F16', 1, 4, 8],
  ['BF16', 30, 4, 8],
  ['Q4_0', 2, 32, 18],
  ['Q4_1', 3, 32, 20],
  ['Q5_0', 6, 32, 22],
  ['Q5_1', 7, 32, 24],
  ['Q8_0', 8, 32, 34],
  ['Q4_K', 12, 256, 144],
  ['Q5_K', 13, 256, 176],
  ['Q6_K', 14, 256, 210],
  ['IQ4_NL', 20, 32, 18],
  ['IQ4_XS', 23, 256, 136],
] as const;
type TypeRow = (typeof TYPES)[number];

/** The weight types with a WGSL decoder: their GGUF type ids by name. */
export const GPU_TYPES = Object.fromEntries(TYPES.map(([name, id]) => [name, id])) as { readonly [R in TypeRow as R[0]]: R[1] };
export type GpuTypeName = keyof typeof GPU_TYPES;

export interface GpuTypeInfo {
  name: GpuTypeName;
  id: number;
  /** Elements per (pseudo-)block and its bytes. */
  block: number;
  blockBytes: number;
}

const INFO: Record<number, GpuTypeInfo> = {};
for (const [name, id, block, blockBytes] of TYPES) INFO[id] = { name, id, block, blockBytes };

/** The decoder's geometry for a GGUF type id, or undefined when the GPU has no decoder for it. */
export function gpuTypeInfo(id: number): GpuTypeInfo | undefined {
  return INFO[id];
}

/** Bytes of one row of `cols` elements (cols a multiple of the block). */
export function rowBytes(t: GpuTypeInfo, cols: number): number {
  return (cols / t.block) * t.blockBytes;
}

/** An f16 (the low 16 bits of h) decoded exactly, subnormals too (WGSL's unpack2x16float may
 *  flush them): also the KV cache's decoder (wgsl-attention.ts). */
export const F16_DECODE = /* wgsl */ `
fn f16bits(h: u32) -> f32 {
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  var v: f32;
  if (e == 0u) { v = f32(m) * 5.9604644775390625e-8; }      // subnormal: m * 2^-24
  else if (e == 31u) { v = bitcast<f32>(0x7f800000u | (m << 13u)); }
  else { v = bitcast<f32>(((e + 112u) << 23u) | (m << 13u)); }
  return select(v, -v, (h & 0x8000u) != 0u);
}
`;

// Byte access into W at any byte offset; f16 decoded from its bits by F16_DECODE.
const BYTES = /* wgsl */ `
fn wbyte(o: u32) -> u32 { return (W[o >> 2u] >> ((o & 3u) * 8u)) & 0xffu; }
fn wu16(o: u32) -> u32 { return (W[o >> 2u] >> ((o & 2u) * 8u)) & 0xffffu; }
fn wu32(o: u32) -> u32 {
  let s = (o & 3u) * 8u;
  let i = o >> 2u;
  if (s == 0u) { return W[i]; }
  return (W[i] >> s) | (W[i + 1u] << (32u - s));
}
${F16_DECODE}
fn wf16(o: u32) -> f32 { return f16bits(wu16(o)); }
// The four bytes of u as unsigned / signed values, byte 0 first.
fn u8x4(u: u32) -> vec4<f32> { return vec4<f32>(f32(u & 0xffu), f32((u >> 8u) & 0xffu), f32((u >> 16u) & 0xffu), f32(u >> 24u)); }
fn i8x4(u: u32) -> vec4<f32> {
  return vec4<f32>(f32(bitcast<i32>(u << 24u) >> 24u), f32(bitcast<i32>(u << 16u) >> 24u),
                   f32(bitcast<i32>(u << 8u) >> 24u), f32(bitcast<i32>(u) >> 24u));
}
// Q5_0 / Q5_1: bits 4j..4j+3 of qh as bit 4 of four bytes.
fn qh4(qh: u32, j: u32) -> u32 {
  let h = qh >> (4u * j);
  return ((h & 1u) | ((h & 2u) << 7u) | ((h & 4u) << 14u) | ((h & 8u) << 21u)) << 4u;
}
// Q4_K / Q5_K: 6-bit scale and min of sub-block s (0..7) from the 12 scale bytes at o
// (get_scale_min_k4).
fn scale_min_k4(o: u32, s: u32) -> vec2<f32> {
  if (s < 4u) { return vec2<f32>(f32(wbyte(o + s) & 63u), f32(wbyte(o + s + 4u) & 63u)); }
  let sc = (wbyte(o + s + 4u) & 0xfu) | ((wbyte(o + s - 4u) >> 6u) << 4u);
  let m = (wbyte(o + s + 4u) >> 4u) | ((wbyte(o + s) >> 6u) << 4u);
  return vec2<f32>(f32(sc), f32(m));
}
`;

// IQ4_NL / IQ4_XS: the 16 codebook values (core/quant/blocks.h kIq4nlValues) as f32 and as int8
// bit patterns (for dot4I8Packed); iq4x4 / iq4pack look up the low nibbles of u's four bytes.
const IQ4NL_VALUES = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
const IQ4NL = /* wgsl */ `
var<private> IQ4NL: array<f32, 16> = array<f32, 16>(${IQ4NL_VALUES.map((v) => `${v}.0`).join(', ')});
var<private> IQ4NL_I8: array<u32, 16> = array<u32, 16>(${IQ4NL_VALUES.map((v) => `${v & 0xff}u`).join(', ')});
fn iq4x4(u: u32) -> vec4<f32> {
  return vec4<f32>(IQ4NL[u & 0xfu], IQ4NL[(u >> 8u) & 0xfu], IQ4NL[(u >> 16u) & 0xfu], IQ4NL[(u >> 24u) & 0xfu]);
}
fn iq4pack(u: u32) -> u32 {
  return IQ4NL_I8[u & 0xfu] | (IQ4NL_I8[(u >> 8u) & 0xfu] << 8u) | (IQ4NL_I8[(u >> 16u) & 0xfu] << 16u) |
         (IQ4NL_I8[(u >> 24u) & 0xfu] << 24u);
}`;

/** load4 of Q4_K (qh undefined) / Q5_K: per 64 elements 32 qs bytes at b + qs, their low nibbles
 *  sub-block 2c and their high nibbles 2c + 1; x = (d * sc) * q - (dmin * m). Q5_K's 5th bit:
 *  bit (2c + hi) of the qh byte at b + qh + l. */
function kNibbleLoad4(qs: number, qh?: number): string {
  const high = qh === undefined ? '' : `\n  let h = (wu32(b + ${qh}u + l) >> (2u * c + hi)) & 0x01010101u;`;
  return /* wgsl */ `fn load4(b: u32, j: u32) -> vec4<f32> {
  let e = 4u * j;
  let c = e / 64u;
  let hi = (e / 32u) & 1u;
  let l = e & 31u;
  let sm = scale_min_k4(b + 4u, 2u * c + hi);
  let d1 = wf16(b) * sm.x;
  let m1 = wf16(b + 2u) * sm.y;
  let q = (wu32(b + ${qs}u + 32u * c + l) >> (4u * hi)) & 0x0f0f0f0fu;${high}
  return u8x4(${qh === undefined ? 'q' : 'q | (h << 4u)'}) * d1 - m1;
}`;
}

const LOAD4: Record<GpuTypeName, string> = {
  F32: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let i = (b >> 2u) + 4u * j;  // pseudo-block of 4: b is 16-byte aligned
  return vec4<f32>(bitcast<f32>(W[i]), bitcast<f32>(W[i + 1u]), bitcast<f32>(W[i + 2u]), bitcast<f32>(W[i + 3u]));
}`,
  F16: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let lo = W[b >> 2u];
  let hi = W[(b >> 2u) + 1u];
  return vec4<f32>(f16bits(lo & 0xffffu), f16bits(lo >> 16u), f16bits(hi & 0xffffu), f16bits(hi >> 16u));
}`,
  // The upper half of an f32: exact.
  BF16: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let lo = W[b >> 2u];
  let hi = W[(b >> 2u) + 1u];
  return vec4<f32>(bitcast<f32>(lo << 16u), bitcast<f32>(lo & 0xffff0000u), bitcast<f32>(hi << 16u), bitcast<f32>(hi & 0xffff0000u));
}`,
  // d * (q - 8); qs[l] holds element l (low nibble) and l + 16 (high).
  Q4_0: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let d = wf16(b);
  let q = wu32(b + 2u + 4u * (j & 3u)) >> select(0u, 4u, j >= 4u);
  return (u8x4(q & 0x0f0f0f0fu) - 8.0) * d;
}`,
  // d * q + m, nibbles as Q4_0 after d and m.
  Q4_1: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let q = wu32(b + 4u + 4u * (j & 3u)) >> select(0u, 4u, j >= 4u);
  return u8x4(q & 0x0f0f0f0fu) * wf16(b) + wf16(b + 2u);
}`,
  // d * (q - 16): the nibbles as Q4_0, the 5th bit of element e bit e of the u32 qh.
  Q5_0: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let q = (wu32(b + 6u + 4u * (j & 3u)) >> select(0u, 4u, j >= 4u)) & 0x0f0f0f0fu;
  return (u8x4(q | qh4(wu32(b + 2u), j)) - 16.0) * wf16(b);
}`,
  // d * q + m with Q5_0's bits after d and m.
  Q5_1: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let q = (wu32(b + 8u + 4u * (j & 3u)) >> select(0u, 4u, j >= 4u)) & 0x0f0f0f0fu;
  return u8x4(q | qh4(wu32(b + 4u), j)) * wf16(b) + wf16(b + 2u);
}`,
  Q8_0: `fn load4(b: u32, j: u32) -> vec4<f32> {
  return i8x4(wu32(b + 2u + 4u * j)) * wf16(b);
}`,
  Q4_K: kNibbleLoad4(16),
  Q5_K: kNibbleLoad4(48, 16),
  // d * codebook[q], nibbles as Q4_0.
  IQ4_NL: `${IQ4NL}
fn load4(b: u32, j: u32) -> vec4<f32> {
  return iq4x4(wu32(b + 2u + 4u * (j & 3u)) >> select(0u, 4u, j >= 4u)) * wf16(b);
}`,
  // Sub-block ib of 32: d * (ls - 32) * codebook[q], the 6-bit ls with its low 4 bits in nibble
  // ib % 2 of scales_l[ib / 2] and its high 2 at bit 2 ib of scales_h; qs as IQ4_NL per sub-block.
  IQ4_XS: `${IQ4NL}
fn load4(b: u32, j: u32) -> vec4<f32> {
  let e = 4u * j;
  let ib = e / 32u;
  let l = e & 31u;
  let ls = ((wbyte(b + 4u + ib / 2u) >> (4u * (ib & 1u))) & 0xfu) | (((wu16(b + 2u) >> (2u * ib)) & 3u) << 4u);
  let dl = wf16(b) * (f32(ls) - 32.0);
  return iq4x4(wu32(b + 8u + 16u * ib + (l & 15u)) >> select(0u, 4u, l >= 16u)) * dl;
}`,
  // Halves of 128: element 128h + 32k + l has its low 4 bits in ql[64h + l + 32(k & 1)] (nibble
  // k >> 1), its high 2 bits at bit 2k of qh[32h + l], its scale scales[8h + l / 16 + 2k];
  // x = d * sc * (q - 32).
  Q6_K: `fn load4(b: u32, j: u32) -> vec4<f32> {
  let e = 4u * j;
  let h = e / 128u;
  let k = (e / 32u) & 3u;
  let l = e & 31u;
  let lo = (wu32(b + 64u * h + l + 32u * (k & 1u)) >> (4u * (k >> 1u))) & 0x0f0f0f0fu;
  let hb = (wu32(b + 128u + 32u * h + l) >> (2u * k)) & 0x03030303u;
  let sc = f32(bitcast<i32>(wbyte(b + 192u + 8u * h + l / 16u + 2u * k) << 24u) >> 24u);
  let d = wf16(b + 208u) * sc;
  return (u8x4(lo | (hb << 4u)) - 32.0) * d;
}`,
};

// Integer paths (dot4I8Packed): activations quantized per 32 elements to int8 (XQ: 8 u32 of packed
// quants per 32, XD: the scale as the CPU's dot reads it: Q8_0's f16 d, Q8_K's f32 d). qdot(b, s, a) is the weight block at b's sub-block s (32
// elements) dotted with activation block a, in float: integer sums scaled once per scale group.

/** qdot of the 32-element blocks whose 16 qs bytes at b + qs hold element l in the low nibble of
 *  byte l and l + 16 in the high (Q4_0, Q4_1, Q5_0, Q5_1): isum = sum q qa and asum = sum qa over
 *  activation block a, the 5th bit of each q from the u32 qh at b + qh when qh is given (qh4), then
 *  `ret`, the f32 result from isum and asum. */
function nibbleQdot(qs: number, qh: number | undefined, ret: string): string {
  const bit5 = (k: string) => (qh === undefined ? '' : ` | qh4(qh, ${k})`);
  const lo = qh === undefined ? 'q & 0x0f0f0f0fu' : `(q & 0x0f0f0f0fu)${bit5('k')}`;
  const hi = qh === undefined ? '(q >> 4u) & 0x0f0f0f0fu' : `((q >> 4u) & 0x0f0f0f0fu)${bit5('k + 4u')}`;
  return /* wgsl */ `fn qdot(b: u32, s: u32, a: u32) -> f32 {${qh === undefined ? '' : `\n  let qh = wu32(b + ${qh}u);`}
  var isum = 0;
  var asum = 0;
  for (var k = 0u; k < 4u; k++) {
    let q = wu32(b + ${qs}u + 4u * k);
    let lo = XQ[8u * a + k];
    let hi = XQ[8u * a + 4u + k];
    isum += dot4I8Packed(${lo}, lo) + dot4I8Packed(${hi}, hi);
    asum += dot4I8Packed(0x01010101u, lo) + dot4I8Packed(0x01010101u, hi);
  }
  return ${ret};
}`;
}

/** d_a (d sum q qa + m sum qa): the blocks with a scale d and a min m (f16 at b, b + 2). */
const D_M_SUMS = 'XD[a] * (wf16(b) * f32(isum) + wf16(b + 2u) * f32(asum))';

/** qdot of sub-block s of Q4_K (qh undefined) / Q5_K: its 32 nibbles are the low (even s) or high
 *  (odd s) nibbles of the 32 qs bytes at b + qs + 32 (s / 2); Q5_K's 5th bit is bit s of the qh
 *  byte at b + qh + l. Scaled by (d sc) and (dmin m) of the sub-block's 6-bit scale and min. */
function kNibbleQdot(qs: number, qh?: number): string {
  const nib = `(wu32(b + ${qs}u + 32u * c + 4u * k) >> sh) & 0x0f0f0f0fu`;
  const high = qh === undefined ? '' : `\n    let h = (wu32(b + ${qh}u + 4u * k) >> s) & 0x01010101u;`;
  return /* wgsl */ `fn qdot(b: u32, s: u32, a: u32) -> f32 {
  let c = s / 2u;
  let sh = 4u * (s & 1u);
  var isum = 0;
  var asum = 0;
  for (var k = 0u; k < 8u; k++) {
    let x = XQ[8u * a + k];${high}
    isum += dot4I8Packed(${qh === undefined ? nib : `(${nib}) | (h << 4u)`}, x);
    asum += dot4I8Packed(0x01010101u, x);
  }
  let sm = scale_min_k4(b + 4u, s);
  return XD[a] * (wf16(b) * sm.x * f32(isum) - wf16(b + 2u) * sm.y * f32(asum));
}`;
}

/** qdot of the IQ4 codebook types: isum = sum codebook[q] qa over the 16 qs bytes at byte `qs` (a
 *  WGSL expression; element l in the low nibble of byte l, l + 16 in the high), then `tail`. */
function iq4Qdot(qs: string, tail: string): string {
  return /* wgsl */ `fn qdot(b: u32, s: u32, a: u32) -> f32 {
  var isum = 0;
  for (var k = 0u; k < 4u; k++) {
    let q = wu32(${qs} + 4u * k);
    isum += dot4I8Packed(iq4pack(q), XQ[8u * a + k]) + dot4I8Packed(iq4pack(q >> 4u), XQ[8u * a + 4u + k]);
  }
  ${tail}
}`;
}

const QDOT: Partial<Record<GpuTypeName, string>> = {
  // d_w d_a (sum q qa - 8 sum qa): the nibbles as unsigned int8, the -8 folded into the sum.
  Q4_0: nibbleQdot(2, undefined, 'wf16(b) * XD[a] * f32(isum - 8 * asum)'),
  // d_a (d sum q qa + m sum qa).
  Q4_1: nibbleQdot(4, undefined, D_M_SUMS),
  // d_w d_a (sum q qa - 16 sum qa), q the 5-bit value (elements 4k.. and 16 + 4k..).
  Q5_0: nibbleQdot(6, 2, 'wf16(b) * XD[a] * f32(isum - 16 * asum)'),
  Q5_1: nibbleQdot(8, 4, D_M_SUMS),
  Q8_0: `fn qdot(b: u32, s: u32, a: u32) -> f32 {
  var isum = 0;
  for (var k = 0u; k < 8u; k++) { isum += dot4I8Packed(wu32(b + 2u + 4u * k), XQ[8u * a + k]); }
  return wf16(b) * XD[a] * f32(isum);
}`,
  // Sub-block s: (d sc) d_a sum q qa - (dmin m) d_a sum qa.
  Q4_K: kNibbleQdot(16),
  Q5_K: kNibbleQdot(48, 16),
  // Sub-block s = 4h + k covers elements 128h + 32k + l; its two halves of 16 have their own scale.
  Q6_K: `fn qdot(b: u32, s: u32, a: u32) -> f32 {
  let h = s / 4u;
  let k = s & 3u;
  var r = 0.0;
  for (var half = 0u; half < 2u; half++) {
    var isum = 0;
    var asum = 0;
    for (var m = 0u; m < 4u; m++) {
      let l = 16u * half + 4u * m;
      let lo = (wu32(b + 64u * h + l + 32u * (k & 1u)) >> (4u * (k >> 1u))) & 0x0f0f0f0fu;
      let hb = (wu32(b + 128u + 32u * h + l) >> (2u * k)) & 0x03030303u;
      let x = XQ[8u * a + 4u * half + m];
      isum += dot4I8Packed(lo | (hb << 4u), x);
      asum += dot4I8Packed(0x01010101u, x);
    }
    let sc = f32(bitcast<i32>(wbyte(b + 192u + 8u * h + half + 2u * k) << 24u) >> 24u);
    r += sc * f32(isum - 32 * asum);
  }
  return wf16(b + 208u) * XD[a] * r;
}`,
  // d_w d_a sum codebook[q] qa: the codebook values packed as int8.
  IQ4_NL: iq4Qdot('b + 2u', 'return wf16(b) * XD[a] * f32(isum);'),
  // Sub-block s: d (ls - 32) d_a sum codebook[q] qa.
  IQ4_XS: iq4Qdot(
    'b + 8u + 16u * s',
    `let ls = ((wbyte(b + 4u + s / 2u) >> (4u * (s & 1u))) & 0xfu) | (((wu16(b + 2u) >> (2u * s)) & 3u) << 4u);
  return wf16(b) * (f32(ls) - 32.0) * XD[a] * f32(isum);`,
  ),
};

/** True when the type has an integer (dot4I8Packed) matmul path. */
export function hasQdot(t: GpuTypeInfo): boolean {
  return QDOT[t.name] !== undefined;
}

/** decoderWgsl plus the type's qdot (for a shader that declares W, XQ and XD). */
export function qdotWgsl(t: GpuTypeInfo): string {
  const q = QDOT[t.name];
  if (!q) throw new Error(`no integer path for ${t.name}`);
  return `${decoderWgsl(t)}\n${q}\nconst SUBS: u32 = ${t.block / 32}u; // 32-element sub-blocks per block\n`;
}

/** The WGSL that declares nothing but defines wbyte/wu16/wu32/f16bits/load4 for type `t` over a
 *  storage array named W (the including shader declares W). */
export function decoderWgsl(t: GpuTypeInfo): string {
  return `${BYTES}\n${LOAD4[t.name]}\nconst BLOCK: u32 = ${t.block}u;\nconst BLOCK_BYTES: u32 = ${t.blockBytes}u;\nconst GROUPS: u32 = ${t.block / 4}u; // load4 groups per block\n`;
}
