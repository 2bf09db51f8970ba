// The per-weight-type kernel table (like ggml's type traits): how activations are quantized for a
// weight type and the dot product between one weight row and one quantized activation row.
// One table indexed by type id: the reference kernels, with the SIMD128 entries of simd128 builds
// laid over them field by field, and the relaxed-SIMD entries over those in relaxed builds (ops()). Dispatch happens
// once per matmul, never per block.
#pragma once
#include <cstdint>
#include <span>

#include "core/quant/types.h"

namespace chord::kernels {

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
  GgmlType act_type = GgmlType::F32;      // what activations are converted to (llama.cpp's vec_dot_type)
  FromFloatFn from_float = nullptr;       // f32 -> act_type (the reference: act_type's quantizer)
  VecDotFn vec_dot = nullptr;             // weight row . activation row
  VecDotMultiFn vec_dot_multi = nullptr;  // optional (SIMD tables): several activation rows at once
  PackedBytesFn packed_bytes = nullptr;   // optional packed path (all three set, or none)
  PackFn pack = nullptr;
  VecDotMultiFn dot_packed = nullptr;
};

// nullptr for types we cannot compute with.
const TypeOps* ref_ops(GgmlType wtype) noexcept;  // the reference kernels alone
const TypeOps* ops(GgmlType wtype) noexcept;      // the active table: reference + SIMD entries

// A SIMD128 table entry (kernels/simd128/ops_simd.cpp, compiled only in CHORD_SIMD128 builds): the
// functions it sets replace the reference ones for wtype; the activation type stays the
// reference's, so a SIMD from_float must write the same bytes as the reference one (tests compare).
struct OpOverride {
  GgmlType wtype;
  FromFloatFn from_float = nullptr;
  VecDotFn vec_dot = nullptr;
  VecDotMultiFn vec_dot_multi = nullptr;
  PackedBytesFn packed_bytes = nullptr;
  PackFn pack = nullptr;
  VecDotMultiFn dot_packed = nullptr;
};
std::span<const OpOverride> simd128_overrides() noexcept;
// The relaxed-SIMD entries (kernels/relaxed/ops_relaxed.cpp, CHORD_RELAXED_SIMD builds), laid over
// the SIMD128 ones: each replaces every dot kernel of its type (vec_dot, vec_dot_multi and the
// packed triple, even where it sets none of the latter).
std::span<const OpOverride> relaxed_overrides() noexcept;

// Which kernel set the active table holds: "relaxed-simd", "simd128" or "scalar".
const char* kernel_set() noexcept;

}  // namespace chord::kernels
