// SIMD128 dot products of the grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M)
// and the ternary TQ1_0 / TQ2_0 with Q8_K, on the super-block framework of superblock.h (multi-row
// and packed activations) with the block walks of unpack_grid.h.
#include "core/quant/blocks.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/superblock.h"
#include "kernels/simd128/unpack_grid.h"

namespace chord::kernels::simd128 {

namespace {

using namespace superblock;
using quant::BlockIQ1_M;
using quant::BlockIQ1_S;
using quant::BlockIQ2_S;
using quant::BlockIQ2_XS;
using quant::BlockIQ2_XXS;
using quant::BlockIQ3_S;
using quant::BlockIQ3_XXS;

constexpr auto unpack_iq2_xxs = unpack<fmt::IQ2XXS>;
constexpr auto unpack_iq2_xs = unpack<fmt::IQ2XS>;
constexpr auto unpack_iq2_s = unpack<fmt::IQ2S>;
constexpr auto unpack_iq3_xxs = unpack<fmt::IQ3XXS>;
constexpr auto unpack_iq3_s = unpack<fmt::IQ3S>;
constexpr auto unpack_iq1_s = unpack<fmt::IQ1S>;
constexpr auto unpack_iq1_m = unpack<fmt::IQ1M>;
constexpr auto unpack_tq1_0 = unpack<fmt::TQ1>;
constexpr auto unpack_tq2_0 = unpack<fmt::TQ2>;

}  // namespace

#define CHORD_IQG(name, unpack, Block)                                                                                 \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                                             \
    float r;                                                                                                           \
    dot_nt<unpack, sizeof(Block), false, false, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a),  \
                                                   0, &r);                                                             \
    return r;                                                                                                          \
  }                                                                                                                    \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,                     \
                            float* out) noexcept {                                                                     \
    dot_multi<unpack, sizeof(Block), false, false>(n, w, a, a_stride, n_act, out);                                     \
  }                                                                                                                    \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept { \
    dot_multi<unpack, sizeof(Block), false, true>(n, w, a, a_stride, n_act, out);                                      \
  }
CHORD_IQG(iq2_xxs_q8_K, unpack_iq2_xxs, BlockIQ2_XXS)
CHORD_IQG(iq2_xs_q8_K, unpack_iq2_xs, BlockIQ2_XS)
CHORD_IQG(iq2_s_q8_K, unpack_iq2_s, BlockIQ2_S)
CHORD_IQG(iq3_xxs_q8_K, unpack_iq3_xxs, BlockIQ3_XXS)
CHORD_IQG(iq3_s_q8_K, unpack_iq3_s, BlockIQ3_S)
CHORD_IQG(iq1_s_q8_K, unpack_iq1_s, BlockIQ1_S)
CHORD_IQG(iq1_m_q8_K, unpack_iq1_m, BlockIQ1_M)
CHORD_IQG(tq1_0_q8_K, unpack_tq1_0, quant::BlockTQ1_0)
CHORD_IQG(tq2_0_q8_K, unpack_tq2_0, quant::BlockTQ2_0)
#undef CHORD_IQG

int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w, const void* a) noexcept {
  switch (t) {
    case GgmlType::IQ2_XXS:
      return block_int<unpack_iq2_xxs>(w, a, nullptr);
    case GgmlType::IQ2_XS:
      return block_int<unpack_iq2_xs>(w, a, nullptr);
    case GgmlType::IQ2_S:
      return block_int<unpack_iq2_s>(w, a, nullptr);
    case GgmlType::IQ3_XXS:
      return block_int<unpack_iq3_xxs>(w, a, nullptr);
    case GgmlType::IQ3_S:
      return block_int<unpack_iq3_s>(w, a, nullptr);
    case GgmlType::IQ1_S:
      return block_int<unpack_iq1_s>(w, a, nullptr);
    case GgmlType::IQ1_M:
      return block_int<unpack_iq1_m>(w, a, nullptr);
    case GgmlType::TQ1_0:
      return block_int<unpack_tq1_0>(w, a, nullptr);
    case GgmlType::TQ2_0:
      return block_int<unpack_tq2_0>(w, a, nullptr);
    default:
      return 0;
  }
}

}  // namespace chord::kernels::simd128
