// Block structs of the ggml quantized formats, byte for byte as llama.cpp ggml/src/ggml-common.h
// lays them out (QK_K = 256, K_SCALE_SIZE = 12). Halves (ggml_half) are raw uint16_t bits.
// Blocks inside a GGUF tensor are packed back to back: pointers must be aligned to alignof(block)
// (2 bytes; 4 for BlockQ8_K, which only exists in scratch memory).
#pragma once
#include <cstdint>

namespace chord::quant {

constexpr int kQK4_0 = 32;
constexpr int kQK4_1 = 32;
constexpr int kQK5_0 = 32;
constexpr int kQK5_1 = 32;
constexpr int kQK8_0 = 32;
constexpr int kQK8_1 = 32;
constexpr int kQK_K = 256;  // super-block size of the K-quants
constexpr int kQK4_NL = 32;
constexpr int kKScaleSize = 12;  // packed 6-bit scales + mins of Q4_K / Q5_K

// x = d * (q - 8), q in 0..15. qs[j] holds element j (low nibble) and j + 16 (high nibble).
struct BlockQ4_0 {
  uint16_t d;              // f16 delta
  uint8_t qs[kQK4_0 / 2];  // (16) nibbles
};

// x = d * q + m, q in 0..15; nibble order as Q4_0.
struct BlockQ4_1 {
  uint16_t d;              // f16 delta
  uint16_t m;              // f16 min
  uint8_t qs[kQK4_1 / 2];  // (16) nibbles
};

// x = d * (q - 16), q in 0..31: low 4 bits in qs (as Q4_0), bit 4 of element j in bit j of qh.
struct BlockQ5_0 {
  uint16_t d;              // f16 delta
  uint8_t qh[4];           // little-endian uint32: 5th bit of each of the 32 quants
  uint8_t qs[kQK5_0 / 2];  // (16) low nibbles
};

// x = d * q + m, q in 0..31; bits as Q5_0.
struct BlockQ5_1 {
  uint16_t d;              // f16 delta
  uint16_t m;              // f16 min
  uint8_t qh[4];           // 5th bits
  uint8_t qs[kQK5_1 / 2];  // (16) low nibbles
};

// x = d * q.
struct BlockQ8_0 {
  uint16_t d;         // f16 delta
  int8_t qs[kQK8_0];  // (32) quants
};

// x = d * q; s = d * sum(q) (the Q4_1/Q5_1 dot products use it for the min term).
struct BlockQ8_1 {
  uint16_t d;         // f16 delta
  uint16_t s;         // f16 d * sum(qs[i])
  int8_t qs[kQK8_1];  // (32) quants
};

// 16 sub-blocks of 16: x = d * (scales[j] & 15) * q - dmin * (scales[j] >> 4), q in 0..3.
// qs: for each half (128 elements) 32 bytes; bits 2k..2k+1 of byte l hold element 32k + l.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // (16) low nibble scale, high nibble min
  uint8_t qs[kQK_K / 4];       // (64) 2-bit quants
  uint16_t d;                  // f16 super-block scale for the scales
  uint16_t dmin;               // f16 super-block scale for the mins
};

// 16 sub-blocks of 16: x = d * (s6[j] - 32) * (q - 4 * !hbit), q2 layout as Q2_K;
// hmask bit k of byte l is the high bit of element 32k + l; scales are 16 6-bit values packed.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];  // (32) high bits
  uint8_t qs[kQK_K / 4];     // (64) low 2 bits
  uint8_t scales[12];        // 16 6-bit scales: low 4 bits in bytes 0..7, high 2 bits in 8..11
  uint16_t d;                // f16 super-block scale
};

// 8 sub-blocks of 32: x = d * sc[j] * q - dmin * m[j], q in 0..15, 6-bit sc/m packed in scales
// (get_scale_min_k4 layout). qs: per 64 elements 32 bytes, low nibble first 32, high the next.
struct BlockQ4_K {
  uint16_t d;                   // f16 super-block scale for the scales
  uint16_t dmin;                // f16 super-block scale for the mins
  uint8_t scales[kKScaleSize];  // 8 scales + 8 mins, 6 bits each
  uint8_t qs[kQK_K / 2];        // (128) 4-bit quants
};

// As Q4_K with a 5th bit: qh bit (2i) / (2i+1) of byte l is for element 64i + l / 64i + 32 + l.
struct BlockQ5_K {
  uint16_t d;                   // f16 super-block scale for the scales
  uint16_t dmin;                // f16 super-block scale for the mins
  uint8_t scales[kKScaleSize];  // 8 scales + 8 mins, 6 bits each
  uint8_t qh[kQK_K / 8];        // (32) high bits
  uint8_t qs[kQK_K / 2];        // (128) low 4 bits
};

// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q in 0..63 (low 4 bits in ql, high 2 in qh).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // (128) low 4 bits
  uint8_t qh[kQK_K / 4];      // (64) high 2 bits
  int8_t scales[kQK_K / 16];  // (16) 8-bit scales
  uint16_t d;                 // f16 super-block scale
};

// Activation format of the K-quant dot products (never stored in files).
struct BlockQ8_K {
  float d;                    // delta (f32)
  int8_t qs[kQK_K];           // (256) quants
  int16_t bsums[kQK_K / 16];  // (16) sum of qs in each group of 16
};

// The 16 non-linear 4-bit codebook values of IQ4_NL / IQ4_XS (ggml-common.h kvalues_iq4nl),
// ascending.
alignas(16) inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                        1,    13,   25,  38,  53,  69,  89,  113};

// x = d * kIq4nlValues[q], q in 0..15; nibble order as Q4_0.
struct BlockIQ4_NL {
  uint16_t d;               // f16 delta
  uint8_t qs[kQK4_NL / 2];  // (16) codebook indices
};

// 8 sub-blocks of 32: x = d * (ls[j] - 32) * kIq4nlValues[q], 6-bit ls[j] with its low 4 bits in
// scales_l (nibble j % 2 of byte j / 2) and its high 2 bits at bit 2j of scales_h; qs as IQ4_NL per
// sub-block (16 bytes each).
struct BlockIQ4_XS {
  uint16_t d;                    // f16 super-block scale
  uint16_t scales_h;             // high 2 bits of the 8 sub-block scales
  uint8_t scales_l[kQK_K / 64];  // (4) low 4 bits of the scales
  uint8_t qs[kQK_K / 2];         // (128) codebook indices
};

// The 6-bit scale (0..63, used as ls - 32) of IQ4_XS sub-block j (0..7).
inline int iq4_xs_scale(const BlockIQ4_XS& b, int j) noexcept {
  return ((b.scales_l[j / 2] >> (4 * (j % 2))) & 0xF) | (((b.scales_h >> (2 * j)) & 3) << 4);
}

// The grid I-quants (codebooks and the shared integer unpacking in iq_grids.h). Each block is 8
// sub-blocks of 32 elements, each sub-block 4 groups of 8 picked from a grid, with signs and odd
// sub-block scales 2s + 1; d is the f16 block scale. Value formulas per type in iq_grids.h.

// Sub-block ib: qs[4ib..4ib+3] read as two u32, the first 4 bytes are kIq2xxsGrid indices of the
// 4 groups, the second holds 4 7-bit sign codes (bits 7l..7l+6) and s in bits 28..31.
struct BlockIQ2_XXS {
  uint16_t d;
  uint16_t qs[kQK_K / 8];  // (32)
};

// qs[4ib + l]: kIq2xsGrid index in bits 0..8, 7-bit sign code in bits 9..15; scales[ib]: s of
// groups 0-1 in the low nibble, of groups 2-3 in the high nibble.
struct BlockIQ2_XS {
  uint16_t d;
  uint16_t qs[kQK_K / 8];      // (32)
  uint8_t scales[kQK_K / 32];  // (8)
};

// qs[4ib + l]: low 8 bits of the kIq2sGrid index, bits 8-9 at bits 2l..2l+1 of qh[ib];
// qs[32 + 4ib + l]: the 8 signs of group l (bit j: element j negative); scales as IQ2_XS.
struct BlockIQ2_S {
  uint16_t d;
  uint8_t qs[kQK_K / 4];       // (64) indices (32), then signs (32)
  uint8_t qh[kQK_K / 32];      // (8)
  uint8_t scales[kQK_K / 32];  // (8)
};

// qs[8ib + k]: kIq3xxsGrid index of elements 4k..4k+3; qs[64 + 4ib..] as a u32: 4 7-bit sign
// codes (per 8 elements) and s in bits 28..31.
struct BlockIQ3_XXS {
  uint16_t d;
  uint8_t qs[3 * kQK_K / 8];  // (96)
};

// qs[8ib + k]: low 8 bits of the kIq3sGrid index of elements 4k..4k+3, bit 8 at bit k of qh[ib];
// signs[4ib + l]: the 8 signs of group l; scales[ib / 2]: s in nibble ib % 2.
struct BlockIQ3_S {
  uint16_t d;
  uint8_t qs[kQK_K / 4];       // (64)
  uint8_t qh[kQK_K / 32];      // (8)
  uint8_t signs[kQK_K / 8];    // (32)
  uint8_t scales[kQK_K / 64];  // (4)
};

// qs[4ib + l] | ((qh[ib] >> 3l) & 7) << 8: kIq1sGrid index of group l; qh[ib] bits 12..14: s,
// bit 15: delta -1 (else +1).
struct BlockIQ1_S {
  uint16_t d;
  uint8_t qs[kQK_K / 8];    // (32)
  uint16_t qh[kQK_K / 32];  // (8)
};

// qs[4ib + l] | bits 8..10 from qh[2ib + l / 2] (low nibble for even l, high for odd; the nibble's
// bit 3: delta -1); scales read as 4 u16: bits 6(ib%2)..+2 and +3..+5 of u16 ib / 2 are s of the two
// halves of sub-block ib; the top nibbles of the 4 u16 form the f16 d (u16 0 lowest).
struct BlockIQ1_M {
  uint8_t qs[kQK_K / 8];       // (32)
  uint8_t qh[kQK_K / 16];      // (16)
  uint8_t scales[kQK_K / 32];  // (8)
};

// Ternary types: x = d * (t - 1), t in 0..2 (the 2-bit code 3 decodes as 2). They share the grid
// I-quants' unpacking (scale 1, no shift; iq_grids.h).
// TQ1_0: base-3 digits, 5 per byte: digit n of byte b is ((b * 3^n mod 256) * 3) >> 8. Byte m of
// qs[0..31] holds elements 32n + m, byte m of qs[32..47] elements 160 + 16n + m, qh[j] elements
// 240 + 4n + j (n = 0..3 there).
struct BlockTQ1_0 {
  uint8_t qs[48];  // 240 elements
  uint8_t qh[4];   // 16 elements
  uint16_t d;
};

// TQ2_0: element 128h + 32l + m is bits 2l..2l+1 of qs[32h + m].
struct BlockTQ2_0 {
  uint8_t qs[kQK_K / 4];  // (64)
  uint16_t d;
};

// Their sizes are static_asserted against ggml's figures in the type table (types.h).

}  // namespace chord::quant
