// Interpreter internals: render-time objects (namespace, callables, loop state, frames), the
// Renderer that executes a parsed template with resource limits, and the Python-semantics helpers
// shared by the evaluator, filters, tests and methods.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/template/ast.h"
#include "core/template/chat_template.h"

namespace chord::tmpl {

constexpr int kMaxValueDepth = 200;  // nesting of values built while rendering

struct Namespace {  // namespace(): the only mutable object; owned by the Renderer
  Object attrs;
};

struct Frame;

enum class CallableKind : std::uint8_t {
  builtin,  // global function: id in builtin_id
  method,   // bound method `name` of `self` (str/dict/list methods, loop.cycle, ...)
  macro,    // {% macro %}: stmt + closure
  caller,   // the body of a {% call %} block: stmt + closure
  unsafe,   // attribute the immutable sandbox refuses (list.append, dict.pop, ...)
};

struct Callable {
  CallableKind kind = CallableKind::builtin;
  int builtin_id = 0;          // builtin
  std::string name;            // method / macro name
  Value self;                  // method receiver (or the object of an unsafe attribute)
  const Stmt* stmt = nullptr;  // macro / caller: definition (owned by the Template)
  Frame* closure = nullptr;    // macro / caller: defining scope (kept alive by the Renderer)
};

struct LoopState {
  Value items;             // array being iterated (after the loop's `if` filter)
  std::size_t index0 = 0;  // current position
  int depth = 1;           // loop.depth
  Value last_changed;      // loop.changed() memory
  bool has_changed = false;
};

struct Frame : std::enable_shared_from_this<Frame> {  // a variable scope; lookups fall through to parent
  std::shared_ptr<Frame> parent;
  std::vector<std::pair<std::string, Value>> vars;
  const Value* find(std::string_view name) const {
    for (const auto& v : vars)
      if (v.first == name) return &v.second;
    return nullptr;
  }
  void set(std::string_view name, Value v) {
    for (auto& e : vars)
      if (e.first == name) {
        e.second = std::move(v);
        return;
      }
    vars.emplace_back(std::string(name), std::move(v));
  }
};

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

// Binds Python-style: positional first, then keywords by name. `out[i]` is null when absent.
// Fails on too many positional arguments or unknown/duplicate keywords.
Status bind_args(const CallArgs& a, std::initializer_list<const char*> names, std::vector<const Value*>& out,
                 std::string_view fn);

class Renderer {
 public:
  Renderer(const RenderOptions& opts, const Value& globals);
  ~Renderer();
  Status run(const Body& body, std::string& out);

  // Statements (interp_stmt.cpp).
  Status exec_body(const Body& body);
  Status exec(const Stmt& s);
  Status render_to_string(const Body& body, std::shared_ptr<Frame> frame, std::string& out);

  // Expressions (interp_expr.cpp).
  Result<Value> eval(const Expr& e);
  Result<Value> call_value(const Value& fn, CallArgs& args, int line);
  Result<Value> call_macro(const Callable& m, CallArgs& args, const Value* caller);
  Result<Value> get_attr(const Value& obj, std::string_view name);
  Result<Value> get_item(const Value& obj, const Value& key);
  Result<Value> lookup(std::string_view name);
  Result<Value> apply_filter(int id, const std::string& name, const Value& input, CallArgs& args);
  Result<bool> apply_test(int id, const std::string& name, const Value& input, CallArgs& args);

  // Budgets and limits.
  Status step(std::size_t n = 1);
  Status check_size(std::size_t bytes) const;
  Status check_value(const Value& v) const;
  std::size_t max_string() const { return opts_.max_output_bytes; }
  std::int64_t now() const;
  Namespace* new_namespace();
  void keep_alive(const std::shared_ptr<Frame>& f);

  const RenderOptions& opts_;
  Value globals_;
  std::shared_ptr<Frame> frame_;
  std::string* out_ = nullptr;
  int depth_ = 0;       // combined statement/expression/call recursion
  int call_depth_ = 0;  // macro calls
  enum class Flow : std::uint8_t { normal, break_, continue_ } flow_ = Flow::normal;
  bool located_ = false;  // the pending error already names a line
  // Evaluating a {{ }} expression the way jinja2's compile-time folding does (as_const): fails
  // with kNotConstant at a name, call or context filter; a bad slice gives Undefined.
  bool const_mode_ = false;
  static constexpr const char* kNotConstant = "not a constant expression";
  Value block_input_;  // body text fed to the filter chain of a filter/set block

 private:
  std::size_t steps_ = 0;
  std::size_t iterations_ = 0;
  std::vector<std::unique_ptr<Namespace>> namespaces_;
  std::vector<std::shared_ptr<Frame>> kept_frames_;
  friend Status exec_for(Renderer& r, const Stmt& s);
};

Status exec_for(Renderer& r, const Stmt& s);

// RAII recursion guard: fails once the combined depth passes the limit.
struct DepthScope {
  Renderer& r;
  bool ok;
  explicit DepthScope(Renderer& rr);
  ~DepthScope() { --r.depth_; }
};

// ---- Python semantics (ops.cpp, pyrepr.cpp) ----
// Array flavours (Seq): lists and tuples support + * < and tojson; ranges also [] and slicing;
// dict views and generators only iteration (and len / in for views).
inline bool is_list_or_tuple(const Value& v) { return v.is_array() && (v.seq() == Seq::list || v.seq() == Seq::tuple); }
inline bool is_indexable(const Value& v) { return is_list_or_tuple(v) || (v.is_array() && v.seq() == Seq::range); }

bool truthy(const Value& v);
const char* type_name(const Value& v);          // Python type name: 'str', 'int', 'NoneType', ...
std::string object_type_repr(const Value& v);   // jinja2's object_type_repr: 'dict object', 'None'
std::string undefined_message(const Value& v);  // "'x' is undefined" for an undefined value
Status undefined_error(const Value& v);
Result<Value> binary_op(BinOp op, const Value& a, const Value& b, std::size_t max_bytes);
bool py_equal(const Value& a, const Value& b);
Result<int> py_compare(const Value& a, const Value& b);  // <0, 0, >0 or TypeError
Result<bool> py_contains(const Value& container, const Value& item);
Result<Value> py_iterable(const Value& v);                                // an array Value of the items `for` would see
Status py_str(const Value& v, std::string& out, std::size_t max_bytes);   // str(v)
Status py_repr(const Value& v, std::string& out, std::size_t max_bytes);  // repr(v)
Result<std::string> to_str(const Value& v, std::size_t max_bytes);
Value make_str(std::string s, bool safe);                              // a str or Markup value
Value concat_str(const Value& a, const Value& b, std::string joined);  // Markup-aware str + str
Value tuple_of(Array items);
Result<Value> percent_format(const Value& fmt, const Value& args, std::size_t max_bytes);  // str % args
Result<Value> str_format(Renderer& r, const Value& self, CallArgs& args);                  // str.format()
// Python dict keys other than str (jinja2 dict literals may use ints) are stored in Object as
// "\0" + tag + text: 'i' int, 'f' float, 'b' bool, 'n' None, 'u' Undefined. Strings are stored as is.
Result<std::string> dict_key(const Value& k);
Value key_value(const std::string& k);
std::string key_json(const std::string& k);  // json.dumps's text for a key
// Lookup/insert by a Python key: True/1 and False/0 are the same key, as in Python.
Result<const Value*> find_key(const Object& o, const Value& key);
Status set_key(Object& o, const Value& key, Value v);

// ---- registries ----
Result<Value> call_builtin(Renderer& r, int id, CallArgs& args);
int builtin_id(std::string_view name);
bool has_method(const Value& self, std::string_view name, bool& unsafe);
Result<Value> call_method(Renderer& r, const Value& self, std::string_view name, CallArgs& args);
Result<Value> loop_attr(const Value& loop, std::string_view name);

}  // namespace chord::tmpl
