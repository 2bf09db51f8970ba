// Block geometry table for every ggml type id a GGUF may contain.
#include "core/quant/types.h"

namespace chord {

const TypeInfo* type_info(GgmlType t) noexcept {
  static const TypeInfo kF32{"f32", 1, 4, true}, kF16{"f16", 1, 2, true}, kQ4_0{"q4_0", 32, 18, true},
      kQ4_1{"q4_1", 32, 20, true}, kQ5_0{"q5_0", 32, 22, true}, kQ5_1{"q5_1", 32, 24, true},
      kQ8_0{"q8_0", 32, 34, true}, kQ8_1{"q8_1", 32, 36, false}, kQ2_K{"q2_K", 256, 84, true},
      kQ3_K{"q3_K", 256, 110, true}, kQ4_K{"q4_K", 256, 144, true}, kQ5_K{"q5_K", 256, 176, true},
      kQ6_K{"q6_K", 256, 210, true}, kQ8_K{"q8_K", 256, 292, false},
      kIQ2_XXS{"iq2_xxs", 256, 66, false}, kIQ2_XS{"iq2_xs", 256, 74, false},
      kIQ3_XXS{"iq3_xxs", 256, 98, false}, kIQ1_S{"iq1_s", 256, 50, false},
      kIQ4_NL{"iq4_nl", 32, 18, false}, kIQ3_S{"iq3_s", 256, 110, false}, kIQ2_S{"iq2_s", 256, 82, false},
      kIQ4_XS{"iq4_xs", 256, 136, false}, kI8{"i8", 1, 1, false}, kI16{"i16", 1, 2, false},
      kI32{"i32", 1, 4, false}, kI64{"i64", 1, 8, false}, kF64{"f64", 1, 8, false},
      kIQ1_M{"iq1_m", 256, 56, false}, kBF16{"bf16", 1, 2, true}, kTQ1_0{"tq1_0", 256, 54, false},
      kTQ2_0{"tq2_0", 256, 66, false}, kMXFP4{"mxfp4", 32, 17, false};
  switch (t) {
    case GgmlType::F32: return &kF32;
    case GgmlType::F16: return &kF16;
    case GgmlType::Q4_0: return &kQ4_0;
    case GgmlType::Q4_1: return &kQ4_1;
    case GgmlType::Q5_0: return &kQ5_0;
    case GgmlType::Q5_1: return &kQ5_1;
    case GgmlType::Q8_0: return &kQ8_0;
    case GgmlType::Q8_1: return &kQ8_1;
    case GgmlType::Q2_K: return &kQ2_K;
    case GgmlType::Q3_K: return &kQ3_K;
    case GgmlType::Q4_K: return &kQ4_K;
    case GgmlType::Q5_K: return &kQ5_K;
    case GgmlType::Q6_K: return &kQ6_K;
    case GgmlType::Q8_K: return &kQ8_K;
    case GgmlType::IQ2_XXS: return &kIQ2_XXS;
    case GgmlType::IQ2_XS: return &kIQ2_XS;
    case GgmlType::IQ3_XXS: return &kIQ3_XXS;
    case GgmlType::IQ1_S: return &kIQ1_S;
    case GgmlType::IQ4_NL: return &kIQ4_NL;
    case GgmlType::IQ3_S: return &kIQ3_S;
    case GgmlType::IQ2_S: return &kIQ2_S;
    case GgmlType::IQ4_XS: return &kIQ4_XS;
    case GgmlType::I8: return &kI8;
    case GgmlType::I16: return &kI16;
    case GgmlType::I32: return &kI32;
    case GgmlType::I64: return &kI64;
    case GgmlType::F64: return &kF64;
    case GgmlType::IQ1_M: return &kIQ1_M;
    case GgmlType::BF16: return &kBF16;
    case GgmlType::TQ1_0: return &kTQ1_0;
    case GgmlType::TQ2_0: return &kTQ2_0;
    case GgmlType::MXFP4: return &kMXFP4;
  }
  return nullptr;
}

uint64_t row_size(GgmlType t, int64_t n) noexcept {
  const TypeInfo* ti = type_info(t);
  if (!ti || n < 0 || n % ti->block_size != 0) return 0;
  return static_cast<uint64_t>(n / ti->block_size) * ti->type_size;
}

}  // namespace chord
