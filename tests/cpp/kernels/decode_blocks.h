// Test-side decoders: integer quants, per-16 scales and mins of one block, read straight from the
// layouts documented in core/quant/blocks.h (written independently of the kernels' unpacking), so
// the kernels' integer block sums can be checked exactly.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/iq_grids.h"
#include "core/quant/types.h"

namespace chord::test {

// Up to 256 quants; for the 32-element formats only q[0..31] and group 0/1 are used.
struct Decoded {
  int q[256];
  int scale16[16];  // multiplier of each 16-element group's integer sum (1 for legacy types)
  int min16[16];    // multiplier of each group's activation sum (0 when the type has no min)
  int delta8[32];   // IQ1_S / IQ1_M: the +-1 shift (in eighths) of each 8 elements; 0 otherwise
};

// Grid entry i, element j (the grids are data from ggml-common.h; element j in byte j).
inline int grid_at(const uint64_t* g, uint32_t i, int j) { return static_cast<int8_t>((g[i] >> (8 * j)) & 0xFF); }
inline int grid_at(const uint32_t* g, uint32_t i, int j) { return static_cast<int>((g[i] >> (8 * j)) & 0xFF); }
// 7 stored sign bits plus their parity as the 8th (ggml's ksigns_iq2xs); element j negative: -1.
inline int sign7(uint32_t code, int j) {
  int ones = 0;
  for (int k = 0; k < 7; ++k) ones += (code >> k) & 1;
  const uint32_t full = (code & 127) | ((ones & 1) << 7);
  return (full >> j) & 1 ? -1 : 1;
}
inline uint32_t le16(const uint8_t* p) { return p[0] | (p[1] << 8); }
inline uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }

// The grid I-quants, element e = 32 ib + 8 l + j, from the byte offsets of ggml-common.h's structs.
inline void decode_grid_iq(GgmlType t, const uint8_t* p, Decoded& d) {
  using namespace chord::quant;
  for (int ib = 0; ib < 8; ++ib) {
    for (int l = 0; l < 4; ++l) {
      for (int j = 0; j < 8; ++j) {
        const int e = 32 * ib + 8 * l + j;
        int v = 0;
        switch (t) {
          case GgmlType::IQ2_XXS: {  // d, then per ib: 4 index bytes, u32 of signs + scale
            const uint8_t* q = p + 2 + 8 * ib;
            v = grid_at(kIq2xxsGrid, q[l], j) * sign7(le32(q + 4) >> (7 * l), j);
            break;
          }
          case GgmlType::IQ2_XS: {  // d, u16 qs[32], scales[8]
            const uint32_t w = le16(p + 2 + 2 * (4 * ib + l));
            v = grid_at(kIq2xsGrid, w & 511, j) * sign7(w >> 9, j);
            break;
          }
          case GgmlType::IQ2_S: {  // d, qs[32], signs[32], qh[8], scales[8]
            const uint32_t idx = p[2 + 4 * ib + l] | (((p[66 + ib] >> (2 * l)) & 3) << 8);
            v = grid_at(kIq2sGrid, idx, j) * ((p[34 + 4 * ib + l] >> j) & 1 ? -1 : 1);
            break;
          }
          case GgmlType::IQ3_XXS: {  // d, qs[64], then u32 signs + scale per ib
            const int k = 2 * l + j / 4;
            v = grid_at(kIq3xxsGrid, p[2 + 8 * ib + k], j % 4) * sign7(le32(p + 66 + 4 * ib) >> (7 * l), j);
            break;
          }
          case GgmlType::IQ3_S: {  // d, qs[64], qh[8], signs[32], scales[4]
            const int k = 2 * l + j / 4;
            const uint32_t idx = p[2 + 8 * ib + k] | (((p[66 + ib] >> k) & 1) << 8);
            v = grid_at(kIq3sGrid, idx, j % 4) * ((p[74 + 4 * ib + l] >> j) & 1 ? -1 : 1);
            break;
          }
          case GgmlType::IQ1_S: {  // d, qs[32], u16 qh[8]
            const uint32_t qh = le16(p + 34 + 2 * ib);
            v = grid_at(kIq1sGrid, p[2 + 4 * ib + l] | (((qh >> (3 * l)) & 7) << 8), j);
            d.delta8[e / 8] = (qh >> 15) ? -1 : 1;
            break;
          }
          case GgmlType::IQ1_M: {  // qs[32], qh[16], scales[8]
            const uint32_t nib = (p[32 + 2 * ib + l / 2] >> (4 * (l % 2))) & 15;
            v = grid_at(kIq1sGrid, p[4 * ib + l] | ((nib & 7) << 8), j);
            d.delta8[e / 8] = (nib & 8) ? -1 : 1;
            break;
          }
          default:
            break;
        }
        d.q[e] = v;
      }
    }
    // Odd scales 2s + 1 of the two 16-element halves.
    int s0 = 0, s1 = 0;
    switch (t) {
      case GgmlType::IQ2_XXS:
        s0 = s1 = static_cast<int>(le32(p + 2 + 8 * ib + 4) >> 28);
        break;
      case GgmlType::IQ2_XS:
        s0 = p[66 + ib] & 15, s1 = p[66 + ib] >> 4;
        break;
      case GgmlType::IQ2_S:
        s0 = p[74 + ib] & 15, s1 = p[74 + ib] >> 4;
        break;
      case GgmlType::IQ3_XXS:
        s0 = s1 = static_cast<int>(le32(p + 66 + 4 * ib) >> 28);
        break;
      case GgmlType::IQ3_S:
        s0 = s1 = (p[106 + ib / 2] >> (4 * (ib % 2))) & 15;
        break;
      case GgmlType::IQ1_S:
        s0 = s1 = (le16(p + 34 + 2 * ib) >> 12) & 7;
        break;
      case GgmlType::IQ1_M: {
        const uint32_t sc = le16(p + 48 + 2 * (ib / 2)) >> (6 * (ib % 2));
        s0 = sc & 7, s1 = (sc >> 3) & 7;
        break;
      }
      default:
        break;
    }
    d.scale16[2 * ib] = 2 * s0 + 1;
    d.scale16[2 * ib + 1] = 2 * s1 + 1;
  }
}

inline int k4_scale(const uint8_t* s, int j, bool min) {
  if (j < 4) return min ? (s[j + 4] & 63) : (s[j] & 63);
  return min ? ((s[j + 4] >> 4) + 16 * (s[j] >> 6)) : ((s[j + 4] & 15) + 16 * (s[j - 4] >> 6));
}

// Weight block of type t at p.
inline Decoded decode_weights(GgmlType t, const uint8_t* p) {
  Decoded d{};
  for (int g = 0; g < 16; ++g) d.scale16[g] = 1, d.min16[g] = 0;
  using namespace chord::quant;
  switch (t) {
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ3_S:
    case GgmlType::IQ1_S:
    case GgmlType::IQ1_M:
      decode_grid_iq(t, p, d);
      break;
    case GgmlType::TQ1_0: {  // base-3 digits, as ggml's dequantize_row_tq1_0 walks them
      static constexpr int kPow3[5] = {1, 3, 9, 27, 81};
      int e = 0;
      auto digit = [&](uint8_t byte, int n) { return ((static_cast<uint8_t>(byte * kPow3[n]) * 3) >> 8) - 1; };
      for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 32; ++m) d.q[e++] = digit(p[m], n);
      for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 16; ++m) d.q[e++] = digit(p[32 + m], n);
      for (int n = 0; n < 4; ++n)
        for (int j = 0; j < 4; ++j) d.q[e++] = digit(p[48 + j], n);
      break;
    }
    case GgmlType::TQ2_0:  // 2-bit codes, 4 per byte, minus 1
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 4; ++l)
          for (int m = 0; m < 32; ++m) d.q[128 * h + 32 * l + m] = ((p[32 * h + m] >> (2 * l)) & 3) - 1;
      break;
    case GgmlType::Q4_0:
    case GgmlType::Q4_1: {
      const uint8_t* qs = p + (t == GgmlType::Q4_0 ? 2 : 4);
      for (int e = 0; e < 32; ++e) {
        const int nib = e < 16 ? (qs[e] & 15) : (qs[e - 16] >> 4);
        d.q[e] = t == GgmlType::Q4_0 ? nib - 8 : nib;
      }
      break;
    }
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: {
      const uint8_t* qh = p + (t == GgmlType::Q5_0 ? 2 : 4);
      const uint8_t* qs = qh + 4;
      uint32_t h;
      std::memcpy(&h, qh, 4);  // little-endian (x86 and wasm)
      for (int e = 0; e < 32; ++e) {
        const int nib = e < 16 ? (qs[e] & 15) : (qs[e - 16] >> 4);
        const int v = nib + 16 * static_cast<int>((h >> e) & 1);
        d.q[e] = t == GgmlType::Q5_0 ? v - 16 : v;
      }
      break;
    }
    case GgmlType::Q8_0:
      for (int e = 0; e < 32; ++e) d.q[e] = static_cast<int8_t>(p[2 + e]);
      break;
    case GgmlType::Q2_K: {
      const auto* b = reinterpret_cast<const BlockQ2_K*>(p);
      for (int e = 0; e < 256; ++e) d.q[e] = (b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
      for (int g = 0; g < 16; ++g) d.scale16[g] = b->scales[g] & 15, d.min16[g] = b->scales[g] >> 4;
      break;
    }
    case GgmlType::Q3_K: {
      const auto* b = reinterpret_cast<const BlockQ3_K*>(p);
      for (int e = 0; e < 256; ++e) {
        const int lo = (b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        d.q[e] = lo - (((b->hmask[e % 32] >> (e / 32)) & 1) ? 0 : 4);
      }
      for (int g = 0; g < 16; ++g) {
        const int low4 = g < 8 ? (b->scales[g] & 15) : (b->scales[g - 8] >> 4);
        d.scale16[g] = low4 + 16 * ((b->scales[8 + g % 4] >> (2 * (g / 4))) & 3) - 32;
      }
      break;
    }
    case GgmlType::Q4_K:
    case GgmlType::Q5_K: {
      const bool five = t == GgmlType::Q5_K;
      const uint8_t* scales = p + 4;
      const uint8_t* qh = five ? p + 16 : nullptr;
      const uint8_t* qs = five ? p + 48 : p + 16;
      for (int e = 0; e < 256; ++e) {
        const uint8_t byte = qs[32 * (e / 64) + e % 32];
        d.q[e] = ((e % 64) < 32 ? (byte & 15) : (byte >> 4)) + (qh ? 16 * ((qh[e % 32] >> (e / 32)) & 1) : 0);
      }
      for (int g = 0; g < 16; ++g)
        d.scale16[g] = k4_scale(scales, g / 2, false), d.min16[g] = k4_scale(scales, g / 2, true);
      break;
    }
    case GgmlType::Q6_K: {
      const auto* b = reinterpret_cast<const BlockQ6_K*>(p);
      for (int e = 0; e < 256; ++e) {
        const int h = e / 128, k = (e % 128) / 32, l = e % 32;
        const uint8_t lb = b->ql[64 * h + 32 * (k & 1) + l];
        d.q[e] = (k < 2 ? (lb & 15) : (lb >> 4)) + 16 * ((b->qh[32 * h + l] >> (2 * k)) & 3) - 32;
      }
      for (int g = 0; g < 16; ++g) d.scale16[g] = b->scales[g];
      break;
    }
    // The I-quant codebook written out again here (ggml-common.h kvalues_iq4nl).
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS: {
      static constexpr int kBook[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
      const bool xs = t == GgmlType::IQ4_XS;
      const uint8_t* qs = p + (xs ? 8 : 2);  // IQ4_XS: d, scales_h (u16), scales_l[4], qs
      const int n = xs ? 256 : 32;
      for (int e = 0; e < n; ++e) {
        const uint8_t byte = qs[16 * (e / 32) + e % 16];
        d.q[e] = kBook[(e % 32) < 16 ? (byte & 15) : (byte >> 4)];
      }
      if (xs) {
        const int sh = p[2] | (p[3] << 8);
        for (int g = 0; g < 16; ++g) {
          const int j = g / 2;
          d.scale16[g] = (((p[4 + j / 2] >> (4 * (j % 2))) & 15) | (((sh >> (2 * j)) & 3) << 4)) - 32;
        }
      }
      break;
    }
    default:
      break;
  }
  return d;
}

// Activation quants: Q8_0 (2-byte d), Q8_1 (d, s), Q8_K (4-byte d).
inline const int8_t* activation_quants(GgmlType t, const uint8_t* p) {
  return reinterpret_cast<const int8_t*>(p + (t == GgmlType::Q8_0 ? 2 : 4));
}

}  // namespace chord::test
