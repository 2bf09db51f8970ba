// The relaxed-SIMD entries of the kernel table (kernels/ops.cpp lays them over the SIMD128 ones in
// CHORD_RELAXED_SIMD builds). An entry replaces all dot kernels of its type at once (vec_dot, the
// multi-row one and the packed path, which the K-quants here do not need), so the three always
// agree; from_float stays the SIMD128 one (same bytes as the reference). Q8_0 keeps the SIMD128
// kernels: its signed weights need two relaxed dots per 16 (low 7 bits, sign bits), and the paired
// kernel bench (scripts/bench/bench_kernels.cpp, one thread) measured them 0.86x (prefill) and 0.91x
// (decode) of the SIMD128 packed path; relaxed::*_q8_0_q8_0 stay tested for exactness.
// The grid I-quants and ternary types (signed values offset into 0..127, kernels/relaxed/dot_k.cpp)
// measured paired against the SIMD128 build of the same toolchain (scripts/bench/kernels-pair.mjs
// --secs 0.5 --cpu, 1 thread, Node 24, best of 3; relaxed / SIMD128 matvec, prefill): IQ2_XXS 1.04,
// 1.19; IQ2_XS 1.09, 1.18; IQ2_S 1.11, 1.22; IQ3_XXS 1.01, 1.18; IQ3_S 1.06, 1.23; IQ1_S 1.25, 1.54;
// IQ1_M 1.06, 1.19; TQ1_0 1.04, 1.15; TQ2_0 1.32, 1.66: none slower, all relaxed.
#include "kernels/ops.h"
#include "kernels/relaxed/relaxed.h"

namespace chord::kernels {

namespace {

namespace r = relaxed;
using G = GgmlType;

constexpr OpOverride kRelaxed[] = {
    {G::Q4_0, nullptr, r::vec_dot_q4_0_q8_0, r::vec_dot_multi_q4_0_q8_0, r::packed_bytes_q8_0, r::pack_q8_0,
     r::dot_packed_q4_0_q8_0},
    {G::Q4_1, nullptr, r::vec_dot_q4_1_q8_1, r::vec_dot_multi_q4_1_q8_1, r::packed_bytes_q8_1, r::pack_q8_1,
     r::dot_packed_q4_1_q8_1},
    {G::Q5_0, nullptr, r::vec_dot_q5_0_q8_0, r::vec_dot_multi_q5_0_q8_0, r::packed_bytes_q8_0, r::pack_q8_0,
     r::dot_packed_q5_0_q8_0},
    {G::Q5_1, nullptr, r::vec_dot_q5_1_q8_1, r::vec_dot_multi_q5_1_q8_1, r::packed_bytes_q8_1, r::pack_q8_1,
     r::dot_packed_q5_1_q8_1},
    {G::IQ4_NL, nullptr, r::vec_dot_iq4_nl_q8_0, r::vec_dot_multi_iq4_nl_q8_0, r::packed_bytes_q8_0, r::pack_q8_0,
     r::dot_packed_iq4_nl_q8_0},
    {G::Q2_K, nullptr, r::vec_dot_q2_K_q8_K, r::vec_dot_multi_q2_K_q8_K},
    {G::Q3_K, nullptr, r::vec_dot_q3_K_q8_K, r::vec_dot_multi_q3_K_q8_K},
    {G::Q4_K, nullptr, r::vec_dot_q4_K_q8_K, r::vec_dot_multi_q4_K_q8_K},
    {G::Q5_K, nullptr, r::vec_dot_q5_K_q8_K, r::vec_dot_multi_q5_K_q8_K},
    {G::Q6_K, nullptr, r::vec_dot_q6_K_q8_K, r::vec_dot_multi_q6_K_q8_K},
    {G::IQ4_XS, nullptr, r::vec_dot_iq4_xs_q8_K, r::vec_dot_multi_iq4_xs_q8_K},
    {G::IQ2_XXS, nullptr, r::vec_dot_iq2_xxs_q8_K, r::vec_dot_multi_iq2_xxs_q8_K},
    {G::IQ2_XS, nullptr, r::vec_dot_iq2_xs_q8_K, r::vec_dot_multi_iq2_xs_q8_K},
    {G::IQ2_S, nullptr, r::vec_dot_iq2_s_q8_K, r::vec_dot_multi_iq2_s_q8_K},
    {G::IQ3_XXS, nullptr, r::vec_dot_iq3_xxs_q8_K, r::vec_dot_multi_iq3_xxs_q8_K},
    {G::IQ3_S, nullptr, r::vec_dot_iq3_s_q8_K, r::vec_dot_multi_iq3_s_q8_K},
    {G::IQ1_S, nullptr, r::vec_dot_iq1_s_q8_K, r::vec_dot_multi_iq1_s_q8_K},
    {G::IQ1_M, nullptr, r::vec_dot_iq1_m_q8_K, r::vec_dot_multi_iq1_m_q8_K},
    {G::TQ1_0, nullptr, r::vec_dot_tq1_0_q8_K, r::vec_dot_multi_tq1_0_q8_K},
    {G::TQ2_0, nullptr, r::vec_dot_tq2_0_q8_K, r::vec_dot_multi_tq2_0_q8_K},
};

}  // namespace

std::span<const OpOverride> relaxed_overrides() noexcept { return kRelaxed; }

}  // namespace chord::kernels
