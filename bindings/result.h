// Conversions shared by the Embind bindings: Status/Result -> plain JS objects {code, message,
// value}, and copies of C++ arrays into fresh JS typed arrays. No model logic.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace chord::bind {

using emscripten::val;

// {code: 'bad_gguf', message: '...'}; code names are chord::code_name().
inline val status_val(const Status& s) {
  val o = val::object();
  o.set("code", val(std::string(code_name(s.code()))));
  o.set("message", val(s.message()));
  return o;
}

// {code: 'ok', message: '', value}
inline val ok_val(const val& value) {
  val o = val::object();
  o.set("code", val(std::string("ok")));
  o.set("message", val(std::string()));
  o.set("value", value);
  return o;
}

inline val error_val(Code code, const std::string& message) { return status_val(Status(code, message)); }

// New JS typed arrays owning a copy (the heap may move when memory grows).
inline val copy_u8(const uint8_t* p, size_t n) {
  return val::global("Uint8Array").new_(emscripten::typed_memory_view(n, p));
}
inline val copy_i32(const std::vector<int32_t>& v) {
  return val::global("Int32Array").new_(emscripten::typed_memory_view(v.size(), v.data()));
}
inline val copy_f32(const std::vector<float>& v) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(v.size(), v.data()));
}

// Reads an array-like of integers (Array or Int32Array) from JS.
inline std::vector<int32_t> ints_from_js(const val& v) { return emscripten::convertJSArrayToNumberVector<int32_t>(v); }

}  // namespace chord::bind
