// The per-weight-type op tables: reference (scalar) kernels, and the dispatch to the SIMD128 table
// in wasm SIMD builds. The activation type per weight type is llama.cpp's CPU vec_dot_type.
#include "kernels/ops.h"

#include <cstring>

#include "core/quant/fp16.h"
#include "core/quant/rows.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels {

namespace {

void from_float_f32(const float* x, void* y, int64_t n) {
  std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}
void from_float_f16(const float* x, void* y, int64_t n) {
  auto* h = static_cast<uint16_t*>(y);
  for (int64_t i = 0; i < n; ++i) h[i] = quant::fp32_to_fp16(x[i]);
}
void from_float_bf16(const float* x, void* y, int64_t n) {
  auto* h = static_cast<uint16_t*>(y);
  for (int64_t i = 0; i < n; ++i) h[i] = quant::fp32_to_bf16(x[i]);
}
void from_float_q8_0(const float* x, void* y, int64_t n) {
  quant::quantize_row_q8_0(x, static_cast<quant::BlockQ8_0*>(y), n);
}
void from_float_q8_1(const float* x, void* y, int64_t n) {
  quant::quantize_row_q8_1(x, static_cast<quant::BlockQ8_1*>(y), n);
}
void from_float_q8_k(const float* x, void* y, int64_t n) {
  quant::quantize_row_q8_K(x, static_cast<quant::BlockQ8_K*>(y), n);
}

constexpr TypeOps kF32{GgmlType::F32, from_float_f32, ref::vec_dot_f32_f32};
constexpr TypeOps kF16{GgmlType::F16, from_float_f16, ref::vec_dot_f16_f16};
constexpr TypeOps kBF16{GgmlType::BF16, from_float_bf16, ref::vec_dot_bf16_bf16};
constexpr TypeOps kQ4_0{GgmlType::Q8_0, from_float_q8_0, ref::vec_dot_q4_0_q8_0};
constexpr TypeOps kQ4_1{GgmlType::Q8_1, from_float_q8_1, ref::vec_dot_q4_1_q8_1};
constexpr TypeOps kQ5_0{GgmlType::Q8_0, from_float_q8_0, ref::vec_dot_q5_0_q8_0};
constexpr TypeOps kQ5_1{GgmlType::Q8_1, from_float_q8_1, ref::vec_dot_q5_1_q8_1};
constexpr TypeOps kQ8_0{GgmlType::Q8_0, from_float_q8_0, ref::vec_dot_q8_0_q8_0};
constexpr TypeOps kQ2_K{GgmlType::Q8_K, from_float_q8_k, ref::vec_dot_q2_K_q8_K};
constexpr TypeOps kQ3_K{GgmlType::Q8_K, from_float_q8_k, ref::vec_dot_q3_K_q8_K};
constexpr TypeOps kQ4_K{GgmlType::Q8_K, from_float_q8_k, ref::vec_dot_q4_K_q8_K};
constexpr TypeOps kQ5_K{GgmlType::Q8_K, from_float_q8_k, ref::vec_dot_q5_K_q8_K};
constexpr TypeOps kQ6_K{GgmlType::Q8_K, from_float_q8_k, ref::vec_dot_q6_K_q8_K};

}  // namespace

const TypeOps* ref_ops(GgmlType wtype) noexcept {
  switch (wtype) {
    case GgmlType::F32: return &kF32;
    case GgmlType::F16: return &kF16;
    case GgmlType::BF16: return &kBF16;
    case GgmlType::Q4_0: return &kQ4_0;
    case GgmlType::Q4_1: return &kQ4_1;
    case GgmlType::Q5_0: return &kQ5_0;
    case GgmlType::Q5_1: return &kQ5_1;
    case GgmlType::Q8_0: return &kQ8_0;
    case GgmlType::Q2_K: return &kQ2_K;
    case GgmlType::Q3_K: return &kQ3_K;
    case GgmlType::Q4_K: return &kQ4_K;
    case GgmlType::Q5_K: return &kQ5_K;
    case GgmlType::Q6_K: return &kQ6_K;
    default: return nullptr;  // Q8_1 / Q8_K are activation formats; IQ*, TQ*, MXFP4 not supported
  }
}

// simd128_ops() is defined in kernels/simd128/ops_simd.cpp (compiled only in SIMD wasm builds).
const TypeOps* ops(GgmlType wtype) noexcept {
#ifdef CHORD_SIMD128
  if (const TypeOps* s = simd128_ops(wtype)) return s;
#endif
  return ref_ops(wtype);
}

}  // namespace chord::kernels
