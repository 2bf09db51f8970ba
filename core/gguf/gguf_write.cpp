// GGUF v3 writer: metadata in insertion order, tensor infos, then tensor data padded to the alignment.
// Used by tests, fixture generators and tools that copy/re-split models.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/gguf/gguf.h"
#include "core/gguf/gguf_internal.h"
#include "core/gguf/keys.h"

namespace chord::gguf {

using detail::cat;

struct Writer::Impl {
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;    // 1..4 dims, ne[0] contiguous
    std::vector<uint8_t> data;  // a copy, so the caller's buffer may go away before finish()
  };
  std::vector<std::pair<std::string, Value>> kv;
  std::vector<Tensor> tensors;

  void set(std::string_view key, Value v) {
    for (auto& [k, old] : kv) {
      if (k == key) {
        old = std::move(v);
        return;
      }
    }
    kv.emplace_back(std::string(key), std::move(v));
  }
};

namespace {

Value scalar_u(ValueType t, uint64_t u) {
  Value v;
  v.type = t;
  v.u = u;
  return v;
}

// Converts a widened array element back to its integer type, saturating (a plain cast of an
// out-of-range double is undefined behaviour).
template <class T>
T from_double(double d) {
  if (std::isnan(d)) return 0;
  if (d <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  // max() of 64-bit types rounds up to 2^63 / 2^64 as a double, so compare with >=.
  if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(d);
}

class Out {
 public:
  explicit Out(std::vector<uint8_t>* b) : b_(b) {}
  template <class T>
  void put(T v) {
    const size_t at = b_->size();
    b_->resize(at + sizeof(T));
    std::memcpy(b_->data() + at, &v, sizeof(T));
  }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    b_->insert(b_->end(), s.begin(), s.end());
  }
  void pad_to(uint64_t a) {
    while (b_->size() % a != 0) b_->push_back(0);
  }

  void number(ValueType t, double d) {
    switch (t) {
      case ValueType::u8:
        put(from_double<uint8_t>(d));
        break;
      case ValueType::i8:
        put(from_double<int8_t>(d));
        break;
      case ValueType::u16:
        put(from_double<uint16_t>(d));
        break;
      case ValueType::i16:
        put(from_double<int16_t>(d));
        break;
      case ValueType::u32:
        put(from_double<uint32_t>(d));
        break;
      case ValueType::i32:
        put(from_double<int32_t>(d));
        break;
      case ValueType::u64:
        put(from_double<uint64_t>(d));
        break;
      case ValueType::i64:
        put(from_double<int64_t>(d));
        break;
      case ValueType::f32:
        put(static_cast<float>(d));
        break;
      case ValueType::f64:
        put(d);
        break;
      case ValueType::boolean:
        put<uint8_t>(d != 0 ? 1 : 0);
        break;
      default:
        CHORD_CHECK(false && "not a numeric type");
    }
  }

  // The value body (its type tag is written by the caller).
  void value(const Value& v) {
    switch (v.type) {
      case ValueType::u8:
        put(static_cast<uint8_t>(v.u));
        break;
      case ValueType::i8:
        put(static_cast<int8_t>(v.i));
        break;
      case ValueType::u16:
        put(static_cast<uint16_t>(v.u));
        break;
      case ValueType::i16:
        put(static_cast<int16_t>(v.i));
        break;
      case ValueType::u32:
        put(static_cast<uint32_t>(v.u));
        break;
      case ValueType::i32:
        put(static_cast<int32_t>(v.i));
        break;
      case ValueType::u64:
        put(v.u);
        break;
      case ValueType::i64:
        put(v.i);
        break;
      case ValueType::f32:
        put(static_cast<float>(v.f));
        break;
      case ValueType::f64:
        put(v.f);
        break;
      case ValueType::boolean:
        put<uint8_t>(v.u != 0 ? 1 : 0);
        break;
      case ValueType::string:
        str(v.s);
        break;
      case ValueType::array:
        put(static_cast<uint32_t>(v.elem_type));
        put<uint64_t>(v.array_size());
        if (v.elem_type == ValueType::string) {
          for (const std::string& s : v.strings) str(s);
        } else if (v.elem_type == ValueType::array) {
          for (const Value& item : v.items) {
            CHORD_CHECK(item.type == ValueType::array);  // an array of arrays holds arrays
            value(item);
          }
        } else {
          for (double d : v.numbers) number(v.elem_type, d);
        }
        break;
      default:
        CHORD_CHECK(false && "unknown value type");
    }
  }

 private:
  std::vector<uint8_t>* b_;
};

}  // namespace

Writer::Writer() : impl_(std::make_shared<Impl>()) {}

void Writer::set_u32(std::string_view key, uint32_t v) { impl_->set(key, scalar_u(ValueType::u32, v)); }
void Writer::set_u64(std::string_view key, uint64_t v) { impl_->set(key, scalar_u(ValueType::u64, v)); }
void Writer::set_bool(std::string_view key, bool v) { impl_->set(key, scalar_u(ValueType::boolean, v ? 1 : 0)); }

void Writer::set_i32(std::string_view key, int32_t v) {
  Value x;
  x.type = ValueType::i32;
  x.i = v;
  impl_->set(key, std::move(x));
}

void Writer::set_f32(std::string_view key, float v) {
  Value x;
  x.type = ValueType::f32;
  x.f = v;
  impl_->set(key, std::move(x));
}

void Writer::set_string(std::string_view key, std::string_view v) {
  Value x;
  x.type = ValueType::string;
  x.s.assign(v);
  impl_->set(key, std::move(x));
}

void Writer::set_string_array(std::string_view key, const std::vector<std::string>& v) {
  Value x;
  x.type = ValueType::array;
  x.elem_type = ValueType::string;
  x.strings = v;
  impl_->set(key, std::move(x));
}

void Writer::set_f32_array(std::string_view key, const std::vector<float>& v) {
  Value x;
  x.type = ValueType::array;
  x.elem_type = ValueType::f32;
  x.numbers.assign(v.begin(), v.end());
  impl_->set(key, std::move(x));
}

void Writer::set_i32_array(std::string_view key, const std::vector<int32_t>& v) {
  Value x;
  x.type = ValueType::array;
  x.elem_type = ValueType::i32;
  x.numbers.assign(v.begin(), v.end());
  impl_->set(key, std::move(x));
}

void Writer::set_value(std::string_view key, const Value& v) { impl_->set(key, v); }

void Writer::set_alignment(uint32_t a) {
  CHORD_CHECK(detail::is_pow2(a) && a <= (1u << 31));
  set_u32(keys::kAlignment, a);
}

Status Writer::add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> ne,
                          std::span<const uint8_t> data) {
  for (const Impl::Tensor& t : impl_->tensors) {
    if (t.name == name) return {Code::invalid_argument, cat("add_tensor: duplicate tensor '", name, "'")};
  }
  if (ne.empty() || ne.size() > detail::kMaxDims) {
    return {Code::invalid_argument, cat("add_tensor '", name, "': ", ne.size(), " dims (1..4 allowed)")};
  }
  const TypeInfo* ti = type_info(type);
  if (!ti) {
    return {Code::invalid_argument, cat("add_tensor '", name, "': unknown type id ", static_cast<uint32_t>(type))};
  }
  int64_t rows = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) {
      return {Code::invalid_argument, cat("add_tensor '", name, "': ne[", d, "] = ", ne[d])};
    }
    if (d > 0 && __builtin_mul_overflow(rows, ne[d], &rows)) {
      return {Code::invalid_argument, cat("add_tensor '", name, "': too many rows")};
    }
  }
  const uint64_t row = row_size(type, ne[0]);
  uint64_t want = 0;
  if (row == 0 || __builtin_mul_overflow(row, static_cast<uint64_t>(rows), &want) || want != data.size()) {
    return {Code::invalid_argument, cat("add_tensor '", name, "': data has ", data.size(), " bytes, expected ", want,
                                        " (row_size(", ti->name, ", ", ne[0], ") = ", row, " bytes x ", rows, " rows)",
                                        row == 0 ? " (row length is not a multiple of the block size)" : "")};
  }
  impl_->tensors.push_back({std::string(name), type, std::move(ne), std::vector<uint8_t>(data.begin(), data.end())});
  return Status::Ok();
}

std::vector<uint8_t> Writer::finish() const {
  uint64_t alignment = detail::kDefaultAlignment;
  for (const auto& [k, v] : impl_->kv) {
    if (k != keys::kAlignment) continue;
    const std::optional<int64_t> a = v.as_int();
    CHORD_CHECK(a && *a > 0 && *a <= (int64_t{1} << 31) && detail::is_pow2(static_cast<uint64_t>(*a)));
    alignment = static_cast<uint64_t>(*a);
  }

  std::vector<uint8_t> buf;
  Out out(&buf);
  out.put(detail::kGgufMagic);
  out.put<uint32_t>(3);
  out.put<uint64_t>(impl_->tensors.size());
  out.put<uint64_t>(impl_->kv.size());
  for (const auto& [k, v] : impl_->kv) {
    out.str(k);
    out.put(static_cast<uint32_t>(v.type));
    out.value(v);
  }
  uint64_t offset = 0;
  for (const Impl::Tensor& t : impl_->tensors) {
    out.str(t.name);
    out.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t e : t.ne) out.put<uint64_t>(static_cast<uint64_t>(e));
    out.put(static_cast<uint32_t>(t.type));
    out.put(offset);
    offset += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  // The data section starts aligned; with no tensors there is none (and gguf-py writes no padding).
  if (!impl_->tensors.empty()) out.pad_to(alignment);
  for (const Impl::Tensor& t : impl_->tensors) {
    buf.insert(buf.end(), t.data.begin(), t.data.end());
    out.pad_to(alignment);
  }
  return buf;
}

Status Writer::write_file(const std::string& path) const {
  const std::vector<uint8_t> bytes = finish();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return {Code::io_error, cat("cannot create '", path, "': ", std::strerror(errno))};
  const size_t put = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  const int e = errno;
  const bool closed = std::fclose(f) == 0;
  if (put != bytes.size() || !closed) {
    return {Code::io_error, cat("cannot write '", path, "': ", std::strerror(closed ? e : errno))};
  }
  return Status::Ok();
}

}  // namespace chord::gguf
