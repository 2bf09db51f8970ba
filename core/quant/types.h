// ggml tensor type ids (as stored in GGUF) and their block geometry.
// Ids and sizes from llama.cpp ggml/include/ggml.h and ggml/src/ggml-common.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace chord {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct TypeInfo {
  const char* name;     // as llama.cpp prints it
  uint32_t block_size;  // elements per block (1 for plain types)
  uint32_t type_size;   // bytes per block
  bool computable;      // we can run matmuls with weights of this type
};

// nullptr for ids ggml does not define (or retired ids 4, 5, 31-33).
const TypeInfo* type_info(GgmlType t) noexcept;
inline const TypeInfo* type_info(uint32_t raw) noexcept { return type_info(static_cast<GgmlType>(raw)); }

// Bytes for a row of n elements; 0 if n is not a multiple of the block size or the type is unknown.
uint64_t row_size(GgmlType t, int64_t n) noexcept;

}  // namespace chord
