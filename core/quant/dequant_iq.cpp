// Reference dequantization of the grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S,
// IQ1_M) and the ternary TQ1_0 / TQ2_0, as llama.cpp's dequantize_row_*: every type goes through
// one integer unpacking per 32-element sub-block (iq_unpack), which the reference dots share.
#include <cstddef>
#include <cstring>

#include "core/common/status.h"
#include "core/quant/fp16.h"
#include "core/quant/iq_grids.h"
#include "core/quant/rows.h"

namespace chord::quant {

namespace {

uint32_t load_u32(const void* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// 8 grid magnitudes with an 8-bit sign mask (bit j: element j negative) -> q[0..7].
void signed_group(const uint8_t* mag, uint32_t signs, int8_t* q) noexcept {
  for (int j = 0; j < 8; ++j) q[j] = static_cast<int8_t>((signs >> j) & 1 ? -mag[j] : mag[j]);
}
// Two 4-magnitude IQ3 entries as one group of 8.
void signed_group4(const uint8_t* m0, const uint8_t* m1, uint32_t signs, int8_t* q) noexcept {
  uint8_t mag[8];
  std::memcpy(mag, m0, 4);
  std::memcpy(mag + 4, m1, 4);
  signed_group(mag, signs, q);
}

void unpack_iq2_xxs(const BlockIQ2_XXS& b, int ib, IqSubBlock& o) noexcept {
  const auto* qs = reinterpret_cast<const uint8_t*>(b.qs) + 8 * ib;
  const uint32_t aux = load_u32(qs + 4);
  for (int l = 0; l < 4; ++l) signed_group(grid_bytes(kIq2xxsGrid, qs[l]), iq_signs8(aux >> (7 * l)), o.q + 8 * l);
  o.scale[0] = o.scale[1] = static_cast<int16_t>(2 * (aux >> 28) + 1);
}

void unpack_iq2_xs(const BlockIQ2_XS& b, int ib, IqSubBlock& o) noexcept {
  for (int l = 0; l < 4; ++l) {
    const uint16_t v = b.qs[4 * ib + l];
    signed_group(grid_bytes(kIq2xsGrid, v & 511), iq_signs8(v >> 9), o.q + 8 * l);
  }
  o.scale[0] = static_cast<int16_t>(2 * (b.scales[ib] & 15) + 1);
  o.scale[1] = static_cast<int16_t>(2 * (b.scales[ib] >> 4) + 1);
}

void unpack_iq2_s(const BlockIQ2_S& b, int ib, IqSubBlock& o) noexcept {
  for (int l = 0; l < 4; ++l) {
    const uint32_t idx = b.qs[4 * ib + l] | (((b.qh[ib] >> (2 * l)) & 3) << 8);
    signed_group(grid_bytes(kIq2sGrid, idx), b.qs[32 + 4 * ib + l], o.q + 8 * l);
  }
  o.scale[0] = static_cast<int16_t>(2 * (b.scales[ib] & 15) + 1);
  o.scale[1] = static_cast<int16_t>(2 * (b.scales[ib] >> 4) + 1);
}

void unpack_iq3_xxs(const BlockIQ3_XXS& b, int ib, IqSubBlock& o) noexcept {
  const uint8_t* qs = b.qs + 8 * ib;
  const uint32_t aux = load_u32(b.qs + 64 + 4 * ib);
  for (int l = 0; l < 4; ++l) {
    signed_group4(grid_bytes(kIq3xxsGrid, qs[2 * l]), grid_bytes(kIq3xxsGrid, qs[2 * l + 1]), iq_signs8(aux >> (7 * l)),
                  o.q + 8 * l);
  }
  o.scale[0] = o.scale[1] = static_cast<int16_t>(2 * (aux >> 28) + 1);
}

void unpack_iq3_s(const BlockIQ3_S& b, int ib, IqSubBlock& o) noexcept {
  const uint8_t* qs = b.qs + 8 * ib;
  const uint32_t qh = b.qh[ib];
  for (int l = 0; l < 4; ++l) {
    const uint32_t i0 = qs[2 * l] | (((qh >> (2 * l)) & 1) << 8);
    const uint32_t i1 = qs[2 * l + 1] | (((qh >> (2 * l + 1)) & 1) << 8);
    signed_group4(grid_bytes(kIq3sGrid, i0), grid_bytes(kIq3sGrid, i1), b.signs[4 * ib + l], o.q + 8 * l);
  }
  o.scale[0] = o.scale[1] = static_cast<int16_t>(2 * ((b.scales[ib / 2] >> (4 * (ib % 2))) & 15) + 1);
}

void unpack_iq1_s(const BlockIQ1_S& b, int ib, IqSubBlock& o) noexcept {
  const uint32_t qh = b.qh[ib];
  for (int l = 0; l < 4; ++l) {
    const uint32_t idx = b.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8);
    std::memcpy(o.q + 8 * l, grid_bytes(kIq1sGrid, idx), 8);
    o.delta[l] = static_cast<int8_t>(qh & 0x8000 ? -1 : 1);
  }
  o.scale[0] = o.scale[1] = static_cast<int16_t>(2 * ((qh >> 12) & 7) + 1);
}

uint16_t iq1_m_scales_u16(const BlockIQ1_M& b, int i) noexcept {
  return static_cast<uint16_t>(b.scales[2 * i] | (b.scales[2 * i + 1] << 8));
}

void unpack_iq1_m(const BlockIQ1_M& b, int ib, IqSubBlock& o) noexcept {
  for (int l = 0; l < 4; ++l) {
    const uint32_t nib = (b.qh[2 * ib + l / 2] >> (4 * (l % 2))) & 15;
    const uint32_t idx = b.qs[4 * ib + l] | ((nib & 7) << 8);
    std::memcpy(o.q + 8 * l, grid_bytes(kIq1sGrid, idx), 8);
    o.delta[l] = static_cast<int8_t>(nib & 8 ? -1 : 1);
  }
  const uint32_t sc = iq1_m_scales_u16(b, ib / 2) >> (6 * (ib % 2));
  o.scale[0] = static_cast<int16_t>(2 * (sc & 7) + 1);
  o.scale[1] = static_cast<int16_t>(2 * ((sc >> 3) & 7) + 1);
}

// Ternary: t - 1 of element e (layouts in blocks.h).
int8_t tq1_0_value(const BlockTQ1_0& b, int e) noexcept {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  uint8_t byte;
  int n;
  if (e < 160) {
    byte = b.qs[e % 32], n = e / 32;
  } else if (e < 240) {
    byte = b.qs[32 + (e - 160) % 16], n = (e - 160) / 16;
  } else {
    byte = b.qh[(e - 240) % 4], n = (e - 240) / 4;
  }
  const auto q = static_cast<uint8_t>(byte * kPow3[n]);  // digit n moved to the top (mod 256)
  return static_cast<int8_t>(((q * 3) >> 8) - 1);
}

void unpack_tq(GgmlType t, const void* block, int ib, IqSubBlock& o) noexcept {
  for (int k = 0; k < 32; ++k) {
    const int e = 32 * ib + k;
    if (t == GgmlType::TQ1_0) {
      o.q[k] = tq1_0_value(*static_cast<const BlockTQ1_0*>(block), e);
    } else {
      const auto& b = *static_cast<const BlockTQ2_0*>(block);
      o.q[k] = static_cast<int8_t>(((b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3) - 1);
    }
  }
  o.scale[0] = o.scale[1] = 1;
}

template <class B>
const B& as(const void* p) noexcept {
  return *static_cast<const B*>(p);
}

// y[0..256) of one block: mul * d * scale * (q + delta / 8), in llama.cpp's float order
// (db = d * scale-factor once, then db * value; mul is a power of two, so it commutes exactly).
void dequantize_block(GgmlType t, const void* block, float* y) noexcept {
  const float d = fp16_to_fp32(iq_block_d(t, block));
  const float mul = iq_grid_mul(t);
  IqSubBlock s{};
  for (int ib = 0; ib < kQK_K / 32; ++ib) {
    iq_unpack(t, block, ib, s);
    for (int h = 0; h < 2; ++h) {
      const float db = d * static_cast<float>(s.scale[h]) * mul;
      for (int e = 16 * h; e < 16 * h + 16; ++e)
        y[32 * ib + e] = db * (static_cast<float>(s.q[e]) + kIq1Delta * static_cast<float>(s.delta[e / 8]));
    }
  }
}

template <class B>
void dequantize_rows(GgmlType t, const B* x, float* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n / kQK_K; ++i) dequantize_block(t, &x[i], y + i * kQK_K);
}

// Byte offset of d (not IQ1_M).
size_t d_offset(GgmlType t) noexcept {
  return t == GgmlType::TQ1_0 ? offsetof(BlockTQ1_0, d) : t == GgmlType::TQ2_0 ? offsetof(BlockTQ2_0, d) : 0;
}

}  // namespace

void iq_unpack(GgmlType t, const void* block, int ib, IqSubBlock& out) noexcept {
  out.delta[0] = out.delta[1] = out.delta[2] = out.delta[3] = 0;
  switch (t) {
    case GgmlType::IQ2_XXS:
      return unpack_iq2_xxs(as<BlockIQ2_XXS>(block), ib, out);
    case GgmlType::IQ2_XS:
      return unpack_iq2_xs(as<BlockIQ2_XS>(block), ib, out);
    case GgmlType::IQ2_S:
      return unpack_iq2_s(as<BlockIQ2_S>(block), ib, out);
    case GgmlType::IQ3_XXS:
      return unpack_iq3_xxs(as<BlockIQ3_XXS>(block), ib, out);
    case GgmlType::IQ3_S:
      return unpack_iq3_s(as<BlockIQ3_S>(block), ib, out);
    case GgmlType::IQ1_S:
      return unpack_iq1_s(as<BlockIQ1_S>(block), ib, out);
    case GgmlType::IQ1_M:
      return unpack_iq1_m(as<BlockIQ1_M>(block), ib, out);
    case GgmlType::TQ1_0:
    case GgmlType::TQ2_0:
      return unpack_tq(t, block, ib, out);
    default:
      CHORD_CHECK(false && "iq_unpack: not a grid I-quant or ternary type");
  }
}

uint16_t iq_block_d(GgmlType t, const void* block) noexcept {
  if (t == GgmlType::IQ1_M) {  // the top nibbles of the 4 scale u16, lowest first
    const auto& b = as<BlockIQ1_M>(block);
    uint16_t d = 0;
    for (int i = 0; i < 4; ++i) d = static_cast<uint16_t>(d | ((iq1_m_scales_u16(b, i) >> 12) << (4 * i)));
    return d;
  }
  uint16_t d;  // every other grid I-quant starts with d; the ternary types end with it
  std::memcpy(&d, static_cast<const uint8_t*>(block) + d_offset(t), 2);
  return d;
}

void iq_set_block_d(GgmlType t, void* block, uint16_t d) noexcept {
  if (t == GgmlType::IQ1_M) {
    auto& b = *static_cast<BlockIQ1_M*>(block);
    for (int i = 0; i < 4; ++i)
      b.scales[2 * i + 1] = static_cast<uint8_t>((b.scales[2 * i + 1] & 0x0F) | (((d >> (4 * i)) & 15) << 4));
    return;
  }
  std::memcpy(static_cast<uint8_t*>(block) + d_offset(t), &d, 2);
}

void dequantize_row_iq2_xxs(const BlockIQ2_XXS* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ2_XXS, x, y, n);
}
void dequantize_row_iq2_xs(const BlockIQ2_XS* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ2_XS, x, y, n);
}
void dequantize_row_iq2_s(const BlockIQ2_S* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ2_S, x, y, n);
}
void dequantize_row_iq3_xxs(const BlockIQ3_XXS* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ3_XXS, x, y, n);
}
void dequantize_row_iq3_s(const BlockIQ3_S* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ3_S, x, y, n);
}
void dequantize_row_iq1_s(const BlockIQ1_S* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ1_S, x, y, n);
}
void dequantize_row_iq1_m(const BlockIQ1_M* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::IQ1_M, x, y, n);
}
void dequantize_row_tq1_0(const BlockTQ1_0* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::TQ1_0, x, y, n);
}
void dequantize_row_tq2_0(const BlockTQ2_0* x, float* y, int64_t n) noexcept {
  dequantize_rows(GgmlType::TQ2_0, x, y, n);
}

}  // namespace chord::quant
