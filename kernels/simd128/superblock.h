// The super-block dot framework of the SIMD128 K-quant style kernels (dot_k.cpp, dot_iq_grid.cpp):
// a 256-element weight block is unpacked once (the shared block walks of unpack_k.h, unpack_grid.h)
// into int16 weights (quant times sub-block scale) in the packed-activation lane order, then every
// activation row (raw Q8_K or packed) takes 32 i32x4.dot_i16x8 against it; exact int32 block sums,
// one f32 scaling per block. Only included from kernels/simd128/*.cpp (CHORD_SIMD128 builds).
#pragma once
#include <wasm_simd128.h>

#include <cstdint>

#include "core/quant/blocks.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128::superblock {

using quant::BlockQ8_K;

// One super-block, unpacked.
struct Unpacked {
  alignas(16) int16_t w[256];    // q * sub-block scale, element order
  alignas(16) int16_t mins[16];  // per-16 min multiplier (0 for types without mins)
  float d = 0, dmin = 0;
};

// Writes the 16 int8 values of v (elements 16g .. 16g + 15) times scale as 16 int16 at w, in the
// lane order of the packed activations: the 8 even-indexed elements, then the 8 odd-indexed ones.
inline void store_scaled_s(v128_t v, int scale, int16_t* w) {
  const v128_t s = wasm_i16x8_splat(static_cast<int16_t>(scale));
  wasm_v128_store(w, wasm_i16x8_mul(wasm_i16x8_shr(wasm_i16x8_shl(v, 8), 8), s));
  wasm_v128_store(w + 8, wasm_i16x8_mul(wasm_i16x8_shr(v, 8), s));
}
inline void store_scaled_u(v128_t v, int scale, int16_t* w) {
  const v128_t s = wasm_i16x8_splat(static_cast<int16_t>(scale));
  wasm_v128_store(w, wasm_i16x8_mul(wasm_v128_and(v, wasm_i16x8_splat(0x00FF)), s));
  wasm_v128_store(w + 8, wasm_i16x8_mul(wasm_u16x8_shr(v, 8), s));
}

// The sink of the shared block walks (unpack_k.h, unpack_grid.h) filling Unpacked.
template <bool Unsigned>
struct Sink {
  Unpacked* u;
  void group(int g, v128_t v, int scale) {
    if constexpr (Unsigned) {
      store_scaled_u(v, scale, u->w + 16 * g);
    } else {
      store_scaled_s(v, scale, u->w + 16 * g);
    }
  }
  void mins(v128_t lo, v128_t hi) {
    wasm_v128_store(u->mins, lo);
    wasm_v128_store(u->mins + 8, hi);
  }
  void scale(float d, float dmin) { u->d = d, u->dmin = dmin; }
};

// One super-block of format F (fmt:: traits) unpacked (the walk inlined, as a hand-written unpacking would be).
template <class F>
void unpack(const uint8_t* p, Unpacked* u) {
  Sink<F::kUnsigned> s{u};
  F::walk(p, s);
}

// i32x4 partial sums of the 256 products of the unpacked weights with activation quants q (raw
// Q8_K bytes, split into even / odd elements like the weights).
inline v128_t dot256(const int16_t* w, const int8_t* q) {
  v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
  for (int i = 0; i < 16; ++i) {
    const v128_t a = wasm_v128_load(q + 16 * i);
    s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 16 * i), wasm_i16x8_shr(wasm_i16x8_shl(a, 8), 8)));
    s1 = wasm_i32x4_add(s1, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 16 * i + 8), wasm_i16x8_shr(a, 8)));
  }
  return wasm_i32x4_add(s0, s1);
}

// The same with activations already packed to int16 in that order (pack_q8_K).
inline v128_t dot256_packed(const int16_t* w, const int16_t* q) {
  v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
  for (int i = 0; i < 32; i += 2) {
    s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 8 * i), wasm_v128_load(q + 8 * i)));
    s1 = wasm_i32x4_add(s1, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 8 * i + 8), wasm_v128_load(q + 8 * i + 8)));
  }
  return wasm_i32x4_add(s0, s1);
}

// i32x4 partial sums of mins . bsums.
inline v128_t dot_mins(const int16_t* mins, const int16_t* bsums) {
  return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(mins), wasm_v128_load(bsums)),
                        wasm_i32x4_dot_i16x8(wasm_v128_load(mins + 8), wasm_v128_load(bsums + 8)));
}

inline uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

// NT activation rows (a_stride bytes apart), raw Q8_K or packed (Packed). Per super-block the
// integer sums are reduced to one int32 (exact) and scaled in f32, identically in both forms.
template <void (*Unpack)(const uint8_t*, Unpacked*), int WBytes, bool Min, bool Packed, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 256;
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * sizeof(BlockQ8_K));
  float acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = 0.0f;
  Unpacked u;
  for (int64_t b = 0; b < nb; ++b) {
    Unpack(w + b * WBytes, &u);
    for (int t = 0; t < NT; ++t) {
      const uint8_t* row = a + t * a_stride;
      const auto* y = reinterpret_cast<const BlockQ8_K*>(row) + b;
      const v128_t iv =
          Packed ? dot256_packed(u.w, reinterpret_cast<const int16_t*>(row + p0) + b * 256) : dot256(u.w, y->qs);
      float term = static_cast<float>(hsum_i32(iv)) * (u.d * y->d);
      if constexpr (Min) term -= static_cast<float>(hsum_i32(dot_mins(u.mins, y->bsums))) * (u.dmin * y->d);
      acc[t] += term;
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

template <void (*Unpack)(const uint8_t*, Unpacked*), int WBytes, bool Min, bool Packed>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  for_row_tiles(a, a_stride, n_act, out, [&]<int NT>(const uint8_t* ap, float* o) {
    dot_nt<Unpack, WBytes, Min, Packed, NT>(n, wp, ap, a_stride, o);
  });
}

template <void (*Unpack)(const uint8_t*, Unpacked*)>
int32_t block_int(const void* w_block, const void* a_block, int32_t* min_sum) {
  Unpacked u;
  Unpack(static_cast<const uint8_t*>(w_block), &u);
  const auto* y = static_cast<const BlockQ8_K*>(a_block);
  if (min_sum) *min_sum = hsum_i32(dot_mins(u.mins, y->bsums));
  return hsum_i32(dot256(u.w, y->qs));
}

}  // namespace chord::kernels::simd128::superblock
