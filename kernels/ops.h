// The per-weight-type op table (like ggml's type traits): how activations are quantized for a
// weight type and the dot product between one weight row and one quantized activation row.
// ops() returns the SIMD table in simd128 builds (per type, where one exists) and the reference
// table otherwise.
#pragma once
#include <cstdint>

#include "core/quant/types.h"

namespace chord::kernels {

using FromFloatFn = void (*)(const float* x, void* y, int64_t n);
// Dot product of n elements: w is a row of the weight type, a a row of act_type.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
// One weight row with n_act activation rows a + t * a_stride (bytes): out[t] = vec_dot(n, w, row t),
// bit for bit; the weight row is unpacked once for all of them (prefill).
using VecDotMultiFn = void (*)(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out);

// Optional packed-activation path (SIMD tables): an activation row written by from_float is
// extended in place by pack() into a kernel-friendly layout occupying packed_bytes(n) bytes in all
// (the from_float bytes stay at its start); dot_packed reads such rows (a_stride apart) and gives
// exactly vec_dot's results, faster because the per-row unpacking of activations is done once.
using PackedBytesFn = uint64_t (*)(int64_t n);
using PackFn = void (*)(void* row, int64_t n);

struct TypeOps {
  GgmlType act_type;     // what activations are converted to (Q8_0, Q8_1, Q8_K, F16, F32)
  FromFloatFn from_float;  // f32 -> act_type
  VecDotFn vec_dot;        // weight row . activation row
  VecDotMultiFn vec_dot_multi = nullptr;  // optional (SIMD tables): several activation rows at once
  PackedBytesFn packed_bytes = nullptr;   // optional packed path (all three set, or none)
  PackFn pack = nullptr;
  VecDotMultiFn dot_packed = nullptr;
};

// nullptr for types we cannot compute with.
const TypeOps* ref_ops(GgmlType wtype) noexcept;
const TypeOps* ops(GgmlType wtype) noexcept;  // best available implementation

// The wasm SIMD128 table (kernels/simd128/), consulted by ops() in CHORD_SIMD128 builds: nullptr
// for a type without a SIMD kernel, so ops() falls back to the reference table for it. Its
// act_type must equal ref_ops(wtype)'s, and a SIMD from_float must write the same bytes as the
// reference one (tests compare them).
const TypeOps* simd128_ops(GgmlType wtype) noexcept;

}  // namespace chord::kernels
