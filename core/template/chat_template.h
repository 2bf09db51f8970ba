// Public API of the chat-template renderer: a Jinja subset that renders Hugging Face
// `tokenizer.chat_template` strings the way transformers does (ImmutableSandboxedEnvironment with
// trim_blocks and lstrip_blocks, HF's tojson/raise_exception/strftime_now), plus JSON-like values.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace chord::tmpl {

// Value kinds. The first seven are JSON-like and may be built by callers; the rest only exist
// while a template renders (Python's Undefined, namespace(), macros/methods and the loop object).
enum class Kind : std::uint8_t {
  null,
  boolean,
  integer,
  real,
  string,
  array,
  object,
  undefined,
  ns,
  callable,
  loop,
};

class Value;
using Array = std::vector<Value>;

// What Python type an array-kind value stands for. JSON arrays are lists; the rest are made while
// rendering and differ from lists the way Python's do (printing, +, [], tojson, equality).
enum class Seq : std::uint8_t {
  list,
  tuple,
  generator,  // lazy filter results, reversed(): no len, no [], always true
  range,      // range(): prints as range(a, b[, s]); slices to a range
  dict_keys,
  dict_values,
  dict_items,  // dict.keys()/values()/items(): no [], print as dict_keys([...])
};
struct Object;     // insertion-ordered string-keyed map, defined below
struct Namespace;  // render-time only (core/template/interp.h)
struct Callable;   // render-time only
struct LoopState;  // render-time only

// A JSON-like value with Python semantics when rendered. Strings hold UTF-8 bytes. Arrays and
// objects are shared immutably; the mutating builders below copy on write.
class Value {
 public:
  Value() noexcept : kind_(Kind::null) {}
  Value(std::nullptr_t) noexcept : kind_(Kind::null) {}                // NOLINT
  Value(bool b) noexcept : kind_(Kind::boolean) { u_.b = b; }          // NOLINT
  Value(int i) noexcept : kind_(Kind::integer) { u_.i = i; }           // NOLINT
  Value(std::int64_t i) noexcept : kind_(Kind::integer) { u_.i = i; }  // NOLINT
  Value(double d) noexcept : kind_(Kind::real) { u_.d = d; }           // NOLINT
  Value(std::string s);                                                // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}                 // NOLINT
  Value(const char* s) : Value(std::string(s)) {}                      // NOLINT
  static Value array(Array items = {});
  static Value object();
  static Value object(Object obj);
  static Value undefined(std::string hint = {});  // hint: the message used if the value is misused
  static Value markup(std::string s);             // a "safe" (Markup) string

  Kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == Kind::null; }
  bool is_undefined() const noexcept { return kind_ == Kind::undefined; }
  bool is_bool() const noexcept { return kind_ == Kind::boolean; }
  bool is_int() const noexcept { return kind_ == Kind::integer; }
  bool is_real() const noexcept { return kind_ == Kind::real; }
  bool is_number() const noexcept { return kind_ == Kind::integer || kind_ == Kind::real || kind_ == Kind::boolean; }
  bool is_string() const noexcept { return kind_ == Kind::string; }
  bool is_array() const noexcept { return kind_ == Kind::array; }
  bool is_object() const noexcept { return kind_ == Kind::object; }

  bool as_bool() const noexcept { return u_.b; }         // kind boolean
  std::int64_t as_int() const noexcept { return u_.i; }  // kind integer
  double as_real() const noexcept { return u_.d; }       // kind real
  double as_double() const noexcept;                     // any number kind, else 0
  const std::string& as_string() const;                  // kind string (or undefined: its hint)
  const Array& as_array() const;                         // kind array (empty for others)
  const Object& as_object() const;                       // kind object (empty for others)
  std::size_t size() const;                              // elements, entries, or 0

  // Object lookup; nullptr if not an object or no such key.
  const Value* find(std::string_view key) const;
  const Value& operator[](std::string_view key) const;  // null Value if missing
  const Value& operator[](std::size_t i) const;         // null Value if out of range

  // Builders (copy on write when shared). push_back turns null into an array, set turns null
  // into an object.
  Value& push_back(Value v);
  Value& set(std::string_view key, Value v);

  // Python flavour: a Markup string; which sequence type an array stands for.
  bool is_safe() const noexcept { return safe_; }
  Seq seq() const noexcept { return seq_; }
  bool is_tuple() const noexcept { return seq_ == Seq::tuple; }
  bool is_generator() const noexcept { return seq_ == Seq::generator; }
  Value with_flags(bool safe, bool tuple, bool generator) const;
  Value with_seq(Seq s) const;  // an array as another sequence type (a range loses its bounds)
  // range(start, stop, step) whose items are given; range_bounds() reads them back (false if not a range).
  static Value range(std::int64_t start, std::int64_t stop, std::int64_t step, Array items);
  bool range_bounds(std::int64_t& start, std::int64_t& stop, std::int64_t& step) const;
  // A generator whose body fails when first consumed (jinja2's lazy filters raise only then).
  static Value failing_generator(std::string error);
  const std::string* deferred_error() const;     // nullptr unless a failing generator
  int depth() const noexcept { return depth_; }  // container nesting (0 for scalars)

  // Render-time payloads.
  Namespace* as_namespace() const noexcept { return kind_ == Kind::ns ? static_cast<Namespace*>(u_.p) : nullptr; }
  const Callable* as_callable() const noexcept;
  LoopState* as_loop() const noexcept;
  static Value from_namespace(Namespace* ns);
  static Value from_callable(std::shared_ptr<const Callable> c);
  static Value from_loop(std::shared_ptr<LoopState> l);

 private:
  Kind kind_;
  bool safe_ = false;
  Seq seq_ = Seq::list;
  std::uint16_t depth_ = 0;
  union {
    bool b;
    std::int64_t i;
    double d;
    void* p;  // namespace; a range's bounds or a generator's error (owned through ptr_)
  } u_{};
  std::shared_ptr<const void> ptr_;  // string / Array / Object / Callable / LoopState
};

struct Object {
  std::vector<std::pair<std::string, Value>> entries;  // in insertion order, unique keys
  const Value* find(std::string_view key) const;
  void set(std::string_view key, Value v);  // replaces in place or appends
};

// JSON text <-> Value. parse_json accepts RFC 8259 JSON (plus NaN/Infinity like Python) with a
// nesting limit; integers beyond int64 become doubles.
Result<Value> parse_json(std::string_view text);

// Python json.dumps formatting (what HF's tojson filter produces).
struct JsonOptions {
  int indent = -1;              // < 0: single line
  std::string indent_str;       // used instead of `indent` spaces when non-empty
  bool ensure_ascii = false;    // HF's tojson default
  std::string item_sep = ", ";  // json.dumps default (", " or "," when indent is set)
  std::string key_sep = ": ";
  bool sort_keys = false;
  std::size_t max_bytes = SIZE_MAX;  // fail (template_error) instead of producing more
};
// Fails (template_error) on values JSON cannot hold (undefined, namespaces, callables...).
Result<std::string> dump_json(const Value& v, const JsonOptions& opts);
// Convenience form: indent < 0 gives json.dumps(v, ensure_ascii=False); indent >= 0 adds newlines.
std::string to_json(const Value& v, int indent = -1);

// Limits and environment for one render. Defaults suit chat templates; all are enforced so
// hostile templates fail with template_error instead of exhausting the stack, memory or time.
struct RenderOptions {
  std::int64_t now_unix = -1;                 // strftime_now() clock (UTC seconds); -1: real time
  std::size_t max_output_bytes = 8u << 20;    // also caps any single string built while rendering
  std::size_t max_loop_iterations = 1000000;  // total over the render
  std::size_t max_steps = 20000000;           // evaluation work budget
  int max_call_depth = 64;                    // macro recursion
};

class Template {
 public:
  // Parses (lexes with HF's whitespace settings) the whole template; syntax errors and unknown
  // filters/tests outside `if` branches are reported here, as jinja2 does at compile time.
  static Result<Template> parse(std::string_view source);
  Result<std::string> render(const Value& context, const RenderOptions& opts = {}) const;

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// Parse + render in one call. `context` must be an object (or null).
Result<std::string> render(std::string_view template_source, const Value& context, const RenderOptions& opts = {});

// transformers' apply_chat_template(tokenize=False): context is {messages, add_generation_prompt,
// bos_token, eos_token} overlaid with `extra`'s entries (e.g. tools, enable_thinking, date_string).
// Unlike transformers, which passes tools=None and documents=None, absent or null `tools` and
// `documents` stay undefined, as in llama.cpp: templates written for tool use (Command R+, Hermes)
// then iterate them as empty and render a plain chat instead of raising "'NoneType' object is not
// iterable".
Result<std::string> apply_chat_template(std::string_view tmpl, const Value& messages, bool add_generation_prompt,
                                        std::string_view bos, std::string_view eos, const Value& extra = {},
                                        const RenderOptions& opts = {});

}  // namespace chord::tmpl
