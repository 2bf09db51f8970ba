// GGUF metadata accessors, File getters, split-model assembly (parse_split) and read_file.
// The byte-level reader is in gguf_read.cpp, the writer in gguf_write.cpp.
#include "core/gguf/gguf.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "core/gguf/gguf_internal.h"
#include "core/gguf/keys.h"

namespace chord::gguf {

const char* value_type_name(ValueType t) noexcept {
  switch (t) {
    case ValueType::u8:
      return "u8";
    case ValueType::i8:
      return "i8";
    case ValueType::u16:
      return "u16";
    case ValueType::i16:
      return "i16";
    case ValueType::u32:
      return "u32";
    case ValueType::i32:
      return "i32";
    case ValueType::f32:
      return "f32";
    case ValueType::boolean:
      return "bool";
    case ValueType::string:
      return "string";
    case ValueType::array:
      return "array";
    case ValueType::u64:
      return "u64";
    case ValueType::i64:
      return "i64";
    case ValueType::f64:
      return "f64";
  }
  return "unknown";
}

using detail::cat;

std::optional<int64_t> Value::as_int() const {
  switch (type) {
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
    case ValueType::u64:
    case ValueType::boolean:
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    case ValueType::i8:
    case ValueType::i16:
    case ValueType::i32:
    case ValueType::i64:
      return i;
    default:
      return std::nullopt;
  }
}

std::optional<double> Value::as_float() const {
  switch (type) {
    case ValueType::f32:
    case ValueType::f64:
      return f;
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
    case ValueType::u64:
      return static_cast<double>(u);
    case ValueType::i8:
    case ValueType::i16:
    case ValueType::i32:
    case ValueType::i64:
      return static_cast<double>(i);
    default:
      return std::nullopt;
  }
}

std::optional<bool> Value::as_bool() const {
  if (type != ValueType::boolean) return std::nullopt;
  return u != 0;
}

const std::string* Value::as_string() const { return type == ValueType::string ? &s : nullptr; }

size_t Value::array_size() const {
  if (type != ValueType::array) return 0;
  if (elem_type == ValueType::string) return strings.size();
  if (elem_type == ValueType::array) return items.size();
  return numbers.size();
}

const Value* File::find(std::string_view key) const {
  for (const auto& [k, v] : kv_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<std::string> File::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v || !v->as_string()) return std::nullopt;
  return *v->as_string();
}

std::optional<int64_t> File::get_int(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_int() : std::nullopt;
}

std::optional<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_float() : std::nullopt;
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  return v ? v->as_bool() : std::nullopt;
}

const TensorInfo* File::tensor(std::string_view name) const {
  for (const TensorInfo& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<File> File::parse_split(std::vector<std::span<const uint8_t>> parts, std::vector<uint64_t> file_sizes) {
  if (parts.empty()) return Status(Code::invalid_argument, "parse_split: no parts given");
  const size_t n = parts.size();
  if (!file_sizes.empty() && file_sizes.size() != n)
    return Status(Code::invalid_argument, "parse_split: one file size per part is needed");
  std::vector<File> files;
  files.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Result<File> r = file_sizes.empty() ? parse(parts[i]) : parse_header(parts[i], file_sizes[i]);
    if (!r.ok()) {
      if (n == 1) return r.status();
      return Status(r.status().code(), cat("split part ", i, " of ", n, ": ", r.status().message()));
    }
    files.push_back(std::move(r).value());
  }

  // A lone file without split keys is an ordinary model.
  if (n == 1 && !files[0].find(keys::kSplitCount) && !files[0].find(keys::kSplitNo)) {
    return std::move(files[0]);
  }

  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::optional<int64_t> no = files[i].get_int(keys::kSplitNo);
    const std::optional<int64_t> count = files[i].get_int(keys::kSplitCount);
    if (!no || !count) {
      return Status(Code::bad_gguf, cat("split part ", i, " of ", n, " has no integer ",
                                        !no ? keys::kSplitNo : keys::kSplitCount, " key"));
    }
    if (*count != static_cast<int64_t>(n)) {
      return Status(Code::bad_gguf,
                    cat("split part ", i, " says split.count = ", *count, " but ", n, " part(s) were given"));
    }
    if (*no != static_cast<int64_t>(i)) {
      return Status(Code::bad_gguf, cat("split part given at position ", i, " has split.no = ", *no,
                                        " (parts must be given in order 0..", n - 1, ")"));
    }
    total += files[i].tensors().size();
  }
  // gguf-split writes split.tensors.count (the model's total) into every part.
  for (size_t i = 0; i < n; ++i) {
    if (!files[i].find(keys::kSplitTensorsCount)) continue;
    const std::optional<int64_t> want = files[i].get_int(keys::kSplitTensorsCount);
    if (!want || *want != static_cast<int64_t>(total)) {
      return Status(Code::bad_gguf, cat("split part ", i, " says split.tensors.count = ", want ? *want : -1,
                                        " but the ", n, " part(s) hold ", total, " tensors"));
    }
  }

  File out = std::move(files[0]);
  out.tensors_.reserve(static_cast<size_t>(total));
  for (size_t i = 1; i < n; ++i) {
    for (TensorInfo& t : files[i].tensors_) {
      t.split = static_cast<uint32_t>(i);
      out.tensors_.push_back(std::move(t));
    }
  }
  // Names are checked after the moves so the views point at their final strings.
  std::unordered_set<std::string_view> seen;
  for (const TensorInfo& t : out.tensors_) {
    if (!seen.insert(t.name).second) {
      return Status(Code::bad_gguf, cat("tensor '", t.name, "' appears in more than one split part (",
                                        "second copy in part ", t.split, ")"));
    }
  }
  return out;
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(Code::io_error, cat("cannot open '", path, "': ", std::strerror(errno)));
  std::vector<uint8_t> buf;
  long size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
  if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    const int e = errno;
    std::fclose(f);
    return Status(Code::io_error, cat("cannot get the size of '", path, "': ", std::strerror(e)));
  }
  buf.resize(static_cast<size_t>(size));
  const size_t got = size > 0 ? std::fread(buf.data(), 1, buf.size(), f) : 0;
  const bool failed = got != buf.size() || std::ferror(f);
  const int e = errno;
  std::fclose(f);
  if (failed) {
    return Status(Code::io_error,
                  cat("cannot read '", path, "': ", std::strerror(e), " (got ", got, " of ", size, " bytes)"));
  }
  return buf;
}

}  // namespace chord::gguf
