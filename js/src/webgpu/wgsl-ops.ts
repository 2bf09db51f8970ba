// WGSL sources of the GPU backend's kernels (plain f32 paths: correct on every adapter). Weight
// kernels are written once over the per-type `load4` decoder (wgsl-quant.ts); every kernel uses
// 64-thread workgroups and reads its sizes from a uniform block `p`. Large row counts are spread
// over a 2-D grid: row = wid.x + wid.y * p.grid_x.

export const WG = 64;

/** The opening every kernel shares: the storage buffers (each 'read X: array<f32>' or
 *  'read_write Y: …') at bindings 0.., the uniform block p (struct P { uniforms }) after them, then
 *  `fns` (helper functions, workgroup arrays) and the entry point's first line: 64 invocations,
 *  workgroup id wid, local index tid. The kernel's body and its closing brace follow. */
export function kernelHead(buffers: string[], uniforms: string, fns = ''): string {
  const decls = buffers.map((b, i) => {
    const space = b.indexOf(' ');
    return `@group(0) @binding(${i}) var<storage, ${b.slice(0, space)}> ${b.slice(space + 1)};`;
  });
  return /* wgsl */ `
${decls.join('\n')}
struct P { ${uniforms} }
@group(0) @binding(${buffers.length}) var<uniform> p: P;
${fns}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {`;
}

/** A whole kernel of one invocation per item: kernelHead, then the item's index (default `i`) over
 *  the 2-D grid, (wid.x + wid.y * p.grid_x) * 64 + tid (the uniforms must have grid_x), invocations
 *  with index >= count (a WGSL expression) returning at once, then body. */
export function perItemWgsl(k: { buffers: string[]; uniforms: string; fns?: string; index?: string; count: string; body: string }): string {
  const i = k.index ?? 'i';
  return `${kernelHead(k.buffers, k.uniforms, k.fns)}
  let ${i} = (wid.x + wid.y * p.grid_x) * ${WG}u + tid;
  if (${i} >= ${k.count}) { return; }
  ${k.body}
}`;
}

/** The uniforms of an elementwise kernel with no parameters of its own. */
const ELEMENTWISE_P = 'n: u32, grid_x: u32, pad0: u32, pad1: u32';

/** fn reduce64<tag>(tid, v, op) over its own workgroup array red<tag>: the workgroup sum (op 0) or
 *  max (op 1) of v; every invocation gets the result. A kernel that reduces twice and needs the
 *  first result after the second starts uses two tags: on llvmpipe an invocation may read the
 *  result only after another has begun overwriting the array for the next reduction. */
export function reduceWgsl(tag = ''): string {
  return /* wgsl */ `
var<workgroup> red${tag}: array<f32, 64>;
fn reduce64${tag}(tid: u32, v: f32, op: u32) -> f32 {
  red${tag}[tid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (tid < s) {
      if (op == 0u) { red${tag}[tid] += red${tag}[tid + s]; } else { red${tag}[tid] = max(red${tag}[tid], red${tag}[tid + s]); }
    }
    workgroupBarrier();
  }
  let r = red${tag}[0];
  workgroupBarrier();
  return r;
}
`;
}
const REDUCE = reduceWgsl();

/** e^x as the CPU backend's SIMD kernels compute it (kernels/simd128 exp_f32x4), operation for
 *  operation: x clamped to [-104, 89], n = nearest(x log2 e), r = x - n ln2 (ln2 in two parts),
 *  Taylor to r^7 by Horner, times 2^n as two exact power-of-two factors. The same f32 operations
 *  give the same floats where the compiler does not fuse a multiply-add (Dawn on llvmpipe and
 *  SwiftShader here; a GPU that fuses may move the last bit). */
const f32Lit = (x: number) => {
  const s = String(Math.fround(x));
  return /[.e]/.test(s) ? s : `${s}.0`;
};
export const EXP_CPU = /* wgsl */ `
fn exp_cpu(x0: f32) -> f32 {
  let x = min(max(x0, -104.0), 89.0);
  let n = round(x * ${f32Lit(1.44269504088896341)});
  let r = (x - n * 0.693359375) - n * ${f32Lit(-2.1219444e-4)};
  var p = ${f32Lit(1 / 5040)};
  p = p * r + ${f32Lit(1 / 720)};
  p = p * r + ${f32Lit(1 / 120)};
  p = p * r + ${f32Lit(1 / 24)};
  p = p * r + ${f32Lit(1 / 6)};
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  let ni = i32(n);
  let n1 = ni >> 1u;
  let n2 = ni - n1;
  return (p * bitcast<f32>(u32(n1 + 127) << 23u)) * bitcast<f32>(u32(n2 + 127) << 23u);
}`;

/** tanh within a few f32 ulps (WGSL's builtin is loosely bounded and SwiftShader's is coarse): Cephes
 *  tanhf's odd minimax polynomial below 0.625, else 1 - 2 / (e^2|x| + 1) with the sign. */
export const TANH = /* wgsl */ `
fn tanh_acc(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.625) {
    let z = x * x;
    return x + x * z * ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z - 3.33332819422e-1);
  }
  if (a > 20.0) { return sign(x); }
  return sign(x) * (1.0 - 2.0 / (exp(2.0 * a) + 1.0));
}`;

/** x rounded to the nearest f16 value (ties to even), kept in f32: ggml's fp32 -> fp16 -> fp32, for
 *  |x| < 65520 (no overflow to infinity: GELU's inputs and outputs here stay within +-10). */
export const F16_ROUND = /* wgsl */ `
fn round_f16(x: f32) -> f32 {
  if (abs(x) < 6.103515625e-05) { return round(x * 16777216.0) * 5.9604644775390625e-08; }  // subnormal: steps of 2^-24
  let b = bitcast<u32>(x);
  return bitcast<f32>((b + 0xfffu + ((b >> 13u) & 1u)) & 0xffffe000u);
}`;

/** The end of a matmul kernel: each invocation's partial sums acc[t] (t < TN) added up across the
 *  workgroup and stored to Y by invocations t < TN. Plain: a tree over workgroup memory (6
 *  barriers). Subgroups: subgroupAdd, then each subgroup's lowest invocation (its leader) stores
 *  the sum at its own index and sets its bit in \`leaders\`; after one barrier the leaders' sums are
 *  added in index order (deterministic; no assumption on how invocations map to subgroups, whose
 *  size is 4..128). */
function rowSums(subgroups: boolean): string {
  if (!subgroups)
    return /* wgsl */ `  for (var t = 0u; t < TN; t++) { part[t * ${WG}u + tid] = acc[t]; }
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (tid < s) {
      for (var t = 0u; t < TN; t++) { part[t * ${WG}u + tid] += part[t * ${WG}u + tid + s]; }
    }
    workgroupBarrier();
  }
  if (tid < TN && t0 + tid < p.tokens) { Y[(t0 + tid) * p.n_out + p.row0 + r] = part[tid * ${WG}u]; }`;
  return /* wgsl */ `  let lead = subgroupMin(tid) == tid;
  for (var t = 0u; t < TN; t++) {
    let s = subgroupAdd(acc[t]);
    if (lead) { part[t * ${WG}u + tid] = s; }
  }
  if (lead) { atomicOr(&leaders[tid >> 5u], 1u << (tid & 31u)); }
  workgroupBarrier();
  if (tid < TN && t0 + tid < p.tokens) {
    var sum = 0.0;
    for (var w = 0u; w < ${WG / 32}u; w++) {
      var m = atomicLoad(&leaders[w]);
      while (m != 0u) {
        sum += part[tid * ${WG}u + 32u * w + countTrailingZeros(m)];
        m &= m - 1u;
      }
    }
    Y[(t0 + tid) * p.n_out + p.row0 + r] = sum;
  }`;
}

/** y[t, row0 + r] = W[r, :] . x[t, :] for the rows of one weight part and `tn` tokens per workgroup
 *  (tn = 1: decode matvec; tn > 1: the weights decoded once per tile of tn tokens, prefill).
 *  Grid: (rows over x/y, token tiles over z). X: (tokens, cols) f32; Y: (tokens, n_out).
 *  subgroups: the row sums reduced with subgroupAdd (the device must have 'subgroups'). */
export function matmulWgsl(decoder: string, tn: number, subgroups = false): string {
  return matmulFrame({
    buffers: ['read W: array<u32>', 'read X: array<vec4<f32>>', 'read_write Y: array<f32>'],
    fns: decoder,
    tn,
    subgroups,
    units: 'p.cols / 4u',
    fetch: 'let w = load4(rb + (u / GROUPS) * BLOCK_BYTES, u % GROUPS);',
    term: 'dot(w, X[(t0 + t) * units + u])',
  });
}

/** Both matmul paths (same grid and uniforms): row r of the part over the 2-D grid, the token tile
 *  t0 = wid.z * TN .. t0 + TN - 1, and units (groups of 4 or 32 elements) u of the row at byte rb
 *  strided over the workgroup: `fetch` reads unit u of the weight row, acc[t] += `term` for each
 *  token t0 + t of the tile; then the row sums. */
function matmulFrame(k: {
  directives?: string;
  buffers: string[];
  fns: string;
  tn: number;
  subgroups: boolean;
  units: string;
  fetch: string;
  term: string;
}): string {
  const tile = `${k.fns}
const TN: u32 = ${k.tn}u;
var<workgroup> part: array<f32, ${WG * k.tn}>;
${k.subgroups ? 'var<workgroup> leaders: array<atomic<u32>, 2>;' : ''}`;
  const uniforms = 'rows: u32, cols: u32, row_bytes: u32, row0: u32, n_out: u32, tokens: u32, grid_x: u32, pad: u32';
  return /* wgsl */ `${k.subgroups ? 'enable subgroups;\n' : ''}${k.directives ?? ''}${kernelHead(k.buffers, uniforms, tile)}
  let r = wid.x + wid.y * p.grid_x;
  if (r >= p.rows) { return; }
  let t0 = wid.z * TN;
  let units = ${k.units};
  let rb = r * p.row_bytes;
  var acc: array<f32, ${k.tn}>;
  for (var u = tid; u < units; u += ${WG}u) {
    ${k.fetch}
    for (var t = 0u; t < TN; t++) {
      if (t0 + t < p.tokens) { acc[t] += ${k.term}; }
    }
  }
${rowSums(k.subgroups)}
}`;
}

/** Y[i, :] = dequantized row ids[i] of the weight, for the ids inside this part. Grid: (column
 *  groups / 64, n_ids). */
export function getRowsWgsl(decoder: string): string {
  return /* wgsl */ `${kernelHead(
    ['read W: array<u32>', 'read ids: array<u32>', 'read_write Y: array<vec4<f32>>'],
    'rows: u32, cols: u32, row_bytes: u32, row0: u32',
    decoder,
  )}
  let g4 = p.cols / 4u;
  let g = wid.x * ${WG}u + tid;
  let row = ids[wid.y];
  if (g >= g4 || row < p.row0 || row >= p.row0 + p.rows) { return; }
  Y[wid.y * g4 + g] = load4((row - p.row0) * p.row_bytes + (g / GROUPS) * BLOCK_BYTES, g % GROUPS);
}`;
}

/** Y[t, :] = X[t, :] / sqrt(mean(X[t, :]^2) + eps) * w. One workgroup per row. */
export const RMS_NORM = /* wgsl */ `${kernelHead(
  ['read X: array<f32>', 'read w: array<f32>', 'read_write Y: array<f32>'],
  'n: u32, rows: u32, eps: f32, pad: u32',
  REDUCE,
)}
  let base = wid.x * p.n;
  var s = 0.0;
  for (var i = tid; i < p.n; i += ${WG}u) { let v = X[base + i]; s += v * v; }
  let scale = 1.0 / sqrt(reduce64(tid, s, 0u) / f32(p.n) + p.eps);
  for (var i = tid; i < p.n; i += ${WG}u) { Y[base + i] = X[base + i] * scale * w[i]; }
}`;

/** Y[t, :] = (X[t, :] - mean) / sqrt(var + eps) * w (+ b when has_bias), as kernels/ref layer_norm:
 *  the mean first, then the variance of the centered values. One workgroup per row. */
export const LAYER_NORM = /* wgsl */ `${kernelHead(
  ['read X: array<f32>', 'read w: array<f32>', 'read b: array<f32>', 'read_write Y: array<f32>'],
  'n: u32, rows: u32, eps: f32, has_bias: u32',
  `${REDUCE}\n${reduceWgsl('_var')}`,
)}
  let base = wid.x * p.n;
  var s = 0.0;
  for (var i = tid; i < p.n; i += ${WG}u) { s += X[base + i]; }
  let mean = reduce64(tid, s, 0u) / f32(p.n);
  var s2 = 0.0;
  for (var i = tid; i < p.n; i += ${WG}u) { let c = X[base + i] - mean; s2 += c * c; }
  let scale = 1.0 / sqrt(reduce64_var(tid, s2, 0u) / f32(p.n) + p.eps);
  for (var i = tid; i < p.n; i += ${WG}u) {
    let y = (X[base + i] - mean) * scale * w[i];
    Y[base + i] = select(y, y + b[i], p.has_bias != 0u);
  }
}`;

/** In place on X: (tokens, n_head, head_dim); pair i of the first n_rot dims of every head rotated
 *  by CS[t * row_stride + i] = (cos, sin), normal (2i, 2i+1) or NeoX (i, i + n_rot/2) pairs, as
 *  kernels/ref rope. The table comes from the host: the C++ rope_angles' floats (musl's cosf/sinf
 *  of the f32 angle, times LongRoPE's attn_factor), so the GPU rotates by exactly the CPU's values
 *  (row_stride 0: one row for every token, a context shift's). One invocation a pair. */
export const ROPE = perItemWgsl({
  buffers: ['read_write X: array<f32>', 'read CS: array<vec2<f32>>'],
  uniforms: 'n_head: u32, head_dim: u32, n_rot: u32, tokens: u32, neox: u32, grid_x: u32, row_stride: u32, pad0: u32',
  index: 'k',
  count: 'p.tokens * p.n_head * (p.n_rot / 2u)',
  body: /* wgsl */ `let half = p.n_rot / 2u;
  let i = k % half;
  let th = k / half;  // t * n_head + h
  let cs = CS[(th / p.n_head) * p.row_stride + i];
  let base = th * p.head_dim;
  let a = base + select(2u * i, i, p.neox != 0u);
  let b = base + select(2u * i + 1u, i + half, p.neox != 0u);
  let x0 = X[a];
  let x1 = X[b];
  X[a] = x0 * cs.x - x1 * cs.y;
  X[b] = x0 * cs.y + x1 * cs.x;`,
});

/** G[i] = silu(G[i]) * U[i] (SwiGLU), in place on G: the CPU's float operations (simd128 silu_mul). */
export const SWIGLU = gatedWgsl(
  `let g = G[i];
  G[i] = g / (1.0 + exp_cpu(-g)) * U[i];`,
  EXP_CPU,
);

/** gelu(x) as kernels/ref gelu_table: tanh GELU of the f16-rounded input, rounded to f16 (ggml's
 *  GELU table), 0 below -10 and x above 10. */
const GELU_FN = /* wgsl */ `
${F16_ROUND}
${TANH}
fn gelu(x: f32) -> f32 {
  if (x <= -10.0) { return 0.0; }
  if (x >= 10.0) { return x; }
  let h = round_f16(x);
  return round_f16(0.5 * h * (1.0 + tanh_acc(0.7978845608028654 * h * (1.0 + 0.044715 * h * h))));
}`;

/** G[i] = gelu(G[i]) * U[i] (GeGLU) in place, as the CPU backend's SIMD gelu_mul computes it
 *  (operation for operation: h = f16(x), 0.5 h (1 + tanh t) as h / (1 + e^-2t) rounded to f16,
 *  x * up from 10 up, 0 from -10 down). */
export const GEGLU = gatedWgsl(
  `let x = G[i];
  let h = round_f16(x);
  let t = (${f32Lit(0.79788456080286535587989211986876)} * h) * (1.0 + ${f32Lit(0.044715)} * (h * h));
  var y = round_f16(h / (1.0 + exp_cpu(-2.0 * t))) * U[i];
  if (x >= 10.0) { y = x * U[i]; }
  if (x <= -10.0) { y = 0.0; }
  G[i] = y;`,
  `${F16_ROUND}\n${EXP_CPU}`,
);

/** X[i] = gelu(X[i]) in place (bert's ungated FFN): kernels/ref gelu_table's value (the CPU has no
 *  SIMD GELU alone). */
export const GELU = perItemWgsl({
  buffers: ['read_write X: array<f32>'],
  uniforms: ELEMENTWISE_P,
  fns: GELU_FN,
  count: 'p.n',
  body: 'X[i] = gelu(X[i]);',
});

function gatedWgsl(body: string, fns = ''): string {
  return perItemWgsl({ buffers: ['read_write G: array<f32>', 'read U: array<f32>'], uniforms: ELEMENTWISE_P, fns, count: 'p.n', body });
}

/** Y[i] += scale * X[i % period] (the residual connection; period < n: a bias added to each row). */
export const ADD = perItemWgsl({
  buffers: ['read_write Y: array<f32>', 'read X: array<f32>'],
  uniforms: 'n: u32, grid_x: u32, period: u32, scale: f32',
  count: 'p.n',
  body: /* wgsl */ `let x = X[i % p.period];
  Y[i] += select(p.scale * x, x, p.scale == 1.0);`,
});

/** X[i] *= s (op 0), or X[i] = tanh(X[i] / s) * s (op 1: soft-capping), in place. */
export const SCALE = perItemWgsl({
  buffers: ['read_write X: array<f32>'],
  uniforms: 'n: u32, grid_x: u32, s: f32, op: u32',
  fns: TANH,
  count: 'p.n',
  body: 'if (p.op == 0u) { X[i] *= p.s; } else { X[i] = tanh_acc(X[i] * (1.0 / p.s)) * p.s; }',
});

/** Activations for the integer path: each 32 floats of X as int8 quants (XQ, 8 packed u32) and a
 *  scale (XD), as core/quant's Q8_0 quantizer: d = amax / 127, q = round-half-away(x * (1 / d))
 *  with the f32 d, and d stored rounded to f16 (BlockQ8_0.d): the dot products scale by the f16
 *  d, as the CPU's do. One invocation per 32 elements. */
export const QUANTIZE_Q8 = quantizeWgsl(
  /* wgsl */ `var amax = 0.0;
  for (var i = 0u; i < 32u; i++) { amax = max(amax, abs(X[32u * a + i])); }
  let d = amax / 127.0;
  let id = select(0.0, 1.0 / d, d != 0.0);
  for (var k = 0u; k < 8u; k++) {
    var packed = 0u;
    for (var j = 0u; j < 4u; j++) {
      let v = X[32u * a + 4u * k + j] * id;
      let t = trunc(v);  // std::round: v - t is exact, so the tie test is too
      let q = i32(t + select(0.0, sign(v), abs(v - t) >= 0.5));
      packed |= (bitcast<u32>(q) & 0xffu) << (8u * j);
    }
    XQ[8u * a + k] = packed;
  }
  XD[a] = round_f16(d);`,
  F16_ROUND,
);

/** Activations for the K-quants' integer path, as llama.cpp's Q8_K (core/quant quantize_row_q8_K):
 *  per 256 floats, max = the element of largest magnitude (sign kept, the first on ties), iscale =
 *  -127 / max, q = min(127, round-half-even(iscale x)), d = 1 / iscale, written to each of the 8
 *  XD entries of the 256 (qdot reads one per 32). One invocation per 256 elements. */
export const QUANTIZE_Q8_K = quantizeWgsl(/* wgsl */ `var amax = 0.0;
  var mx = 0.0;
  for (var i = 0u; i < 256u; i++) {
    let v = X[256u * a + i];
    if (abs(v) > amax) { amax = abs(v); mx = v; }
  }
  let iscale = select(0.0, -127.0 / mx, amax != 0.0);
  for (var k = 0u; k < 64u; k++) {
    var packed = 0u;
    for (var j = 0u; j < 4u; j++) {
      let q = min(i32(round(X[256u * a + 4u * k + j] * iscale)), 127);
      packed |= (bitcast<u32>(q) & 0xffu) << (8u * j);
    }
    XQ[64u * a + k] = packed;
  }
  let d = select(0.0, 1.0 / iscale, amax != 0.0);
  for (var s = 0u; s < 8u; s++) { XD[8u * a + s] = d; }`);

/** An activation quantizer: one invocation per block a < p.blocks of X (f32), its int8 quants
 *  packed four to a u32 into XQ and its scale into XD. */
function quantizeWgsl(body: string, fns = ''): string {
  return perItemWgsl({
    buffers: ['read X: array<f32>', 'read_write XQ: array<u32>', 'read_write XD: array<f32>'],
    uniforms: 'blocks: u32, grid_x: u32, pad0: u32, pad1: u32',
    fns,
    index: 'a',
    count: 'p.blocks',
    body,
  });
}

/** y[t, row0 + r] = W[r, :] . x[t, :] with int8 activations (QUANTIZE_Q8) and dot4I8Packed: the
 *  integer twin of matmulWgsl (same grid and uniforms; tn tokens per workgroup). */
export function matmulQ8Wgsl(qdot: string, tn: number, subgroups = false): string {
  return matmulFrame({
    directives: 'requires packed_4x8_integer_dot_product;\n',
    buffers: ['read W: array<u32>', 'read XQ: array<u32>', 'read XD: array<f32>', 'read_write Y: array<f32>'],
    fns: qdot,
    tn,
    subgroups,
    units: 'p.cols / 32u',
    fetch: 'let b = rb + (u / SUBS) * BLOCK_BYTES;',
    term: 'qdot(b, u % SUBS, (t0 + t) * units + u)',
  });
}
