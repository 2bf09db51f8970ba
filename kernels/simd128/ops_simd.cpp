// The SIMD128 entries of the kernel table (kernels/ops.cpp lays them over the reference ones in
// CHORD_SIMD128 builds): from_float, vec_dot, multi-row and packed kernels per weight type.
#include "kernels/ops.h"
#include "kernels/simd128/simd128.h"

namespace chord::kernels {

namespace {

namespace s = simd128;
using G = GgmlType;

constexpr OpOverride kSimd[] = {
    {G::F32, nullptr, s::vec_dot_f32_f32, s::vec_dot_multi_f32_f32},
    {G::F16, s::from_float_f16, s::vec_dot_f16_f16, s::vec_dot_multi_f16_f16},
    {G::BF16, s::from_float_bf16, s::vec_dot_bf16_bf16, s::vec_dot_multi_bf16_bf16},
    {G::Q4_0, s::from_float_q8_0, s::vec_dot_q4_0_q8_0, s::vec_dot_multi_q4_0_q8_0, s::packed_bytes_q8_0, s::pack_q8_0,
     s::dot_packed_q4_0_q8_0},
    {G::Q4_1, s::from_float_q8_1, s::vec_dot_q4_1_q8_1, s::vec_dot_multi_q4_1_q8_1, s::packed_bytes_q8_1, s::pack_q8_1,
     s::dot_packed_q4_1_q8_1},
    {G::Q5_0, s::from_float_q8_0, s::vec_dot_q5_0_q8_0, s::vec_dot_multi_q5_0_q8_0},
    {G::Q5_1, s::from_float_q8_1, s::vec_dot_q5_1_q8_1, s::vec_dot_multi_q5_1_q8_1},
    {G::Q8_0, s::from_float_q8_0, s::vec_dot_q8_0_q8_0, s::vec_dot_multi_q8_0_q8_0, s::packed_bytes_q8_0, s::pack_q8_0,
     s::dot_packed_q8_0_q8_0},
    {G::Q2_K, s::from_float_q8_K, s::vec_dot_q2_K_q8_K, s::vec_dot_multi_q2_K_q8_K},
    {G::Q3_K, s::from_float_q8_K, s::vec_dot_q3_K_q8_K, s::vec_dot_multi_q3_K_q8_K},
    {G::Q4_K, s::from_float_q8_K, s::vec_dot_q4_K_q8_K, s::vec_dot_multi_q4_K_q8_K, s::packed_bytes_q8_K, s::pack_q8_K,
     s::dot_packed_q4_K_q8_K},
    {G::Q5_K, s::from_float_q8_K, s::vec_dot_q5_K_q8_K, s::vec_dot_multi_q5_K_q8_K, s::packed_bytes_q8_K, s::pack_q8_K,
     s::dot_packed_q5_K_q8_K},
    {G::Q6_K, s::from_float_q8_K, s::vec_dot_q6_K_q8_K, s::vec_dot_multi_q6_K_q8_K},
    {G::IQ4_NL, s::from_float_q8_0, s::vec_dot_iq4_nl_q8_0, s::vec_dot_multi_iq4_nl_q8_0},
    {G::IQ4_XS, s::from_float_q8_K, s::vec_dot_iq4_xs_q8_K, s::vec_dot_multi_iq4_xs_q8_K, s::packed_bytes_q8_K,
     s::pack_q8_K, s::dot_packed_iq4_xs_q8_K},
#define CHORD_IQG(T, name)                                                                                    \
  {                                                                                                           \
    G::T, s::from_float_q8_K, s::vec_dot_##name, s::vec_dot_multi_##name, s::packed_bytes_q8_K, s::pack_q8_K, \
        s::dot_packed_##name                                                                                  \
  }
    CHORD_IQG(IQ2_XXS, iq2_xxs_q8_K),
    CHORD_IQG(IQ2_XS, iq2_xs_q8_K),
    CHORD_IQG(IQ2_S, iq2_s_q8_K),
    CHORD_IQG(IQ3_XXS, iq3_xxs_q8_K),
    CHORD_IQG(IQ3_S, iq3_s_q8_K),
    CHORD_IQG(IQ1_S, iq1_s_q8_K),
    CHORD_IQG(IQ1_M, iq1_m_q8_K),
    CHORD_IQG(TQ1_0, tq1_0_q8_K),
    CHORD_IQG(TQ2_0, tq2_0_q8_K),
#undef CHORD_IQG
};

}  // namespace

std::span<const OpOverride> simd128_overrides() noexcept { return kSimd; }

}  // namespace chord::kernels
