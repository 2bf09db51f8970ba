// GGUF v2/v3 reader (File::parse). Every count, length, dim and offset is checked against the bytes
// that remain before anything is allocated or read; tensors end up as views into the input bytes.
#include <bit>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "core/gguf/gguf.h"
#include "core/gguf/gguf_internal.h"
#include "core/gguf/keys.h"

namespace chord::gguf {
namespace {

using detail::cat;
static_assert(std::endian::native == std::endian::little, "GGUF is read with little-endian loads");

// Legacy pre-GGUF magics as little-endian u32 (file bytes "lmgg", "fmgg", "tjgg", "algg").
constexpr uint32_t kMagicGgml = 0x67676d6c, kMagicGgmf = 0x67676d66, kMagicGgjt = 0x67676a74, kMagicGgla = 0x67676c61;

// A read position over the file bytes. Reads fail (return false) instead of running past the end.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> b) : b_(b) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return b_.size() - pos_; }
  const uint8_t* here() const { return b_.data() + pos_; }
  void skip(uint64_t n) { pos_ += n; }  // caller checked n <= remaining()

  template <class T>
  bool read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

 private:
  std::span<const uint8_t> b_;
  uint64_t pos_ = 0;
};

uint32_t bswap32(uint32_t x) { return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24); }

// What is being read, for error messages; rendered only when an error is reported (building a
// string per token of a 100k vocabulary would dominate the parse time).
struct What {
  const char* pre;
  std::string_view name = {};
  const char* post = "";
  int64_t index = -1;
  std::string str() const {
    std::string s = cat(pre, name, post);
    if (index >= 0) s += cat(" ", index);
    return s;
  }
};

Status truncated(const Cursor& c, const What& what, uint64_t need) {
  return {Code::bad_gguf, cat("truncated file: ", what.str(), " needs ", need, " bytes at offset ", c.pos(),
                              " but only ", c.remaining(), " remain")};
}

template <class T>
Status read_pod(Cursor& c, T* out, const What& what) {
  if (!c.read(out)) return truncated(c, what, sizeof(T));
  return Status::Ok();
}

// A GGUF string: u64 length then bytes (not NUL-terminated). Returns a view into the file.
Status read_str(Cursor& c, std::string_view* out, const What& what) {
  uint64_t len = 0;
  CHORD_TRY(read_pod(c, &len, what));
  if (len > c.remaining()) {
    return {Code::bad_gguf, cat(what.str(), ": string length ", len, " at offset ", c.pos() - 8, " exceeds the ",
                                c.remaining(), " bytes left in the file")};
  }
  *out = std::string_view(reinterpret_cast<const char*>(c.here()), static_cast<size_t>(len));
  c.skip(len);
  return Status::Ok();
}

// n little-endian elements of T at p (bounds already checked) widened to double.
template <class T>
void widen(const uint8_t* p, size_t n, double* out) {
  for (size_t k = 0; k < n; ++k) {
    T x;
    std::memcpy(&x, p + k * sizeof(T), sizeof(T));
    out[k] = static_cast<double>(x);
  }
}

Status read_value(Cursor& c, uint32_t raw_type, Value* v, std::string_view key, int depth);

Status read_array(Cursor& c, Value* v, std::string_view key, int depth) {
  if (depth >= detail::kMaxArrayDepth) {
    return {Code::bad_gguf,
            cat("key '", key, "': arrays nested deeper than ", detail::kMaxArrayDepth, " at offset ", c.pos())};
  }
  uint32_t elem = 0;
  uint64_t count = 0;
  CHORD_TRY(read_pod(c, &elem, What{"key '", key, "' array element type"}));
  const uint64_t min_size = detail::min_encoded_size(elem);
  if (min_size == 0) {
    return {Code::bad_gguf, cat("key '", key, "': unknown array element type ", elem, " at offset ", c.pos() - 4)};
  }
  CHORD_TRY(read_pod(c, &count, What{"key '", key, "' array length"}));
  if (count > c.remaining() / min_size) {
    return {Code::bad_gguf, cat("key '", key, "': array of ", count, " ", value_type_name(static_cast<ValueType>(elem)),
                                " at offset ", c.pos() - 8, " cannot fit in the ", c.remaining(), " bytes left")};
  }
  v->type = ValueType::array;
  v->elem_type = static_cast<ValueType>(elem);
  const size_t n = static_cast<size_t>(count);
  if (v->elem_type == ValueType::string) {
    v->strings.reserve(n);  // n <= remaining / 8, so this is bounded by the file size
    // Fast path over raw bytes (a 100k-token vocabulary is the bulk of a header); on any problem
    // the element is re-read through read_str, which reports it.
    const uint8_t* p = c.here();
    uint64_t left = c.remaining();
    for (size_t k = 0; k < n; ++k) {
      uint64_t len = 0;
      if (left >= 8) std::memcpy(&len, p, 8);
      if (left < 8 || len > left - 8) {
        c.skip(static_cast<uint64_t>(p - c.here()));
        std::string_view s;
        return read_str(c, &s, What{"key '", key, "' element", static_cast<int64_t>(k)});
      }
      v->strings.emplace_back(reinterpret_cast<const char*>(p + 8), static_cast<size_t>(len));
      p += 8 + len;
      left -= 8 + len;
    }
    c.skip(static_cast<uint64_t>(p - c.here()));
  } else if (v->elem_type == ValueType::array) {
    // No reserve: each nested array is at least 12 bytes, memory grows only with what is parsed.
    for (size_t k = 0; k < n; ++k) {
      Value item;
      CHORD_TRY(read_value(c, elem, &item, key, depth + 1));
      v->items.push_back(std::move(item));
    }
  } else {
    // Fixed-size elements: the length check above already covers all of them.
    v->numbers.resize(n);
    double* out = v->numbers.data();
    const uint8_t* p = c.here();
    switch (v->elem_type) {
      case ValueType::u8:
        widen<uint8_t>(p, n, out);
        break;
      case ValueType::i8:
        widen<int8_t>(p, n, out);
        break;
      case ValueType::u16:
        widen<uint16_t>(p, n, out);
        break;
      case ValueType::i16:
        widen<int16_t>(p, n, out);
        break;
      case ValueType::u32:
        widen<uint32_t>(p, n, out);
        break;
      case ValueType::i32:
        widen<int32_t>(p, n, out);
        break;
      case ValueType::f32:
        widen<float>(p, n, out);
        break;
      case ValueType::u64:
        widen<uint64_t>(p, n, out);
        break;
      case ValueType::i64:
        widen<int64_t>(p, n, out);
        break;
      case ValueType::f64:
        widen<double>(p, n, out);
        break;
      case ValueType::boolean:
        for (size_t k = 0; k < n; ++k) out[k] = p[k] != 0 ? 1.0 : 0.0;
        break;
      default:
        break;
    }
    c.skip(n * min_size);
  }
  return Status::Ok();
}

Status read_value(Cursor& c, uint32_t raw_type, Value* v, std::string_view key, int depth) {
  const auto t = static_cast<ValueType>(raw_type);
  v->type = t;
  const What what{"value of key '", key, "'"};
  switch (t) {
    case ValueType::u8: {
      uint8_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->u = x;
      break;
    }
    case ValueType::i8: {
      int8_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->i = x;
      break;
    }
    case ValueType::u16: {
      uint16_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->u = x;
      break;
    }
    case ValueType::i16: {
      int16_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->i = x;
      break;
    }
    case ValueType::u32: {
      uint32_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->u = x;
      break;
    }
    case ValueType::i32: {
      int32_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->i = x;
      break;
    }
    case ValueType::u64: {
      uint64_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->u = x;
      break;
    }
    case ValueType::i64: {
      int64_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->i = x;
      break;
    }
    case ValueType::f32: {
      float x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->f = x;
      break;
    }
    case ValueType::f64: {
      double x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->f = x;
      break;
    }
    case ValueType::boolean: {
      uint8_t x = 0;
      CHORD_TRY(read_pod(c, &x, what));
      v->u = x != 0 ? 1 : 0;
      break;
    }
    case ValueType::string: {
      std::string_view s;
      CHORD_TRY(read_str(c, &s, what));
      v->s.assign(s);
      break;
    }
    case ValueType::array:
      return read_array(c, v, key, depth);
    default:
      return {Code::bad_gguf, cat("key '", key, "': unknown value type ", raw_type, " at offset ", c.pos() - 4)};
  }
  return Status::Ok();
}

Status check_magic_and_version(Cursor& c, uint32_t* version) {
  if (c.remaining() < 4) {
    return {Code::bad_gguf, cat("not a GGUF file: only ", c.remaining(), " bytes")};
  }
  uint32_t magic = 0;
  c.read(&magic);
  if (magic == kMagicGgml || magic == kMagicGgmf || magic == kMagicGgjt || magic == kMagicGgla) {
    return {Code::unsupported, "legacy GGML/GGJT file, convert it to GGUF (llama.cpp convert scripts) first"};
  }
  if (magic != detail::kGgufMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", bswap32(magic));
    return {Code::bad_gguf, cat("not a GGUF file: first bytes are 0x", hex, ", expected \"GGUF\"")};
  }
  CHORD_TRY(read_pod(c, version, What{"GGUF version"}));
  if (*version == 1) {
    return {Code::unsupported,
            "GGUF v1 is not supported (this file is version 1); re-convert it with a current llama.cpp"};
  }
  if (*version != 2 && *version != 3) {
    const uint32_t swapped = bswap32(*version);
    if (swapped >= 1 && swapped <= 3) {
      return {Code::unsupported, cat("big-endian GGUF (version ", swapped, ") is not supported")};
    }
    return {Code::unsupported, cat("GGUF version ", *version, " is not supported (only 2 and 3)")};
  }
  return Status::Ok();
}

// Reads the general.alignment value if present: a nonzero power of two that fits a u32.
Status alignment_of(const std::vector<std::pair<std::string, Value>>& kv, size_t* alignment) {
  *alignment = detail::kDefaultAlignment;
  for (const auto& [k, v] : kv) {
    if (k != keys::kAlignment) continue;
    const std::optional<int64_t> a = v.as_int();
    if (!a || v.type == ValueType::boolean) {
      return {Code::bad_gguf, cat("general.alignment has type ", value_type_name(v.type), ", expected an integer")};
    }
    if (*a <= 0 || *a > int64_t{1} << 31 || !detail::is_pow2(static_cast<uint64_t>(*a))) {
      return {Code::bad_gguf, cat("general.alignment = ", *a, " is not a nonzero power of two")};
    }
    *alignment = static_cast<size_t>(*a);
  }
  return Status::Ok();
}

// Reads one tensor info record and validates everything that does not depend on the data start.
Status read_tensor_info(Cursor& c, uint64_t index, TensorInfo* t, std::string_view* name) {
  const uint64_t at = c.pos();
  CHORD_TRY(read_str(c, name, What{"name of tensor", {}, "", static_cast<int64_t>(index)}));
  t->name.assign(*name);
  CHORD_TRY(read_pod(c, &t->n_dims, What{"n_dims of tensor '", *name, "'"}));
  if (t->n_dims > detail::kMaxDims) {
    return {Code::bad_gguf, cat("tensor '", *name, "' (info at offset ", at, ") has n_dims ", t->n_dims, ", at most ",
                                detail::kMaxDims, " allowed")};
  }
  for (uint32_t d = 0; d < t->n_dims; ++d) {
    uint64_t raw = 0;
    CHORD_TRY(read_pod(c, &raw, What{"tensor '", *name, "' dimension", d}));
    if (raw == 0 || raw > static_cast<uint64_t>(INT64_MAX)) {
      return {Code::bad_gguf,
              cat("tensor '", *name, "' dimension ", d, " is ", raw, " (must be between 1 and 2^63-1)")};
    }
    t->ne[d] = static_cast<int64_t>(raw);
  }
  uint32_t type = 0;
  CHORD_TRY(read_pod(c, &type, What{"type of tensor '", *name, "'"}));
  CHORD_TRY(read_pod(c, &t->offset, What{"offset of tensor '", *name, "'"}));
  const TypeInfo* ti = type_info(type);
  if (!ti) {
    return {Code::unsupported, cat("tensor '", *name, "' has unknown ggml type id ", type)};
  }
  t->type = static_cast<GgmlType>(type);
  int64_t n = 1;
  for (int64_t e : t->ne) {
    if (__builtin_mul_overflow(n, e, &n)) {
      return {Code::bad_gguf, cat("tensor '", *name, "' shape {", t->ne[0], ", ", t->ne[1], ", ", t->ne[2], ", ",
                                  t->ne[3], "} has more than 2^63 elements")};
    }
  }
  if (t->ne[0] % ti->block_size != 0) {
    return {Code::bad_gguf, cat("tensor '", *name, "' row length ", t->ne[0], " is not a multiple of the ", ti->name,
                                " block size ", ti->block_size)};
  }
  const uint64_t blocks = static_cast<uint64_t>(n) / ti->block_size;
  if (__builtin_mul_overflow(blocks, uint64_t{ti->type_size}, &t->nbytes)) {
    return {Code::bad_gguf,
            cat("tensor '", *name, "' byte size overflows (", blocks, " blocks of ", ti->type_size, " bytes)")};
  }
  return Status::Ok();
}

// The data section starts at the next multiple of the alignment after the tensor infos. As in
// llama.cpp's reader, tensors lie back to back in info order: the first at offset 0, each next one
// at the aligned end of the one before (so no gap or overlap can hide a wrong type or shape), and
// the file ends within the last tensor's padding (more bytes mean tensor infos the count left out).
// Sets each tensor's data pointer (left null when `bytes` is only the header of a file of `size` bytes).
Status check_layout(std::vector<TensorInfo>& tensors, uint64_t infos_end, std::span<const uint8_t> bytes, uint64_t size,
                    uint64_t a) {
  if (tensors.empty()) return Status::Ok();
  const bool whole = size == bytes.size();
  const uint64_t data_start = (infos_end + a - 1) / a * a;  // infos_end <= size < 2^63, a <= 2^31
  uint64_t expect = 0;  // aligned end of the previous tensor, relative to data_start
  const TensorInfo* prev = nullptr;
  for (TensorInfo& t : tensors) {
    if (t.offset % a != 0) {
      return Status(Code::bad_gguf,
                    cat("tensor '", t.name, "' offset ", t.offset, " is not a multiple of the alignment ", a));
    }
    if (data_start > size || t.offset > size - data_start || t.nbytes > size - data_start - t.offset) {
      return Status(Code::bad_gguf,
                    cat("tensor '", t.name, "' data (offset ", t.offset, ", ", t.nbytes, " bytes, data section at ",
                        data_start, ") lies outside the file of ", size, " bytes"));
    }
    if (t.offset != expect) {
      return Status(Code::bad_gguf,
                    prev ? cat("tensor '", t.name, "' has offset ", t.offset, ", expected ", expect,
                               " (the aligned end of '", prev->name, "', ", prev->nbytes, " bytes at offset ",
                               prev->offset, "): ", t.offset > expect ? "a gap" : "an overlap", " in the data layout")
                         : cat("tensor '", t.name, "' is the first tensor but has offset ", t.offset, ", expected 0"));
    }
    if (whole) t.data = bytes.data() + data_start + t.offset;
    expect = t.offset + (t.nbytes + a - 1) / a * a;  // <= size - data_start + a: no overflow
    prev = &t;
  }
  const uint64_t end = data_start + expect;
  if (size > end) {
    return Status(Code::bad_gguf,
                  cat(size - end, " bytes follow the data of the last tensor '", prev->name, "' (", prev->nbytes,
                      " bytes at offset ", prev->offset, ", file of ", size, " bytes): the tensor count ",
                      tensors.size(), " or a tensor's type or shape does not match the data"));
  }
  return Status::Ok();
}

}  // namespace

Result<File> File::parse(std::span<const uint8_t> bytes) { return parse_header(bytes, bytes.size()); }

Result<File> File::parse_header(std::span<const uint8_t> bytes, uint64_t file_size) {
  if (file_size < bytes.size())
    return Status(Code::invalid_argument, cat("a header of ", bytes.size(), " bytes from a file of ", file_size));
  Cursor c(bytes);
  File f;
  CHORD_TRY(check_magic_and_version(c, &f.version_));

  uint64_t n_tensors = 0, n_kv = 0;
  CHORD_TRY(read_pod(c, &n_tensors, What{"tensor count"}));
  CHORD_TRY(read_pod(c, &n_kv, What{"metadata count"}));
  // Smallest encodings: a kv is key length (8) + type (4) + 1 byte of value; a tensor info is name
  // length (8) + n_dims (4) + type (4) + offset (8).
  constexpr uint64_t kMinKv = 13, kMinTensor = 24;
  if (n_kv > c.remaining() / kMinKv) {
    return Status(Code::bad_gguf,
                  cat("metadata count ", n_kv, " cannot fit in the ", c.remaining(), " bytes after the header"));
  }
  if (n_tensors > c.remaining() / kMinTensor) {
    return Status(Code::bad_gguf,
                  cat("tensor count ", n_tensors, " cannot fit in the ", c.remaining(), " bytes after the header"));
  }

  // Metadata. Keys are checked for duplicates through views into the file bytes.
  f.kv_.reserve(static_cast<size_t>(n_kv));
  std::unordered_set<std::string_view> seen;
  seen.reserve(static_cast<size_t>(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string_view key;
    const uint64_t at = c.pos();
    CHORD_TRY(read_str(c, &key, What{"key of metadata entry", {}, "", static_cast<int64_t>(k)}));
    if (!seen.insert(key).second) {
      return Status(Code::bad_gguf, cat("duplicate metadata key '", key, "' at offset ", at));
    }
    uint32_t type = 0;
    CHORD_TRY(read_pod(c, &type, What{"type of key '", key, "'"}));
    Value v;
    CHORD_TRY(read_value(c, type, &v, key, 0));
    f.kv_.emplace_back(std::string(key), std::move(v));
  }
  CHORD_TRY(alignment_of(f.kv_, &f.alignment_));

  // Tensor infos. When one fails to parse after others did, the count is named too: a count
  // larger than the infos present runs into the data section.
  f.tensors_.reserve(static_cast<size_t>(n_tensors));
  seen.clear();
  seen.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    std::string_view name;
    if (Status st = read_tensor_info(c, i, &t, &name); !st.ok()) {
      if (i == 0) return st;
      return Status(st.code(), cat(st.message(), " (tensor info ", i, " of the ", n_tensors,
                                   " the header counts, after '", f.tensors_.back().name, "')"));
    }
    if (!seen.insert(name).second) {
      return Status(Code::bad_gguf, cat("duplicate tensor name '", name, "' (tensor ", i, ")"));
    }
    f.tensors_.push_back(std::move(t));
  }
  CHORD_TRY(check_layout(f.tensors_, c.pos(), bytes, file_size, f.alignment_));
  return f;
}

}  // namespace chord::gguf
