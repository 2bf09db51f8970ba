// Parser class shared by parser.cpp (statements) and parser_expr.cpp (expressions), mirroring
// jinja2.parser. Internal to core/template.
#pragma once
#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/template/ast.h"
#include "core/template/lexer.h"

namespace chord::tmpl {

constexpr int kMaxNesting = 100;    // nested statements plus nested sub-expressions
constexpr int kMaxTreeDepth = 128;  // height of an expression tree (left-assoc chains included)

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Result<Body> parse() {
    Body body;
    CHORD_TRY(subparse(nullptr, body));
    if (cur().type != Tok::eof) return fail("unexpected tag");
    CHORD_TRY(check_unknown(body, false));
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return t_[i_]; }
  const Token& look() const { return t_[i_ + 1 < t_.size() ? i_ + 1 : i_]; }
  void next() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  static bool is_op(const Token& t, std::string_view op) { return t.type == Tok::op && t.value == op; }
  static bool is_name(const Token& t, std::string_view n) { return t.type == Tok::name && t.value == n; }
  bool skip_op(std::string_view op) {
    if (!is_op(cur(), op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(cur(), n)) return false;
    next();
    return true;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::data:
        return "template data";
      case Tok::var_begin:
        return "begin of print statement";
      case Tok::var_end:
        return "end of print statement";
      case Tok::block_begin:
        return "begin of statement block";
      case Tok::block_end:
        return "end of statement block";
      case Tok::eof:
        return "end of template";
      case Tok::string:
        return "string";
      case Tok::integer:
        return "integer";
      case Tok::floating:
        return "float";
      default:
        return t.value;
    }
  }
  Status fail(const std::string& msg) const { return fail_at(cur().line, msg); }
  static Status fail_at(int line, const std::string& msg) {
    return Status(Code::template_error, "line " + std::to_string(line) + ": " + msg);
  }
  Status expect_op(std::string_view op) {
    if (skip_op(op)) return Status::Ok();
    return fail("expected token '" + std::string(op) + "', got '" + describe(cur()) + "'");
  }
  Status expect_type(Tok type, const char* what) {
    if (cur().type != type) return fail(std::string("expected token '") + what + "', got '" + describe(cur()) + "'");
    next();
    return Status::Ok();
  }

  // ---- node construction with a height bound ----
  Result<ExprPtr> make(ExprKind kind, int line, std::vector<ExprPtr> args = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    e->args = std::move(args);
    return finish(std::move(e));
  }
  Result<ExprPtr> finish(ExprPtr e) {
    int d = 0;
    for (const auto& a : e->args)
      if (a) d = std::max(d, a->depth);
    for (const auto& kw : e->kwargs) d = std::max(d, kw.second->depth);
    e->depth = d + 1;
    if (e->depth > kMaxTreeDepth) return fail_at(e->line, "expression too deeply nested");
    // For jinja2's compile-time folding (Renderer::eval): like its as_const(), names, calls,
    // unknown filters, filter blocks and the filters that take the render context stop it.
    e->foldable = e->kind != ExprKind::name && e->kind != ExprKind::call;
    if (e->kind == ExprKind::filter || e->kind == ExprKind::test) {
      e->foldable = e->fn_id >= 0 && e->args[0] != nullptr;
      for (const char* n : {"map", "select", "reject", "selectattr", "rejectattr"})
        if (e->kind == ExprKind::filter && e->name == n) e->foldable = false;
    }
    e->has_slice = e->kind == ExprKind::slice;
    for (const auto& a : e->args)
      if (a) e->has_slice = e->has_slice || a->has_slice;
    for (const auto& kw : e->kwargs) e->has_slice = e->has_slice || kw.second->has_slice;
    return e;
  }
  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& x) : d(++x) {}
    ~DepthGuard() { --d; }
  };

  // ---- statements ----
  bool at_end_token(const std::vector<std::string_view>* ends) const {
    if (!ends || cur().type != Tok::name) return false;
    for (auto e : *ends)
      if (cur().value == e) return true;
    return false;
  }

  Status subparse(const std::vector<std::string_view>* ends, Body& body);
  Status parse_statements(std::vector<std::string_view> ends, Body& body, bool drop_needle);
  Status parse_statement(StmtPtr& out);

  // Macro and call bodies are new functions: break/continue of an outer loop do not reach them.
  Status parse_body_isolated(std::vector<std::string_view> ends, Body& body);
  Status parse_signature(Stmt& s);
  Status parse_assign_target(Target& t, bool with_namespace, const char* extra_end);

  bool tuple_end(const char* extra_end) const {
    if (cur().type == Tok::var_end || cur().type == Tok::block_end || is_op(cur(), ")")) return true;
    return extra_end && is_name(cur(), extra_end);
  }

  // ---- expressions ----
  Result<ExprPtr> parse_tuple(bool with_condexpr, const char* extra_end, bool explicit_parens);
  Result<ExprPtr> parse_expression(bool with_condexpr);
  Result<ExprPtr> parse_condexpr();
  Result<ExprPtr> parse_or();
  Result<ExprPtr> parse_and();
  Result<ExprPtr> parse_not();
  Result<ExprPtr> parse_compare();
  Result<ExprPtr> binop(BinOp op, int line, ExprPtr l, ExprPtr r);
  Result<ExprPtr> parse_math1();
  Result<ExprPtr> parse_concat();
  Result<ExprPtr> parse_math2();
  Result<ExprPtr> parse_pow();
  Result<ExprPtr> parse_unary(bool with_filter);
  Result<ExprPtr> constant(Value v, int line);
  Result<ExprPtr> parse_primary();
  Result<ExprPtr> parse_postfix(ExprPtr node);
  Result<ExprPtr> parse_filter_expr(ExprPtr node);
  Result<ExprPtr> parse_subscript(ExprPtr node);
  Result<ExprPtr> parse_subscribed();
  Status parse_call_args(Expr& e);
  Result<ExprPtr> parse_call(ExprPtr node);

  // `node` is null for filter blocks and set blocks ({% filter upper %}, {% set x | trim %}).
  Result<ExprPtr> parse_filter(ExprPtr node, bool start_inline);
  Result<ExprPtr> parse_test(ExprPtr node);

  // ---- unknown filters/tests: compile-time errors unless in an if/inline-if ("soft") frame ----
  static Status check_expr(const Expr* e, bool soft);
  static Status check_unknown(const Body& body, bool soft);

  std::vector<Token> t_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
  std::vector<std::unordered_set<std::string>> macro_uses_;
};

}  // namespace chord::tmpl
