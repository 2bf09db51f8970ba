// Test-side decoders: integer quants, per-16 scales and mins of one block, read straight from the
// layouts documented in core/quant/blocks.h (written independently of the kernels' unpacking), so
// the kernels' integer block sums can be checked exactly.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/types.h"

namespace chord::test {

// Up to 256 quants; for the 32-element formats only q[0..31] and group 0/1 are used.
struct Decoded {
  int q[256];
  int scale16[16];  // multiplier of each 16-element group's integer sum (1 for legacy types)
  int min16[16];    // multiplier of each group's activation sum (0 when the type has no min)
};

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
