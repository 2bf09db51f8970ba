// Syntax tree of a parsed template: expression and statement nodes (plain structs), built by
// parser.cpp and walked by the interpreter. Tree depth is bounded by the parser.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/template/chat_template.h"

namespace chord::tmpl {

enum class ExprKind : std::uint8_t {
  constant,  // value
  name,      // name
  list,      // args: items
  tuple,     // args: items
  dict,      // args: key0, value0, key1, value1, ...
  getattr,   // args[0].name
  getitem,   // args[0][args[1]]
  slice,     // args: start, stop, step (each may be null); only inside getitem
  call,      // args[0](args[1..], kwargs)
  filter,    // args[0] | name(args[1..], kwargs); args[0] is null in filter blocks / set blocks
  test,      // args[0] is name(args[1..], kwargs)
  not_,      // not args[0]
  neg,       // -args[0]
  pos,       // +args[0]
  binop,     // args[0] <binop> args[1]
  concat,    // args[0] ~ args[1] ~ ...
  compare,   // args[0] cmp_ops[0] args[1] cmp_ops[1] args[2] ...
  and_,      // args[0] and args[1]
  or_,       // args[0] or args[1]
  cond,      // args[1] if args[0] else args[2] (args[2] may be null)
};

enum class BinOp : std::uint8_t { add, sub, mul, div, floordiv, mod, pow };
enum class CmpOp : std::uint8_t { eq, ne, lt, le, gt, ge, in, notin };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::constant;
  int line = 0;               // source line for error messages
  int depth = 1;              // height of this subtree (bounded by the parser)
  bool foldable = false;      // not a name, call or context filter: jinja2's as_const() can pass it
  bool has_slice = false;     // a slice x[a:b] inside (where folding changes the result)
  BinOp op = BinOp::add;      // binop
  int fn_id = -1;             // filter/test: index in the registry, -1 if unknown
  Value value;                // constant
  std::string name;           // name / attribute / filter / test
  std::vector<ExprPtr> args;  // operands (see ExprKind)
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // call/filter/test keyword arguments
  std::vector<CmpOp> cmp_ops;                           // compare
};

// Assignment target: a name, namespace attribute (ns.attr) or tuple of targets.
struct Target {
  enum class Kind : std::uint8_t { name, nsref, tuple } kind = Kind::name;
  std::string name;           // name, or the namespace variable for nsref
  std::string attr;           // nsref attribute
  std::vector<Target> items;  // tuple
};

enum class StmtKind : std::uint8_t {
  text,          // literal output: text
  print,         // {{ expr }}
  if_,           // branches (test, body)..., else_body
  for_,          // target in expr [if cond] body else_body
  set,           // target = expr
  set_block,     // {% set target | filters %}body{% endset %}: expr = filter chain or null
  macro,         // name(params=defaults) body
  call_block,    // {% call(params) expr %}body{% endcall %}
  filter_block,  // {% filter expr %}body{% endfilter %}
  with,          // with_targets = with_values, body
  break_,
  continue_,
  scope,  // {% generation %}body{% endgeneration %}: renders body unchanged
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::text;
  int line = 0;
  std::string text;                                // text
  ExprPtr expr;                                    // print/set value, for iterable, call, filters
  ExprPtr cond;                                    // for ... if cond
  Target target;                                   // set / for / set_block
  std::vector<std::pair<ExprPtr, Body>> branches;  // if / elif
  Body body;
  Body else_body;
  std::string name;                 // macro name
  std::vector<std::string> params;  // macro / call block parameters
  std::vector<ExprPtr> defaults;    // defaults of the last params.size() - n params
  std::vector<Target> with_targets;
  std::vector<ExprPtr> with_values;
  bool uses_caller = false;  // macro body references caller/varargs/kwargs
  bool uses_varargs = false;
  bool uses_kwargs = false;
};

// Parses tokens into a statement list; unknown filters/tests outside `if` branches and inline
// `if` expressions are errors here (jinja2 reports them at compile time).
Result<Body> parse_template(std::string_view source);

// Registries shared by parser and interpreter (filters.cpp / jinja_tests.cpp).
int filter_id(std::string_view name);
int test_id(std::string_view name);

}  // namespace chord::tmpl
