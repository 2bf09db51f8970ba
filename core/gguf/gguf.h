// GGUF v2/v3 reader (tensors are views into the caller's bytes) and writer.
// Every count, length and offset from the file is checked against the bytes that remain.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/quant/types.h"

namespace chord::gguf {

enum class ValueType : uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

// "u8", "i8", ..., "bool", "string", "array", ...; "unknown" for an id GGUF does not define.
const char* value_type_name(ValueType t) noexcept;

// One metadata value. Arrays of scalars are stored compactly (no Value per element).
struct Value {
  ValueType type = ValueType::u8;
  // scalars
  uint64_t u = 0;  // u8..u64, boolean
  int64_t i = 0;   // i8..i64
  double f = 0;    // f32, f64
  std::string s;   // string
  // arrays: elem_type + exactly one of the vectors below filled (nested arrays in `items`)
  ValueType elem_type = ValueType::u8;
  std::vector<std::string> strings;  // array of string
  std::vector<double> numbers;       // array of any numeric/bool type, widened
  std::vector<Value> items;          // array of array (nested)

  std::optional<int64_t> as_int() const;   // any integer or bool type
  std::optional<double> as_float() const;  // any numeric type
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  size_t array_size() const;  // 0 if not an array
};

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  uint32_t n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the contiguous row length, as in ggml
  uint64_t offset = 0;                    // relative to the data section of its file
  uint32_t split = 0;                     // which part of a split model holds it
  const uint8_t* data = nullptr;          // view into the file bytes
  uint64_t nbytes = 0;

  int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t nrows() const { return ne[1] * ne[2] * ne[3]; }
};

class File {
 public:
  // Parses a GGUF held in `bytes`; the bytes must outlive the File. v1 -> unsupported,
  // non-GGUF -> bad_gguf/unsupported, anything out of bounds -> bad_gguf.
  static Result<File> parse(std::span<const uint8_t> bytes);
  // Parses only the header (metadata and tensor infos) from `bytes`, the first bytes of a file of
  // `file_size` bytes: the layout is checked against file_size and tensor data pointers stay null.
  // For sizing a model before its bytes arrive.
  static Result<File> parse_header(std::span<const uint8_t> bytes, uint64_t file_size);
  // Parses the parts of a split model (gguf-split: split.no/split.count) as one model: metadata of
  // part 0, tensors of all parts. Parts in order; a single part is allowed.
  // `file_sizes` (one per part) makes each part a header only, as in parse_header.
  static Result<File> parse_split(std::vector<std::span<const uint8_t>> parts, std::vector<uint64_t> file_sizes = {});

  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;

 private:
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<TensorInfo> tensors_;
};

// Builds a GGUF v3 file in memory.
class Writer {
 public:
  Writer();
  void set_u32(std::string_view key, uint32_t v);
  void set_i32(std::string_view key, int32_t v);
  void set_u64(std::string_view key, uint64_t v);
  void set_f32(std::string_view key, float v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string_view v);
  void set_string_array(std::string_view key, const std::vector<std::string>& v);
  void set_f32_array(std::string_view key, const std::vector<float>& v);
  void set_i32_array(std::string_view key, const std::vector<int32_t>& v);
  void set_value(std::string_view key, const Value& v);  // copy any value (e.g. from another File)
  // ne as in TensorInfo (ne[0] contiguous); data must hold row_size(type, ne[0]) * rows bytes.
  Status add_tensor(std::string_view name, GgmlType type, std::vector<int64_t> ne, std::span<const uint8_t> data);
  void set_alignment(uint32_t a);
  std::vector<uint8_t> finish() const;
  Status write_file(const std::string& path) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Reads a whole file into memory (native tools and tests).
Result<std::vector<uint8_t>> read_file(const std::string& path);

}  // namespace chord::gguf
