// WGSL of the GPU KV cache and the attention over it. The cache holds K and V rows of kv_dim values
// in f16, two to a u32 (element 2i in the low half): no shader-f16 needed. Rows are stored with the
// CPU's rounding (core/quant/fp16.h fp32_to_fp16: nearest, ties to even, overflow to inf; WGSL's
// pack2x16float leaves the rounding direction and overflow to the implementation) and read back
// exactly (unpack2x16float, subnormals decoded by bits: it may flush them), so the GPU attends
// over the values the CPU backend caches. Attention streams the keys: no scores buffer (the
// context is bounded only by one layer's cache fitting a storage binding). A sliding-window layer's
// cache may be a ring: position j in row j % ring (GpuKernels.kvStore and attention's ring).
import { F16_DECODE } from './wgsl-quant.js';
import { EXP_CPU, F16_ROUND, kernelHead, perItemWgsl, reduceWgsl, TANH, WG } from './wgsl-ops.js';

/** f32 bits -> f16 bits, as fp32_to_fp16. */
const F16_ENCODE = /* wgsl */ `
fn f16_encode(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }  // NaN: ggml's quiet NaN
  let e = a >> 23u;
  if (e >= 143u) { return sign | 0x7c00u; }  // |x| >= 2^16: inf
  if (e >= 113u) {  // a normal half: round at bit 13 (a carry may reach inf, correctly), rebias
    return sign | (((a + 0xfffu + ((a >> 13u) & 1u)) >> 13u) - 0x1c000u);
  }
  if (e < 102u) { return sign; }  // |x| < 2^-25: zero (2^-25 itself is a tie to 0)
  let m = (a & 0x7fffffu) | 0x800000u;  // subnormal: m * 2^(e - 150) in units of 2^-24
  let shift = 126u - e;  // 14..24
  let h = m >> shift;
  let rem = m & ((1u << shift) - 1u);
  let halfway = 1u << (shift - 1u);
  return sign | (h + select(0u, 1u, rem > halfway || (rem == halfway && (h & 1u) == 1u)));
}`;

/** Two cached f16 (one u32) as f32, exactly. */
const F16_PAIR = /* wgsl */ `
${F16_DECODE}
fn f16_pair(w: u32) -> vec2<f32> {
  let lo = w & 0x7c00u;
  let hi = w & 0x7c000000u;
  // Both normal: unpack2x16float is exact (inf and NaN are left to the implementation).
  if (lo != 0u && lo != 0x7c00u && hi != 0u && hi != 0x7c000000u) { return unpack2x16float(w); }
  return vec2<f32>(f16bits(w & 0xffffu), f16bits(w >> 16u));
}`;

/** C[dst + i] = the f16 pair of X[2(x + i)], X[2(x + i) + 1] for i < pairs: rows of f32 (as
 *  bits) into the cache. One invocation per pair. */
export const KV_STORE = perItemWgsl({
  buffers: ['read X: array<u32>', 'read_write C: array<u32>'],
  uniforms: 'pairs: u32, dst: u32, grid_x: u32, x: u32',
  fns: F16_ENCODE,
  count: 'p.pairs',
  body: /* wgsl */ `let j = 2u * (p.x + i);
  C[p.dst + i] = f16_encode(X[j]) | (f16_encode(X[j + 1u]) << 16u);`,
});

/** X[2(x + i)], X[2(x + i) + 1] = the f16 pair C[src + i] for i < pairs: cache rows as f32. */
export const KV_LOAD = perItemWgsl({
  buffers: ['read C: array<u32>', 'read_write X: array<f32>'],
  uniforms: 'pairs: u32, src: u32, grid_x: u32, x: u32',
  fns: F16_PAIR,
  count: 'p.pairs',
  body: /* wgsl */ `let v = f16_pair(C[p.src + i]);
  let j = 2u * (p.x + i);
  X[j] = v.x;
  X[j + 1u] = v.y;`,
});

/**
 * Softmax attention of the new tokens over the cache, grouped-query (query head h reads KV head
 * h / (n_head / n_kv_head)), without a scores buffer. Q, O: (tokens, n_head, head_dim) f32; K, V:
 * (rows, n_kv_head * head_dim) as f16 pairs (f16) or f32 bits. Token t (position pos0 + t) sees
 * rows j0..n - 1: n = pos0 + t + 1 when causal, else pos0 + tokens (every stored row: encoders),
 * and j0 = 0; packed sequences (packed != 0: several sequences in one batch, as
 * Context::layout_packed) read n and j0 from S = (lo, hi) per token instead (S: (tokens, 2)
 * u32). Then j0 is raised to n - window when window > 0 (sliding-window layers). Row j holds
 * position j, or position j' with j' % ring = j when ring > 0 (a sliding-window layer's ring of
 * ring >= window + tokens - 1 rows: the batch's earliest window is still there after its later
 * tokens are stored). Scores q.k * scale, soft-capped when softcap > 0 (gemma2).
 *
 * One workgroup per (head, token) streams the keys in tiles of 64 (one key an invocation). Pass 1
 * keeps each invocation's running max and sum of exp (rescaled when the max grows), combined over
 * the workgroup at the end; pass 2 recomputes each tile's scores, turns them into probabilities
 * with the final max and sum (e^x as the CPU's exp_f32x4: exp_cpu), and accumulates V (one pair
 * of dims an invocation, keys in order).
 * The second pass over K buys the CPU's exact semantics (kernels/ref attend): over an f16 cache q
 * and the normalized probabilities are rounded to f16 before they meet the cache, and each output
 * is the in-order sum of p_j * v_j, which a one-pass rescaled accumulation could not reproduce.
 * nc: pairs of dims per invocation / 64 (head_dim <= 128 * nc).
 */
export function attentionWgsl(f16: boolean, nc: number): string {
  const load = f16
    ? `${F16_PAIR}
fn k2(i: u32) -> vec2<f32> { return f16_pair(K[i]); }
fn v2(i: u32) -> vec2<f32> { return f16_pair(V[i]); }`
    : `
fn k2(i: u32) -> vec2<f32> { return vec2<f32>(bitcast<f32>(K[2u * i]), bitcast<f32>(K[2u * i + 1u])); }
fn v2(i: u32) -> vec2<f32> { return vec2<f32>(bitcast<f32>(V[2u * i]), bitcast<f32>(V[2u * i + 1u])); }`;
  const uniforms = `
  n_head: u32, n_kv_head: u32, head_dim: u32, pos0: u32, tokens: u32, scale: f32, window: u32, softcap: f32,
  causal: u32, packed: u32, ring: u32, pad2: u32,
`;
  const fns = /* wgsl */ `${reduceWgsl('_max')}
${reduceWgsl('_sum')}
${TANH}
${EXP_CPU}
${F16_ROUND}
${load}
const NC: u32 = ${nc}u;
var<workgroup> qs: array<f32, ${2 * WG * nc}>;  // this head's query (f16-rounded over an f16 cache)
var<workgroup> ps: array<f32, ${WG}>;  // one tile's probabilities
var<workgroup> pr: array<u32, ${WG}>;  // and the first pair of each one's V row (this KV head's)

// The cache row of position j.
fn slot(j: u32) -> u32 {
  if (p.ring == 0u) { return j; }
  return j % p.ring;
}

// The score of the key whose row starts at pair r (half = head_dim / 2 pairs).
fn score(r: u32, half: u32) -> f32 {
  var d = 0.0;
  for (var e = 0u; e < half; e++) {
    let k = k2(r + e);
    d += qs[2u * e] * k.x;
    d += qs[2u * e + 1u] * k.y;
  }
  d *= p.scale;
  if (p.softcap > 0.0) { d = tanh_acc(d * (1.0 / p.softcap)) * p.softcap; }
  return d;
}
`;
  const buffers = ['read Q: array<f32>', 'read K: array<u32>', 'read V: array<u32>', 'read_write O: array<f32>', 'read S: array<u32>'];
  return /* wgsl */ `${kernelHead(buffers, uniforms, fns)}
  let h = wid.x;
  let t = wid.y;
  var n = select(p.pos0 + p.tokens, p.pos0 + t + 1u, p.causal != 0u);
  var lo = 0u;
  if (p.packed != 0u) {
    lo = S[2u * t];
    n = S[2u * t + 1u];
  }
  let j0 = select(lo, max(lo, n - min(n, p.window)), p.window > 0u);
  let hd = p.head_dim;
  let half = hd / 2u;
  let row = p.n_kv_head * half;  // pairs per cache row
  let head = (h / (p.n_head / p.n_kv_head)) * half;  // this KV head's first pair in a row
  let q = (t * p.n_head + h) * hd;
  for (var e = tid; e < hd; e += ${WG}u) { qs[e] = ${f16 ? 'round_f16(Q[q + e])' : 'Q[q + e]'}; }
  workgroupBarrier();

  // Pass 1: running max m and sum l of exp(s - m) over this invocation's keys, then combined.
  var m = -3.402823e38;
  var l = 0.0;
  for (var j = j0 + tid; j < n; j += ${WG}u) {
    let s = score(slot(j) * row + head, half);
    if (s > m) {
      l = l * exp_cpu(m - s) + 1.0;
      m = s;
    } else {
      l += exp_cpu(s - m);
    }
  }
  // Two arrays: mx is read after the second reduction starts (wgsl-ops.ts reduceWgsl).
  let mx = reduce64_max(tid, m, 1u);
  let inv = 1.0 / reduce64_sum(tid, l * exp_cpu(m - mx), 0u);

  // Pass 2: per tile of 64 keys, the probabilities, then o += p_j * v_j in key order.
  var acc: array<vec2<f32>, NC>;
  for (var b = j0; b < n; b += ${WG}u) {
    let j = b + tid;
    var pj = 0.0;
    let r = slot(j) * row + head;
    if (j < n) { pj = ${f16 ? 'round_f16(exp_cpu(score(r, half) - mx) * inv)' : 'exp_cpu(score(r, half) - mx) * inv'}; }
    ps[tid] = pj;
    pr[tid] = r;
    workgroupBarrier();
    let count = min(${WG}u, n - b);
    for (var c = 0u; c < NC; c++) {
      let i = tid + ${WG}u * c;
      if (i < half) {
        var a = acc[c];
        for (var jj = 0u; jj < count; jj++) { a += ps[jj] * v2(pr[jj] + i); }
        acc[c] = a;
      }
    }
    workgroupBarrier();
  }
  for (var c = 0u; c < NC; c++) {
    let i = tid + ${WG}u * c;
    if (i < half) {
      O[q + 2u * i] = acc[c].x;
      O[q + 2u * i + 1u] = acc[c].y;
    }
  }
}`;
}
