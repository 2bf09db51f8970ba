// Inline helpers of the relaxed-SIMD kernels (kernels/relaxed/*.cpp only, CHORD_RELAXED_SIMD
// builds): the two relaxed integer dot products and the 7-bit / sign split of signed weights.
#pragma once
#include <wasm_simd128.h>

namespace chord::kernels::relaxed {

// i16 lanes: a[2i] * w[2i] + a[2i + 1] * w[2i + 1] (a int8, w in 0..127: |lane| <= 32512, exact).
inline v128_t dot16(v128_t a, v128_t w) { return wasm_i16x8_relaxed_dot_i8x16_i7x16(a, w); }

// acc + the i32 lane sums of four products each (a int8, w in 0..127).
inline v128_t dot32(v128_t a, v128_t w, v128_t acc) { return wasm_i32x4_relaxed_dot_i8x16_i7x16_add(a, w, acc); }

// i32 lanes: pairwise sums of i16 lanes.
inline v128_t widen(v128_t v) { return wasm_i32x4_extadd_pairwise_i16x8(v); }

// Signed bytes w = low7 - 128 * top: low7 = w & 0x7F, top = 1 where w < 0.
inline v128_t low7(v128_t w) { return wasm_v128_and(w, wasm_i8x16_splat(0x7F)); }
inline v128_t top1(v128_t w) { return wasm_u8x16_shr(w, 7); }

}  // namespace chord::kernels::relaxed
