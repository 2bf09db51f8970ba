// The grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M): their codebook grids
// (llama.cpp ggml-common.h, data in iq_grids.cpp), the sign rule, and one integer unpacking of a
// 32-element sub-block shared by the reference dequantizer and the reference dot products.
#pragma once
#include <bit>
#include <cstdint>

#include "core/quant/types.h"

namespace chord::quant {

// Each entry holds one group of elements, element j in byte j (little-endian, as on x86 and wasm).
extern const uint64_t kIq2xxsGrid[256];  // 8 magnitudes in {8, 25, 43}
extern const uint64_t kIq2xsGrid[512];   // same values, more patterns
extern const uint64_t kIq2sGrid[1024];
extern const uint32_t kIq3xxsGrid[256];  // 4 magnitudes in {4, 12, ..., 52, 62}
extern const uint32_t kIq3sGrid[512];    // 4 magnitudes in {1, 3, ..., 15}
extern const uint64_t kIq1sGrid[2048];   // 8 signed bytes in {-1, 0, +1} (IQ1_S and IQ1_M)

inline const uint8_t* grid_bytes(const uint64_t* grid, uint32_t i) noexcept {
  return reinterpret_cast<const uint8_t*>(grid + i);
}
inline const uint8_t* grid_bytes(const uint32_t* grid, uint32_t i) noexcept {
  return reinterpret_cast<const uint8_t*>(grid + i);
}

// IQ2_XXS / IQ2_XS / IQ3_XXS store 7 sign bits per 8 elements; the 8th is their parity, so an even
// number of the 8 are negative (ggml's ksigns_iq2xs). Bit j set: element j negative.
constexpr uint8_t iq_signs8(uint32_t s7) noexcept {
  return static_cast<uint8_t>((s7 & 127) | ((std::popcount(s7 & 127) & 1) << 7));
}

// The IQ1 grids' shift: values are grid +- 1/8 (IQ1S_DELTA / IQ1M_DELTA).
inline constexpr float kIq1Delta = 0.125f;

// One 32-element sub-block as integers: element e is
//   mul(type) * d * scale[e / 16] * (q[e] + delta[e / 8] / 8),
// with d the block's f16 scale and mul(type) = iq_grid_mul(type) (a power of two).
struct IqSubBlock {
  int8_t q[32];      // signed grid values
  int16_t scale[2];  // odd sub-block scales 2s + 1 (per 16 elements)
  int8_t delta[4];   // IQ1_S / IQ1_M: +-1 per 8 elements; 0 for the other types
};

// True for the seven types above.
constexpr bool is_grid_iq(GgmlType t) noexcept {
  return t == GgmlType::IQ2_XXS || t == GgmlType::IQ2_XS || t == GgmlType::IQ2_S || t == GgmlType::IQ3_XXS ||
         t == GgmlType::IQ3_S || t == GgmlType::IQ1_S || t == GgmlType::IQ1_M;
}
// The types on the shared unpacking below (and without a quantizer here): the grid I-quants and
// the ternary TQ1_0 / TQ2_0 (q in -1..2, scale 1, no shift).
constexpr bool has_iq_unpack(GgmlType t) noexcept {
  return is_grid_iq(t) || t == GgmlType::TQ1_0 || t == GgmlType::TQ2_0;
}

// The power of two by which llama.cpp's formulas scale d * (2s + 1): 1/8 for the IQ2 types,
// 1/4 for IQ3_XXS, 1 for IQ3_S, the IQ1 and the ternary types.
constexpr float iq_grid_mul(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
      return 0.125f;
    case GgmlType::IQ3_XXS:
      return 0.25f;
    default:
      return 1.0f;
  }
}

// Sub-block ib (0..7) of one block of type t (has_iq_unpack(t)).
void iq_unpack(GgmlType t, const void* block, int ib, IqSubBlock& out) noexcept;
// The block's f16 scale d (IQ1_M: assembled from the top nibbles of its scales).
uint16_t iq_block_d(GgmlType t, const void* block) noexcept;
// Writes the block's f16 scale (the inverse of iq_block_d; the other bits stay).
void iq_set_block_d(GgmlType t, void* block, uint16_t d) noexcept;

// Valid random blocks for the has_iq_unpack types (which have no quantizer here): random indices, signs
// and scales, then each block's d set so its values have root-mean-square `rms` (chord-synth and
// tests). n is a multiple of 256; the bytes depend only on (seed, n, rms).
void random_row_iq(GgmlType t, uint64_t seed, float rms, void* y, int64_t n) noexcept;

}  // namespace chord::quant
