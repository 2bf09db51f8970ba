// The SIMD128 op table that kernels::ops() picks in CHORD_SIMD128 builds: every weight type the
// reference supports, with the reference's activation type and SIMD from_float/vec_dot/multi.
#include "kernels/ops.h"
#include "kernels/simd128/simd128.h"

namespace chord::kernels {

namespace {

namespace s = simd128;

void from_float_f32(const float* x, void* y, int64_t n) { ref_ops(GgmlType::F32)->from_float(x, y, n); }

constexpr TypeOps kF32{GgmlType::F32, from_float_f32, s::vec_dot_f32_f32, s::vec_dot_multi_f32_f32};
constexpr TypeOps kF16{GgmlType::F16, s::from_float_f16, s::vec_dot_f16_f16, s::vec_dot_multi_f16_f16};
constexpr TypeOps kBF16{GgmlType::BF16, s::from_float_bf16, s::vec_dot_bf16_bf16, s::vec_dot_multi_bf16_bf16};
constexpr TypeOps kQ4_0{GgmlType::Q8_0, s::from_float_q8_0, s::vec_dot_q4_0_q8_0, s::vec_dot_multi_q4_0_q8_0,
                          s::packed_bytes_q8_0, s::pack_q8_0, s::dot_packed_q4_0_q8_0};
constexpr TypeOps kQ4_1{GgmlType::Q8_1, s::from_float_q8_1, s::vec_dot_q4_1_q8_1, s::vec_dot_multi_q4_1_q8_1,
                          s::packed_bytes_q8_1, s::pack_q8_1, s::dot_packed_q4_1_q8_1};
constexpr TypeOps kQ5_0{GgmlType::Q8_0, s::from_float_q8_0, s::vec_dot_q5_0_q8_0, s::vec_dot_multi_q5_0_q8_0};
constexpr TypeOps kQ5_1{GgmlType::Q8_1, s::from_float_q8_1, s::vec_dot_q5_1_q8_1, s::vec_dot_multi_q5_1_q8_1};
constexpr TypeOps kQ8_0{GgmlType::Q8_0, s::from_float_q8_0, s::vec_dot_q8_0_q8_0, s::vec_dot_multi_q8_0_q8_0,
                          s::packed_bytes_q8_0, s::pack_q8_0, s::dot_packed_q8_0_q8_0};
constexpr TypeOps kQ2_K{GgmlType::Q8_K, s::from_float_q8_K, s::vec_dot_q2_K_q8_K, s::vec_dot_multi_q2_K_q8_K};
constexpr TypeOps kQ3_K{GgmlType::Q8_K, s::from_float_q8_K, s::vec_dot_q3_K_q8_K, s::vec_dot_multi_q3_K_q8_K};
constexpr TypeOps kQ4_K{GgmlType::Q8_K, s::from_float_q8_K, s::vec_dot_q4_K_q8_K, s::vec_dot_multi_q4_K_q8_K,
                          s::packed_bytes_q8_K, s::pack_q8_K, s::dot_packed_q4_K_q8_K};
constexpr TypeOps kQ5_K{GgmlType::Q8_K, s::from_float_q8_K, s::vec_dot_q5_K_q8_K, s::vec_dot_multi_q5_K_q8_K,
                          s::packed_bytes_q8_K, s::pack_q8_K, s::dot_packed_q5_K_q8_K};
constexpr TypeOps kQ6_K{GgmlType::Q8_K, s::from_float_q8_K, s::vec_dot_q6_K_q8_K, s::vec_dot_multi_q6_K_q8_K};

}  // namespace

const TypeOps* simd128_ops(GgmlType wtype) noexcept {
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
    default: return nullptr;
  }
}

}  // namespace chord::kernels
