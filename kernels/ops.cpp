// The kernel table: reference (scalar) kernels per weight type, with the SIMD128 entries laid over
// them in wasm SIMD builds and the relaxed-SIMD entries over those in relaxed builds. The activation type per weight
// type is llama.cpp's CPU vec_dot_type; its quantizer is the core type table's reference from_float.
#include "kernels/ops.h"

#include <array>

#include "kernels/ref/vec_dot.h"

namespace chord::kernels {

namespace {

using Table = std::array<TypeOps, kTypeCount>;

constexpr Table make_ref_table() {
  Table t{};
  auto set = [&t](GgmlType w, GgmlType act, VecDotFn dot) {
    t[static_cast<uint32_t>(w)] = {act, type_info(act)->from_float, dot};
  };
  set(GgmlType::F32, GgmlType::F32, ref::vec_dot_f32_f32);
  set(GgmlType::F16, GgmlType::F16, ref::vec_dot_f16_f16);
  set(GgmlType::BF16, GgmlType::BF16, ref::vec_dot_bf16_bf16);
  set(GgmlType::Q4_0, GgmlType::Q8_0, ref::vec_dot_q4_0_q8_0);
  set(GgmlType::Q4_1, GgmlType::Q8_1, ref::vec_dot_q4_1_q8_1);
  set(GgmlType::Q5_0, GgmlType::Q8_0, ref::vec_dot_q5_0_q8_0);
  set(GgmlType::Q5_1, GgmlType::Q8_1, ref::vec_dot_q5_1_q8_1);
  set(GgmlType::Q8_0, GgmlType::Q8_0, ref::vec_dot_q8_0_q8_0);
  set(GgmlType::Q2_K, GgmlType::Q8_K, ref::vec_dot_q2_K_q8_K);
  set(GgmlType::Q3_K, GgmlType::Q8_K, ref::vec_dot_q3_K_q8_K);
  set(GgmlType::Q4_K, GgmlType::Q8_K, ref::vec_dot_q4_K_q8_K);
  set(GgmlType::Q5_K, GgmlType::Q8_K, ref::vec_dot_q5_K_q8_K);
  set(GgmlType::Q6_K, GgmlType::Q8_K, ref::vec_dot_q6_K_q8_K);
  set(GgmlType::IQ4_NL, GgmlType::Q8_0, ref::vec_dot_iq4_nl_q8_0);
  set(GgmlType::IQ4_XS, GgmlType::Q8_K, ref::vec_dot_iq4_xs_q8_K);
  set(GgmlType::IQ2_XXS, GgmlType::Q8_K, ref::vec_dot_iq2_xxs_q8_K);
  set(GgmlType::IQ2_XS, GgmlType::Q8_K, ref::vec_dot_iq2_xs_q8_K);
  set(GgmlType::IQ2_S, GgmlType::Q8_K, ref::vec_dot_iq2_s_q8_K);
  set(GgmlType::IQ3_XXS, GgmlType::Q8_K, ref::vec_dot_iq3_xxs_q8_K);
  set(GgmlType::IQ3_S, GgmlType::Q8_K, ref::vec_dot_iq3_s_q8_K);
  set(GgmlType::IQ1_S, GgmlType::Q8_K, ref::vec_dot_iq1_s_q8_K);
  set(GgmlType::IQ1_M, GgmlType::Q8_K, ref::vec_dot_iq1_m_q8_K);
  set(GgmlType::TQ1_0, GgmlType::Q8_K, ref::vec_dot_tq1_0_q8_K);
  set(GgmlType::TQ2_0, GgmlType::Q8_K, ref::vec_dot_tq2_0_q8_K);
  // Q8_1 / Q8_K are activation formats only; types left empty here cannot be computed with.
  return t;
}

constexpr Table kRef = make_ref_table();

const TypeOps* entry(const Table& t, GgmlType wtype) {
  const auto i = static_cast<uint32_t>(wtype);
  return i < kTypeCount && t[i].vec_dot ? &t[i] : nullptr;
}

#ifdef CHORD_SIMD128
// Built once: each field a SIMD entry sets replaces the reference one.
const Table& active_table() {
  static const Table t = [] {
    Table a = kRef;
    for (const OpOverride& o : simd128_overrides()) {
      TypeOps& e = a[static_cast<uint32_t>(o.wtype)];
      if (o.from_float) e.from_float = o.from_float;
      if (o.vec_dot) e.vec_dot = o.vec_dot;
      if (o.vec_dot_multi) e.vec_dot_multi = o.vec_dot_multi;
      if (o.dot_packed) {
        e.packed_bytes = o.packed_bytes;
        e.pack = o.pack;
        e.dot_packed = o.dot_packed;
      }
    }
#ifdef CHORD_RELAXED_SIMD
    for (const OpOverride& o : relaxed_overrides()) {
      TypeOps& e = a[static_cast<uint32_t>(o.wtype)];
      if (o.from_float) e.from_float = o.from_float;
      e.vec_dot = o.vec_dot;
      e.vec_dot_multi = o.vec_dot_multi;
      e.packed_bytes = o.packed_bytes;
      e.pack = o.pack;
      e.dot_packed = o.dot_packed;
    }
#endif
    return a;
  }();
  return t;
}
#endif

}  // namespace

const TypeOps* ref_ops(GgmlType wtype) noexcept { return entry(kRef, wtype); }

const TypeOps* ops(GgmlType wtype) noexcept {
#ifdef CHORD_SIMD128
  return entry(active_table(), wtype);
#else
  return entry(kRef, wtype);
#endif
}

const char* kernel_set() noexcept {
#if defined(CHORD_RELAXED_SIMD)
  return "relaxed-simd";
#elif defined(CHORD_SIMD128)
  return "simd128";
#else
  return "scalar";
#endif
}

}  // namespace chord::kernels
