// Errors as values: a small code enum, Status (code + message) and Result<T>.
// Release wasm builds have no exceptions, so every fallible function returns one of these.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace chord {

enum class Code : int {
  ok = 0,
  bad_gguf,          // malformed or truncated model file
  unsupported,       // well-formed but not something we implement (GGUF v1, unknown type, arch)
  out_of_memory,     // a size check refused an allocation
  context_full,      // the KV cache cannot take more tokens
  aborted,           // the caller asked us to stop
  invalid_argument,  // a bad parameter from the caller
  io_error,          // a file could not be opened or read
  not_found,         // a named key/tensor/token is missing
  template_error,    // a chat template could not be parsed or rendered
};

const char* code_name(Code c) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }
  bool ok() const noexcept { return code_ == Code::ok; }
  Code code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  std::string to_string() const { return std::string(code_name(code_)) + ": " + message_; }

 private:
  Code code_ = Code::ok;
  std::string message_;
};

// Result<T> holds a T or a non-ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  Result(Code code, std::string msg) : v_(Status(code, std::move(msg))) {}
  bool ok() const noexcept { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

[[noreturn]] inline void check_failed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", file, line, expr);
  std::abort();
}

}  // namespace chord

// For bugs (broken invariants), never for bad input.
#define CHORD_CHECK(x)                                       \
  do {                                                       \
    if (!(x)) ::chord::check_failed(__FILE__, __LINE__, #x); \
  } while (0)

// Early-return helpers.
#define CHORD_TRY(expr)                  \
  do {                                   \
    ::chord::Status chord_s_ = (expr);   \
    if (!chord_s_.ok()) return chord_s_; \
  } while (0)
#define CHORD_CONCAT_(a, b) a##b
#define CHORD_CONCAT(a, b) CHORD_CONCAT_(a, b)
#define CHORD_ASSIGN_OR_RETURN(lhs, expr)                                                       \
  auto CHORD_CONCAT(chord_r_, __LINE__) = (expr);                                               \
  if (!CHORD_CONCAT(chord_r_, __LINE__).ok()) return CHORD_CONCAT(chord_r_, __LINE__).status(); \
  lhs = std::move(CHORD_CONCAT(chord_r_, __LINE__)).value()
