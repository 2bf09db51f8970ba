// The C++ reference kernels (core/quant, kernels/ref) exposed to JS so the WebGPU kernels
// (js/src/webgpu) can be tested against the spec: quantize/dequantize rows of any block format and
// the scalar row operations of the forward pass. Thin wrappers; every size is checked first. The
// WebGPU backend also computes with two of them: refDequantizeRows (types it has no decoder for)
// and refRopeAngles (RoPE's cos/sin, the very floats the CPU forward pass rotates with). kernel*:
// the CPU backend's own kernels (kernels/nn.h: SIMD where built), for what the GPU matches bit for bit.
#include <emscripten/bind.h>

#include <cmath>
#include <string>
#include <vector>

#include "bindings/result.h"
#include "core/quant/quant.h"
#include "kernels/nn.h"
#include "kernels/ref/nn_ref.h"

namespace chord::bind {
namespace {

// The type's TypeInfo when `cols` is a whole number of its blocks, else nullptr.
const TypeInfo* row_type(uint32_t type, double rows, double cols) {
  if (type >= kTypeCount || !(rows >= 0) || !(cols > 0) || rows * cols > 1e9) return nullptr;
  const TypeInfo* ti = type_info(static_cast<GgmlType>(type));
  if (!ti || !ti->name || ti->block_size == 0) return nullptr;
  return static_cast<uint64_t>(cols) % ti->block_size == 0 ? ti : nullptr;
}

std::vector<float> floats(const val& v) { return emscripten::convertJSArrayToNumberVector<float>(v); }

// rows x cols floats (row-major) -> the rows' block bytes, back to back.
val quantize_rows(uint32_t type, const val& x, double rows, double cols) {
  const TypeInfo* ti = row_type(type, rows, cols);
  if (!ti || !ti->from_float)
    return error_val(Code::unsupported, "quantizeRows: no reference quantizer for this type/size");
  const std::vector<float> src = floats(x);
  const auto r = static_cast<int64_t>(rows), c = static_cast<int64_t>(cols);
  if (static_cast<int64_t>(src.size()) != r * c)
    return error_val(Code::invalid_argument, "quantizeRows: rows * cols floats expected");
  const size_t row_bytes = static_cast<size_t>(c / ti->block_size) * ti->type_size;
  std::vector<uint8_t> out(row_bytes * static_cast<size_t>(r));
  for (int64_t i = 0; i < r; ++i)
    quant::quantize_row(static_cast<GgmlType>(type), src.data() + i * c, out.data() + i * row_bytes, c);
  return ok_val(copy_u8(out.data(), out.size()));
}

// The rows' block bytes -> rows x cols floats.
val dequantize_rows(uint32_t type, const val& bytes, double rows, double cols) {
  const TypeInfo* ti = row_type(type, rows, cols);
  if (!ti || !ti->to_float)
    return error_val(Code::unsupported, "dequantizeRows: no reference dequantizer for this type/size");
  const std::vector<uint8_t> src = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
  const auto r = static_cast<int64_t>(rows), c = static_cast<int64_t>(cols);
  const size_t row_bytes = static_cast<size_t>(c / ti->block_size) * ti->type_size;
  if (src.size() != row_bytes * static_cast<size_t>(r))
    return error_val(Code::invalid_argument, "dequantizeRows: byte count does not match rows x cols");
  std::vector<float> out(static_cast<size_t>(r * c));
  for (int64_t i = 0; i < r; ++i)
    quant::dequantize_row(static_cast<GgmlType>(type), src.data() + i * row_bytes, out.data() + i * c, c);
  return ok_val(copy_f32(out));
}

// Each row of x (rows x n) RMS-normalised and scaled by w (n).
val rms_norm(const val& x, const val& w, double eps) {
  const std::vector<float> xs = floats(x), ws = floats(w);
  const size_t n = ws.size();
  if (n == 0 || xs.size() % n != 0) return error_val(Code::invalid_argument, "refRmsNorm: x is not rows of w's length");
  std::vector<float> out(xs.size());
  for (size_t i = 0; i < xs.size(); i += n)
    kernels::ref::rms_norm(xs.data() + i, ws.data(), out.data() + i, static_cast<int64_t>(n), static_cast<float>(eps));
  return ok_val(copy_f32(out));
}

// Each row of x (rows x n) LayerNormed, scaled by w (n) and shifted by b (n, or empty: no bias).
val layer_norm(const val& x, const val& w, const val& b, double eps) {
  const std::vector<float> xs = floats(x), ws = floats(w), bs = floats(b);
  const size_t n = ws.size();
  if (n == 0 || xs.size() % n != 0 || (!bs.empty() && bs.size() != n))
    return error_val(Code::invalid_argument, "refLayerNorm: x is not rows of w's length, or b is not w's length");
  std::vector<float> out(xs.size());
  for (size_t i = 0; i < xs.size(); i += n)
    kernels::ref::layer_norm(xs.data() + i, ws.data(), bs.empty() ? nullptr : bs.data(), out.data() + i,
                             static_cast<int64_t>(n), static_cast<float>(eps));
  return ok_val(copy_f32(out));
}

// gelu(x) elementwise (ref::gelu: tanh GELU through f16, as ggml's table).
val gelu(const val& x) {
  std::vector<float> xs = floats(x);
  kernels::ref::gelu(xs.data(), static_cast<int64_t>(xs.size()));
  return ok_val(copy_f32(xs));
}

// cos and sin (n_rot / 2 each) at position pos, times attn_factor: Context::rope_table's row
// (kernels rope_angles, then LongRoPE's magnitude correction). factors: empty or n_rot / 2 divisors.
void rope_row(int32_t pos, int32_t n_rot, float base, float freq_scale, const std::vector<float>& factors,
              float attn_factor, float* cos, float* sin) {
  const auto half = static_cast<int64_t>(n_rot / 2);
  kernels::ref::rope_angles(pos, n_rot, base, freq_scale, factors.empty() ? nullptr : factors.data(), cos, sin);
  if (attn_factor != 1.0f) {
    kernels::ref::scale(cos, attn_factor, half);
    kernels::ref::scale(sin, attn_factor, half);
  }
}

bool rope_args_ok(int32_t n_rot, const std::vector<float>& factors) {
  return n_rot > 0 && n_rot % 2 == 0 && n_rot <= 65536 &&
         (factors.empty() || factors.size() == static_cast<size_t>(n_rot / 2));
}

// x: (n_head, head_dim) at position pos; the first n_rot dims of each head rotated; factors: the
// n_rot / 2 frequency divisors, or empty; cos and sin times attn_factor (as Context::rope_table).
val rope(const val& x, int32_t head_dim, int32_t n_rot, int32_t pos, double base, double freq_scale, bool neox,
         const val& factors, double attn_factor) {
  std::vector<float> xs = floats(x);
  const std::vector<float> fs = floats(factors);
  if (head_dim <= 0 || !rope_args_ok(n_rot, fs) || n_rot > head_dim || xs.size() % static_cast<size_t>(head_dim))
    return error_val(Code::invalid_argument, "refRope: bad head_dim / n_rot / factors");
  std::vector<float> cos(static_cast<size_t>(n_rot / 2)), sin(cos.size());
  rope_row(pos, n_rot, static_cast<float>(base), static_cast<float>(freq_scale), fs, static_cast<float>(attn_factor),
           cos.data(), sin.data());
  for (size_t h = 0; h < xs.size(); h += static_cast<size_t>(head_dim))
    kernels::ref::rope(xs.data() + h, cos.data(), sin.data(), n_rot, neox);
  return ok_val(copy_f32(xs));
}

// The RoPE table of positions (n, i32): (n, n_rot / 2) pairs (cos, sin), each row rope_row's.
val rope_angles(const val& positions, int32_t n_rot, double base, double freq_scale, const val& factors,
                double attn_factor) {
  const std::vector<int32_t> pos = emscripten::convertJSArrayToNumberVector<int32_t>(positions);
  const std::vector<float> fs = floats(factors);
  if (!rope_args_ok(n_rot, fs) || pos.size() > (1u << 24))
    return error_val(Code::invalid_argument, "refRopeAngles: bad n_rot / factors / positions");
  const auto half = static_cast<size_t>(n_rot / 2);
  std::vector<float> cos(half), sin(half), out(pos.size() * half * 2);
  for (size_t t = 0; t < pos.size(); ++t) {
    rope_row(pos[t], n_rot, static_cast<float>(base), static_cast<float>(freq_scale), fs,
             static_cast<float>(attn_factor), cos.data(), sin.data());
    for (size_t i = 0; i < half; ++i) {
      out[(t * half + i) * 2] = cos[i];
      out[(t * half + i) * 2 + 1] = sin[i];
    }
  }
  return ok_val(copy_f32(out));
}

// f(gate, up) on copies: gate = act(gate) * up elementwise (the GLU kernels).
val gated(void (*f)(float*, const float*, int64_t), const val& gate, const val& up) {
  std::vector<float> g = floats(gate);
  const std::vector<float> u = floats(up);
  if (g.size() != u.size()) return error_val(Code::invalid_argument, "gate and up lengths differ");
  f(g.data(), u.data(), static_cast<int64_t>(g.size()));
  return ok_val(copy_f32(g));
}

// silu(gate) * up (ref::silu_mul) and gelu(gate) * up (ref::gelu_mul: tanh GELU through f16, as
// ggml's table); kernel*: the CPU backend's kernels::silu_mul / gelu_mul (SIMD).
val silu_mul(const val& gate, const val& up) { return gated(kernels::ref::silu_mul, gate, up); }
val kernel_silu_mul(const val& gate, const val& up) { return gated(kernels::silu_mul, gate, up); }
val gelu_mul(const val& gate, const val& up) { return gated(kernels::ref::gelu_mul, gate, up); }
val kernel_gelu_mul(const val& gate, const val& up) { return gated(kernels::gelu_mul, gate, up); }

// tanh(x / cap) * cap elementwise (ref::softcap).
val softcap(const val& x, double cap) {
  std::vector<float> xs = floats(x);
  if (!(cap > 0)) return error_val(Code::invalid_argument, "refSoftcap: cap must be positive");
  kernels::ref::softcap(xs.data(), static_cast<int64_t>(xs.size()), static_cast<float>(cap));
  return ok_val(copy_f32(xs));
}

// Attention of n_q query heads (q: n_q x head_dim) over n_kv cached rows of ONE kv head
// (k, v: n_kv x head_dim), softmax(softcap(q.k * scale)) . v per head (softcap 0: off): out n_q x head_dim.
// f16: the rows stored in an f16 cache first (KvCache::store) and attended as the CPU does over
// one (attend_group_f16: q and the probabilities rounded to f16).
val attend_impl(const val& q, const val& k, const val& v, int32_t head_dim, double n_kv, double scale, double softcap,
                bool f16) {
  const std::vector<float> qs = floats(q), ks = floats(k), vs = floats(v);
  const auto nk = static_cast<int64_t>(n_kv);
  if (head_dim <= 0 || nk <= 0 || qs.size() % static_cast<size_t>(head_dim) ||
      ks.size() != static_cast<size_t>(nk * head_dim) || vs.size() != ks.size())
    return error_val(Code::invalid_argument, "refAttend: bad shapes");
  const auto n_q = static_cast<int32_t>(qs.size() / static_cast<size_t>(head_dim));
  std::vector<float> scores(static_cast<size_t>(n_q * nk)), out(qs.size());
  if (f16) {
    std::vector<uint16_t> kh(ks.size()), vh(vs.size());
    kernels::ref::f32_to_f16(ks.data(), kh.data(), static_cast<int64_t>(ks.size()));
    kernels::ref::f32_to_f16(vs.data(), vh.data(), static_cast<int64_t>(vs.size()));
    kernels::ref::attend_group_f16(qs.data(), head_dim, n_q, kh.data(), head_dim, vh.data(), head_dim, nk, head_dim,
                                   static_cast<float>(scale), static_cast<float>(softcap), scores.data(), out.data(),
                                   head_dim);
  } else {
    kernels::ref::attend_group_f32(qs.data(), head_dim, n_q, ks.data(), head_dim, vs.data(), head_dim, nk, head_dim,
                                   static_cast<float>(scale), static_cast<float>(softcap), scores.data(), out.data(),
                                   head_dim);
  }
  return ok_val(copy_f32(out));
}

val attend(const val& q, const val& k, const val& v, int32_t head_dim, double n_kv, double scale, double softcap) {
  return attend_impl(q, k, v, head_dim, n_kv, scale, softcap, false);
}

// The same over an f16 cache (refAttendF16).
val attend_f16(const val& q, const val& k, const val& v, int32_t head_dim, double n_kv, double scale, double softcap) {
  return attend_impl(q, k, v, head_dim, n_kv, scale, softcap, true);
}

}  // namespace

EMSCRIPTEN_BINDINGS(chord_reference) {
  emscripten::function("refQuantizeRows", &quantize_rows);
  emscripten::function("refDequantizeRows", &dequantize_rows);
  emscripten::function("refRmsNorm", &rms_norm);
  emscripten::function("refLayerNorm", &layer_norm);
  emscripten::function("refGelu", &gelu);
  emscripten::function("refRope", &rope);
  emscripten::function("refRopeAngles", &rope_angles);
  emscripten::function("refSiluMul", &silu_mul);
  emscripten::function("kernelSiluMul", &kernel_silu_mul);
  emscripten::function("refAttend", &attend);
  emscripten::function("refAttendF16", &attend_f16);
  emscripten::function("refGeluMul", &gelu_mul);
  emscripten::function("kernelGeluMul", &kernel_gelu_mul);
  emscripten::function("refSoftcap", &softcap);
}

}  // namespace chord::bind
