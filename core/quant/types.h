// ggml tensor type ids (as stored in GGUF) and their type traits: one constexpr table indexed by
// type id with the name, block geometry and the reference row conversions (like ggml's
// type_traits). Ids and sizes from llama.cpp ggml/include/ggml.h and ggml/src/ggml-common.h.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/quant/rows.h"

namespace chord {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};
inline constexpr uint32_t kTypeCount = 40;  // ids 0..39 (4, 5, 31-33, 36-38 are retired/unused)

// n elements (a multiple of block_size): block bytes -> floats, and floats -> block bytes.
using ToFloatFn = void (*)(const void* x, float* y, int64_t n) noexcept;
using FromFloatFn = void (*)(const float* x, void* y, int64_t n) noexcept;

struct TypeInfo {
  const char* name = nullptr;        // as llama.cpp prints it; nullptr: id not defined by ggml
  uint32_t block_size = 0;           // elements per block (1 for plain types)
  uint32_t type_size = 0;            // bytes per block
  ToFloatFn to_float = nullptr;      // reference dequantizer (nullptr: none)
  FromFloatFn from_float = nullptr;  // reference quantizer, llama.cpp's quantize_row_*_ref bit for bit
                                     // (nullptr: none, e.g. the grid I-quants, which only dequantize)
};

namespace types_detail {

// Adapters from the typed row functions of rows.h to the byte-pointer signatures of the table.
template <class B, void (*F)(const B*, float*, int64_t) noexcept>
void to_float_as(const void* x, float* y, int64_t n) noexcept {
  F(static_cast<const B*>(x), y, n);
}
template <class B, void (*F)(const float*, B*, int64_t) noexcept>
void from_float_as(const float* x, void* y, int64_t n) noexcept {
  F(x, static_cast<B*>(y), n);
}

template <class B, void (*D)(const B*, float*, int64_t) noexcept, void (*Q)(const float*, B*, int64_t) noexcept>
constexpr TypeInfo with_ref(const char* name, uint32_t block_size, uint32_t type_size) {
  return {name, block_size, type_size, &to_float_as<B, D>, &from_float_as<B, Q>};
}

// A type that is only dequantized (no reference quantizer).
template <class B, void (*D)(const B*, float*, int64_t) noexcept>
constexpr TypeInfo with_dequant(const char* name, uint32_t block_size, uint32_t type_size) {
  return {name, block_size, type_size, &to_float_as<B, D>, nullptr};
}

constexpr std::array<TypeInfo, kTypeCount> make_type_traits() {
  namespace q = quant;
  std::array<TypeInfo, kTypeCount> t{};
  auto set = [&t](GgmlType id, TypeInfo ti) { t[static_cast<uint32_t>(id)] = ti; };
  set(GgmlType::F32, with_ref<float, q::dequantize_row_f32, q::quantize_row_f32>("f32", 1, 4));
  set(GgmlType::F16, with_ref<uint16_t, q::dequantize_row_f16, q::quantize_row_f16>("f16", 1, 2));
  set(GgmlType::BF16, with_ref<uint16_t, q::dequantize_row_bf16, q::quantize_row_bf16>("bf16", 1, 2));
  set(GgmlType::Q4_0, with_ref<q::BlockQ4_0, q::dequantize_row_q4_0, q::quantize_row_q4_0>("q4_0", 32, 18));
  set(GgmlType::Q4_1, with_ref<q::BlockQ4_1, q::dequantize_row_q4_1, q::quantize_row_q4_1>("q4_1", 32, 20));
  set(GgmlType::Q5_0, with_ref<q::BlockQ5_0, q::dequantize_row_q5_0, q::quantize_row_q5_0>("q5_0", 32, 22));
  set(GgmlType::Q5_1, with_ref<q::BlockQ5_1, q::dequantize_row_q5_1, q::quantize_row_q5_1>("q5_1", 32, 24));
  set(GgmlType::Q8_0, with_ref<q::BlockQ8_0, q::dequantize_row_q8_0, q::quantize_row_q8_0>("q8_0", 32, 34));
  set(GgmlType::Q8_1, with_ref<q::BlockQ8_1, q::dequantize_row_q8_1, q::quantize_row_q8_1>("q8_1", 32, 36));
  set(GgmlType::Q2_K, with_ref<q::BlockQ2_K, q::dequantize_row_q2_K, q::quantize_row_q2_K>("q2_K", 256, 84));
  set(GgmlType::Q3_K, with_ref<q::BlockQ3_K, q::dequantize_row_q3_K, q::quantize_row_q3_K>("q3_K", 256, 110));
  set(GgmlType::Q4_K, with_ref<q::BlockQ4_K, q::dequantize_row_q4_K, q::quantize_row_q4_K>("q4_K", 256, 144));
  set(GgmlType::Q5_K, with_ref<q::BlockQ5_K, q::dequantize_row_q5_K, q::quantize_row_q5_K>("q5_K", 256, 176));
  set(GgmlType::Q6_K, with_ref<q::BlockQ6_K, q::dequantize_row_q6_K, q::quantize_row_q6_K>("q6_K", 256, 210));
  set(GgmlType::Q8_K, with_ref<q::BlockQ8_K, q::dequantize_row_q8_K, q::quantize_row_q8_K>("q8_K", 256, 292));
  set(GgmlType::IQ2_XXS, with_dequant<q::BlockIQ2_XXS, q::dequantize_row_iq2_xxs>("iq2_xxs", 256, 66));
  set(GgmlType::IQ2_XS, with_dequant<q::BlockIQ2_XS, q::dequantize_row_iq2_xs>("iq2_xs", 256, 74));
  set(GgmlType::IQ3_XXS, with_dequant<q::BlockIQ3_XXS, q::dequantize_row_iq3_xxs>("iq3_xxs", 256, 98));
  set(GgmlType::IQ1_S, with_dequant<q::BlockIQ1_S, q::dequantize_row_iq1_s>("iq1_s", 256, 50));
  set(GgmlType::IQ4_NL, with_ref<q::BlockIQ4_NL, q::dequantize_row_iq4_nl, q::quantize_row_iq4_nl>("iq4_nl", 32, 18));
  set(GgmlType::IQ3_S, with_dequant<q::BlockIQ3_S, q::dequantize_row_iq3_s>("iq3_s", 256, 110));
  set(GgmlType::IQ2_S, with_dequant<q::BlockIQ2_S, q::dequantize_row_iq2_s>("iq2_s", 256, 82));
  set(GgmlType::IQ4_XS, with_ref<q::BlockIQ4_XS, q::dequantize_row_iq4_xs, q::quantize_row_iq4_xs>("iq4_xs", 256, 136));
  set(GgmlType::I8, {"i8", 1, 1});
  set(GgmlType::I16, {"i16", 1, 2});
  set(GgmlType::I32, {"i32", 1, 4});
  set(GgmlType::I64, {"i64", 1, 8});
  set(GgmlType::F64, {"f64", 1, 8});
  set(GgmlType::IQ1_M, with_dequant<q::BlockIQ1_M, q::dequantize_row_iq1_m>("iq1_m", 256, 56));
  set(GgmlType::TQ1_0, with_dequant<q::BlockTQ1_0, q::dequantize_row_tq1_0>("tq1_0", 256, 54));
  set(GgmlType::TQ2_0, with_dequant<q::BlockTQ2_0, q::dequantize_row_tq2_0>("tq2_0", 256, 66));
  set(GgmlType::MXFP4, {"mxfp4", 32, 17});
  return t;
}

}  // namespace types_detail

inline constexpr std::array<TypeInfo, kTypeCount> kTypeTraits = types_detail::make_type_traits();

// nullptr for ids ggml does not define (or retired ids 4, 5, 31-33).
constexpr const TypeInfo* type_info(GgmlType t) noexcept {
  const auto i = static_cast<uint32_t>(t);
  return i < kTypeCount && kTypeTraits[i].name ? &kTypeTraits[i] : nullptr;
}
constexpr const TypeInfo* type_info(uint32_t raw) noexcept { return type_info(static_cast<GgmlType>(raw)); }

// Bytes for a row of n elements; 0 if n is not a multiple of the block size or the type is unknown.
constexpr uint64_t row_size(GgmlType t, int64_t n) noexcept {
  const TypeInfo* ti = type_info(t);
  if (!ti || n < 0 || n % ti->block_size != 0) return 0;
  return static_cast<uint64_t>(n / ti->block_size) * ti->type_size;
}

// The block structs of blocks.h must have the sizes ggml gives them (the table's figures).
template <class B>
constexpr bool block_matches(GgmlType t, int qk) {
  return type_info(t)->type_size == sizeof(B) && type_info(t)->block_size == static_cast<uint32_t>(qk);
}
static_assert(block_matches<quant::BlockQ4_0>(GgmlType::Q4_0, quant::kQK4_0));
static_assert(block_matches<quant::BlockQ4_1>(GgmlType::Q4_1, quant::kQK4_1));
static_assert(block_matches<quant::BlockQ5_0>(GgmlType::Q5_0, quant::kQK5_0));
static_assert(block_matches<quant::BlockQ5_1>(GgmlType::Q5_1, quant::kQK5_1));
static_assert(block_matches<quant::BlockQ8_0>(GgmlType::Q8_0, quant::kQK8_0));
static_assert(block_matches<quant::BlockQ8_1>(GgmlType::Q8_1, quant::kQK8_1));
static_assert(block_matches<quant::BlockQ2_K>(GgmlType::Q2_K, quant::kQK_K));
static_assert(block_matches<quant::BlockQ3_K>(GgmlType::Q3_K, quant::kQK_K));
static_assert(block_matches<quant::BlockQ4_K>(GgmlType::Q4_K, quant::kQK_K));
static_assert(block_matches<quant::BlockQ5_K>(GgmlType::Q5_K, quant::kQK_K));
static_assert(block_matches<quant::BlockQ6_K>(GgmlType::Q6_K, quant::kQK_K));
static_assert(block_matches<quant::BlockQ8_K>(GgmlType::Q8_K, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ4_NL>(GgmlType::IQ4_NL, quant::kQK4_NL));
static_assert(block_matches<quant::BlockIQ4_XS>(GgmlType::IQ4_XS, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ2_XXS>(GgmlType::IQ2_XXS, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ2_XS>(GgmlType::IQ2_XS, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ2_S>(GgmlType::IQ2_S, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ3_XXS>(GgmlType::IQ3_XXS, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ3_S>(GgmlType::IQ3_S, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ1_S>(GgmlType::IQ1_S, quant::kQK_K));
static_assert(block_matches<quant::BlockIQ1_M>(GgmlType::IQ1_M, quant::kQK_K));
static_assert(block_matches<quant::BlockTQ1_0>(GgmlType::TQ1_0, quant::kQK_K));
static_assert(block_matches<quant::BlockTQ2_0>(GgmlType::TQ2_0, quant::kQK_K));

}  // namespace chord
