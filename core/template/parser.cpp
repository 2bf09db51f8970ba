// Recursive-descent parser mirroring jinja2.parser: statements (if/for/set/macro/call/filter/
// with/break/continue/generation) and the expression grammar with Jinja's precedence.
#include <unordered_set>

#include "core/template/ast.h"
#include "core/template/lexer.h"

namespace chord::tmpl {

namespace {

constexpr int kMaxNesting = 64;     // nested statements or nested sub-expressions
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
      case Tok::data: return "template data";
      case Tok::var_begin: return "begin of print statement";
      case Tok::var_end: return "end of print statement";
      case Tok::block_begin: return "begin of statement block";
      case Tok::block_end: return "end of statement block";
      case Tok::eof: return "end of template";
      case Tok::string: return "string";
      case Tok::integer: return "integer";
      case Tok::floating: return "float";
      default: return t.value;
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

  Status subparse(const std::vector<std::string_view>* ends, Body& body) {
    while (cur().type != Tok::eof) {
      const Token& tok = cur();
      if (tok.type == Tok::data) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::text;
        s->line = tok.line;
        s->text = tok.value;
        body.push_back(std::move(s));
        next();
      } else if (tok.type == Tok::var_begin) {
        int line = tok.line;
        next();
        CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_tuple(true, nullptr, false));
        CHORD_TRY(expect_type(Tok::var_end, "end of print statement"));
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::print;
        s->line = line;
        s->expr = std::move(e);
        body.push_back(std::move(s));
      } else if (tok.type == Tok::block_begin) {
        next();
        if (at_end_token(ends)) return Status::Ok();
        StmtPtr s;
        CHORD_TRY(parse_statement(s));
        if (s) body.push_back(std::move(s));
        CHORD_TRY(expect_type(Tok::block_end, "end of statement block"));
      } else {
        return fail("unexpected '" + describe(tok) + "'");
      }
    }
    return Status::Ok();
  }

  Status parse_statements(std::vector<std::string_view> ends, Body& body, bool drop_needle) {
    if (nesting_ >= kMaxNesting) return fail("statements nested too deeply");
    DepthGuard g(nesting_);
    skip_op(":");
    CHORD_TRY(expect_type(Tok::block_end, "end of statement block"));
    CHORD_TRY(subparse(&ends, body));
    if (cur().type == Tok::eof) {
      std::string list;
      for (auto e : ends) list += (list.empty() ? "'" : " or '") + std::string(e) + "'";
      return fail("Unexpected end of template. Jinja was looking for the following tags: " + list + ".");
    }
    if (drop_needle) next();
    return Status::Ok();
  }

  Status parse_statement(StmtPtr& out) {
    const Token& tok = cur();
    if (tok.type != Tok::name) return fail("tag name expected");
    std::string tag = tok.value;
    int line = tok.line;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    next();
    if (tag == "if") {
      s->kind = StmtKind::if_;
      while (true) {
        CHORD_ASSIGN_OR_RETURN(ExprPtr test, parse_tuple(false, nullptr, false));
        Body b;
        CHORD_TRY(parse_statements({"elif", "else", "endif"}, b, false));
        s->branches.emplace_back(std::move(test), std::move(b));
        std::string which = cur().value;
        next();
        if (which == "elif") continue;
        if (which == "else") CHORD_TRY(parse_statements({"endif"}, s->else_body, true));
        break;
      }
    } else if (tag == "for") {
      s->kind = StmtKind::for_;
      CHORD_TRY(parse_assign_target(s->target, false, "in"));
      if (!skip_name("in")) return fail("expected token 'in', got '" + describe(cur()) + "'");
      CHORD_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, "recursive", false));
      if (skip_name("if")) { CHORD_ASSIGN_OR_RETURN(s->cond, parse_expression(true)); }
      if (is_name(cur(), "recursive")) return fail("recursive for loops are not supported");
      ++loop_depth_;
      Status st = parse_statements({"endfor", "else"}, s->body, false);
      --loop_depth_;
      CHORD_TRY(st);
      std::string which = cur().value;
      next();
      if (which == "else") CHORD_TRY(parse_statements({"endfor"}, s->else_body, true));
    } else if (tag == "set") {
      CHORD_TRY(parse_assign_target(s->target, true, nullptr));
      if (skip_op("=")) {
        s->kind = StmtKind::set;
        CHORD_ASSIGN_OR_RETURN(s->expr, parse_tuple(true, nullptr, false));
      } else {
        s->kind = StmtKind::set_block;
        if (is_op(cur(), "|")) { CHORD_ASSIGN_OR_RETURN(s->expr, parse_filter(nullptr, false)); }
        CHORD_TRY(parse_body_isolated({"endset"}, s->body));
      }
    } else if (tag == "macro") {
      s->kind = StmtKind::macro;
      if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
      s->name = cur().value;
      next();
      CHORD_TRY(parse_signature(*s));
      macro_uses_.emplace_back();
      Status st = parse_body_isolated({"endmacro"}, s->body);
      auto uses = macro_uses_.back();
      macro_uses_.pop_back();
      CHORD_TRY(st);
      s->uses_caller = uses.count("caller") > 0;
      s->uses_varargs = uses.count("varargs") > 0;
      s->uses_kwargs = uses.count("kwargs") > 0;
    } else if (tag == "call") {
      s->kind = StmtKind::call_block;
      if (is_op(cur(), "(")) CHORD_TRY(parse_signature(*s));
      CHORD_ASSIGN_OR_RETURN(s->expr, parse_expression(true));
      if (s->expr->kind != ExprKind::call) return fail_at(line, "expected call");
      macro_uses_.emplace_back();
      Status st = parse_body_isolated({"endcall"}, s->body);
      macro_uses_.pop_back();
      CHORD_TRY(st);
    } else if (tag == "filter") {
      s->kind = StmtKind::filter_block;
      CHORD_ASSIGN_OR_RETURN(s->expr, parse_filter(nullptr, true));
      CHORD_TRY(parse_statements({"endfilter"}, s->body, true));
    } else if (tag == "with") {
      s->kind = StmtKind::with;
      while (cur().type != Tok::block_end) {
        if (!s->with_targets.empty()) CHORD_TRY(expect_op(","));
        Target t;
        CHORD_TRY(parse_assign_target(t, false, nullptr));
        CHORD_TRY(expect_op("="));
        CHORD_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        s->with_targets.push_back(std::move(t));
        s->with_values.push_back(std::move(v));
      }
      CHORD_TRY(parse_statements({"endwith"}, s->body, true));
    } else if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) return fail_at(line, "'" + tag + "' outside loop");
      s->kind = tag == "break" ? StmtKind::break_ : StmtKind::continue_;
    } else if (tag == "generation") {
      s->kind = StmtKind::scope;
      CHORD_TRY(parse_statements({"endgeneration"}, s->body, true));
    } else if (tag == "print") {
      s->kind = StmtKind::print;
      CHORD_ASSIGN_OR_RETURN(s->expr, parse_tuple(true, nullptr, false));
    } else if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" || tag == "from" ||
               tag == "autoescape" || tag == "raw") {
      return fail_at(line, "unsupported tag '" + tag + "' (no template loader in chat templates)");
    } else {
      return fail_at(line, "Encountered unknown tag '" + tag + "'.");
    }
    out = std::move(s);
    return Status::Ok();
  }

  // Macro and call bodies are new functions: break/continue of an outer loop do not reach them.
  Status parse_body_isolated(std::vector<std::string_view> ends, Body& body) {
    int saved = loop_depth_;
    loop_depth_ = 0;
    Status st = parse_statements(std::move(ends), body, true);
    loop_depth_ = saved;
    return st;
  }

  Status parse_signature(Stmt& s) {
    CHORD_TRY(expect_op("("));
    while (!is_op(cur(), ")")) {
      if (!s.params.empty()) CHORD_TRY(expect_op(","));
      if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
      s.params.push_back(cur().value);
      next();
      if (skip_op("=")) {
        CHORD_ASSIGN_OR_RETURN(ExprPtr d, parse_expression(true));
        s.defaults.push_back(std::move(d));
      } else if (!s.defaults.empty()) {
        return fail("non-default argument follows default argument");
      }
    }
    next();
    return Status::Ok();
  }

  Status parse_assign_target(Target& t, bool with_namespace, const char* extra_end) {
    bool is_tuple = false;
    std::vector<Target> items;
    while (true) {
      if (!items.empty()) CHORD_TRY(expect_op(","));
      if (tuple_end(extra_end)) break;
      Target one;
      if (cur().type != Tok::name) return fail("can't assign to '" + describe(cur()) + "'");
      std::string n = cur().value;
      if (n == "true" || n == "false" || n == "True" || n == "False" || n == "none" || n == "None")
        return fail("can't assign to 'const'");
      next();
      if (with_namespace && is_op(cur(), ".")) {
        next();
        if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
        one.kind = Target::Kind::nsref;
        one.attr = cur().value;
        next();
      }
      one.name = n;
      items.push_back(std::move(one));
      if (is_op(cur(), ",")) is_tuple = true;
      else break;
    }
    if (items.empty()) return fail("expected an assignment target, got '" + describe(cur()) + "'");
    if (!is_tuple) {
      t = std::move(items[0]);
    } else {
      for (const auto& it : items)
        if (it.kind == Target::Kind::nsref) return fail("can't assign to a namespace attribute in a tuple");
      t.kind = Target::Kind::tuple;
      t.items = std::move(items);
    }
    return Status::Ok();
  }

  bool tuple_end(const char* extra_end) const {
    if (cur().type == Tok::var_end || cur().type == Tok::block_end || is_op(cur(), ")")) return true;
    return extra_end && is_name(cur(), extra_end);
  }

  // ---- expressions ----
  Result<ExprPtr> parse_tuple(bool with_condexpr, const char* extra_end, bool explicit_parens) {
    int line = cur().line;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) CHORD_TRY(expect_op(","));
      if (tuple_end(extra_end)) break;
      CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(with_condexpr));
      items.push_back(std::move(e));
      if (is_op(cur(), ",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) return fail("Expected an expression, got '" + describe(cur()) + "'");
    }
    return make(ExprKind::tuple, line, std::move(items));
  }

  Result<ExprPtr> parse_expression(bool with_condexpr) {
    if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
    DepthGuard g(nesting_);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  Result<ExprPtr> parse_condexpr() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr expr1, parse_or());
    while (skip_name("if")) {
      CHORD_ASSIGN_OR_RETURN(ExprPtr expr2, parse_or());
      ExprPtr expr3;
      if (skip_name("else")) {
        if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
        DepthGuard g(nesting_);
        CHORD_ASSIGN_OR_RETURN(expr3, parse_condexpr());
      }
      std::vector<ExprPtr> a;
      a.push_back(std::move(expr2));
      a.push_back(std::move(expr1));
      a.push_back(std::move(expr3));
      CHORD_ASSIGN_OR_RETURN(expr1, make(ExprKind::cond, line, std::move(a)));
      line = cur().line;
    }
    return expr1;
  }

  Result<ExprPtr> parse_or() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
    while (skip_name("or")) {
      CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_and());
      std::vector<ExprPtr> a;
      a.push_back(std::move(left));
      a.push_back(std::move(right));
      CHORD_ASSIGN_OR_RETURN(left, make(ExprKind::or_, line, std::move(a)));
    }
    return left;
  }

  Result<ExprPtr> parse_and() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
    while (skip_name("and")) {
      CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_not());
      std::vector<ExprPtr> a;
      a.push_back(std::move(left));
      a.push_back(std::move(right));
      CHORD_ASSIGN_OR_RETURN(left, make(ExprKind::and_, line, std::move(a)));
    }
    return left;
  }

  Result<ExprPtr> parse_not() {
    if (is_name(cur(), "not")) {
      int line = cur().line;
      next();
      if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
      DepthGuard g(nesting_);
      CHORD_ASSIGN_OR_RETURN(ExprPtr inner, parse_not());
      std::vector<ExprPtr> a;
      a.push_back(std::move(inner));
      return make(ExprKind::not_, line, std::move(a));
    }
    return parse_compare();
  }

  Result<ExprPtr> parse_compare() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr expr, parse_math1());
    std::vector<ExprPtr> args;
    std::vector<CmpOp> ops;
    args.push_back(std::move(expr));
    while (true) {
      const Token& t = cur();
      CmpOp op;
      if (is_op(t, "==")) op = CmpOp::eq;
      else if (is_op(t, "!=")) op = CmpOp::ne;
      else if (is_op(t, "<")) op = CmpOp::lt;
      else if (is_op(t, "<=")) op = CmpOp::le;
      else if (is_op(t, ">")) op = CmpOp::gt;
      else if (is_op(t, ">=")) op = CmpOp::ge;
      else if (is_name(t, "in")) op = CmpOp::in;
      else if (is_name(t, "not") && is_name(look(), "in")) { op = CmpOp::notin; next(); }
      else break;
      next();
      CHORD_ASSIGN_OR_RETURN(ExprPtr rhs, parse_math1());
      args.push_back(std::move(rhs));
      ops.push_back(op);
    }
    if (ops.empty()) return std::move(args[0]);
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::compare;
    e->line = line;
    e->args = std::move(args);
    e->cmp_ops = std::move(ops);
    return finish(std::move(e));
  }

  Result<ExprPtr> binop(BinOp op, int line, ExprPtr l, ExprPtr r) {
    std::vector<ExprPtr> a;
    a.push_back(std::move(l));
    a.push_back(std::move(r));
    CHORD_ASSIGN_OR_RETURN(ExprPtr e, make(ExprKind::binop, line, std::move(a)));
    e->op = op;
    return e;
  }

  Result<ExprPtr> parse_math1() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_concat());
    while (is_op(cur(), "+") || is_op(cur(), "-")) {
      BinOp op = cur().value == "+" ? BinOp::add : BinOp::sub;
      next();
      CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_concat());
      CHORD_ASSIGN_OR_RETURN(left, binop(op, line, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> parse_concat() {
    int line = cur().line;
    std::vector<ExprPtr> args;
    CHORD_ASSIGN_OR_RETURN(ExprPtr first, parse_math2());
    args.push_back(std::move(first));
    while (skip_op("~")) {
      CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_math2());
      args.push_back(std::move(e));
    }
    if (args.size() == 1) return std::move(args[0]);
    return make(ExprKind::concat, line, std::move(args));
  }

  Result<ExprPtr> parse_math2() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_pow());
    while (true) {
      BinOp op;
      if (is_op(cur(), "*")) op = BinOp::mul;
      else if (is_op(cur(), "/")) op = BinOp::div;
      else if (is_op(cur(), "//")) op = BinOp::floordiv;
      else if (is_op(cur(), "%")) op = BinOp::mod;
      else break;
      next();
      CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_pow());
      CHORD_ASSIGN_OR_RETURN(left, binop(op, line, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> parse_pow() {
    int line = cur().line;
    CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_unary(true));
    while (skip_op("**")) {
      CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_unary(true));
      CHORD_ASSIGN_OR_RETURN(left, binop(BinOp::pow, line, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<ExprPtr> parse_unary(bool with_filter) {
    if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
    DepthGuard g(nesting_);
    int line = cur().line;
    ExprPtr node;
    if (is_op(cur(), "-") || is_op(cur(), "+")) {
      ExprKind k = cur().value == "-" ? ExprKind::neg : ExprKind::pos;
      next();
      CHORD_ASSIGN_OR_RETURN(ExprPtr inner, parse_unary(false));
      std::vector<ExprPtr> a;
      a.push_back(std::move(inner));
      CHORD_ASSIGN_OR_RETURN(node, make(k, line, std::move(a)));
    } else {
      CHORD_ASSIGN_OR_RETURN(node, parse_primary());
    }
    CHORD_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
    if (with_filter) { CHORD_ASSIGN_OR_RETURN(node, parse_filter_expr(std::move(node))); }
    return node;
  }

  Result<ExprPtr> constant(Value v, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::constant;
    e->line = line;
    e->value = std::move(v);
    return finish(std::move(e));
  }

  Result<ExprPtr> parse_primary() {
    const Token& t = cur();
    int line = t.line;
    if (t.type == Tok::name) {
      std::string n = t.value;
      next();
      if (n == "true" || n == "True") return constant(Value(true), line);
      if (n == "false" || n == "False") return constant(Value(false), line);
      if (n == "none" || n == "None") return constant(Value(), line);
      if (!macro_uses_.empty()) macro_uses_.back().insert(n);
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::name;
      e->line = line;
      e->name = std::move(n);
      return finish(std::move(e));
    }
    if (t.type == Tok::string) {
      std::string s;
      while (cur().type == Tok::string) {
        s += cur().value;
        next();
      }
      return constant(Value(std::move(s)), line);
    }
    if (t.type == Tok::integer) {
      Value v(t.ival);
      next();
      return constant(std::move(v), line);
    }
    if (t.type == Tok::floating) {
      Value v(t.fval);
      next();
      return constant(std::move(v), line);
    }
    if (is_op(t, "(")) {
      next();
      CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_tuple(true, nullptr, true));
      CHORD_TRY(expect_op(")"));
      return e;
    }
    if (is_op(t, "[") || is_op(t, "{")) {
      bool is_list = t.value == "[";
      next();
      std::vector<ExprPtr> items;
      const char* close = is_list ? "]" : "}";
      while (!is_op(cur(), close)) {
        if (!items.empty()) CHORD_TRY(expect_op(","));
        if (is_op(cur(), close)) break;
        CHORD_ASSIGN_OR_RETURN(ExprPtr k, parse_expression(true));
        items.push_back(std::move(k));
        if (!is_list) {
          CHORD_TRY(expect_op(":"));
          CHORD_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
          items.push_back(std::move(v));
        }
      }
      CHORD_TRY(expect_op(close));
      return make(is_list ? ExprKind::list : ExprKind::dict, line, std::move(items));
    }
    return fail("unexpected '" + describe(t) + "'");
  }

  Result<ExprPtr> parse_postfix(ExprPtr node) {
    while (true) {
      if (is_op(cur(), ".") || is_op(cur(), "[")) {
        CHORD_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node)));
      } else if (is_op(cur(), "(")) {
        CHORD_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op(cur(), "|")) {
        CHORD_ASSIGN_OR_RETURN(node, parse_filter(std::move(node), false));
      } else if (is_name(cur(), "is")) {
        CHORD_ASSIGN_OR_RETURN(node, parse_test(std::move(node)));
      } else if (is_op(cur(), "(")) {
        CHORD_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> parse_subscript(ExprPtr node) {
    int line = cur().line;
    bool dot = cur().value == ".";
    next();
    if (dot) {
      const Token& a = cur();
      if (a.type == Tok::name) {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::getattr;
        e->line = line;
        e->name = a.value;
        e->args.push_back(std::move(node));
        next();
        return finish(std::move(e));
      }
      if (a.type != Tok::integer) return fail("expected name or number");
      CHORD_ASSIGN_OR_RETURN(ExprPtr idx, constant(Value(a.ival), a.line));
      next();
      std::vector<ExprPtr> args;
      args.push_back(std::move(node));
      args.push_back(std::move(idx));
      return make(ExprKind::getitem, line, std::move(args));
    }
    std::vector<ExprPtr> subs;
    while (!is_op(cur(), "]")) {
      if (!subs.empty()) CHORD_TRY(expect_op(","));
      CHORD_ASSIGN_OR_RETURN(ExprPtr s, parse_subscribed());
      subs.push_back(std::move(s));
    }
    CHORD_TRY(expect_op("]"));
    ExprPtr arg;
    if (subs.size() == 1) arg = std::move(subs[0]);
    else { CHORD_ASSIGN_OR_RETURN(arg, make(ExprKind::tuple, line, std::move(subs))); }
    std::vector<ExprPtr> args;
    args.push_back(std::move(node));
    args.push_back(std::move(arg));
    return make(ExprKind::getitem, line, std::move(args));
  }

  Result<ExprPtr> parse_subscribed() {
    int line = cur().line;
    std::vector<ExprPtr> parts;
    if (is_op(cur(), ":")) {
      next();
      parts.push_back(nullptr);
    } else {
      CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(true));
      if (!is_op(cur(), ":")) return e;
      next();
      parts.push_back(std::move(e));
    }
    if (is_op(cur(), ":") || is_op(cur(), "]") || is_op(cur(), ",")) {
      parts.push_back(nullptr);
    } else {
      CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(true));
      parts.push_back(std::move(e));
    }
    if (skip_op(":")) {
      if (is_op(cur(), "]") || is_op(cur(), ",")) {
        parts.push_back(nullptr);
      } else {
        CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(true));
        parts.push_back(std::move(e));
      }
    } else {
      parts.push_back(nullptr);
    }
    return make(ExprKind::slice, line, std::move(parts));
  }

  Status parse_call_args(Expr& e) {
    CHORD_TRY(expect_op("("));
    bool require_comma = false;
    while (!is_op(cur(), ")")) {
      if (require_comma) {
        CHORD_TRY(expect_op(","));
        if (is_op(cur(), ")")) break;
      }
      if (is_op(cur(), "*") || is_op(cur(), "**")) return fail("unsupported: *args / **kwargs in calls");
      if (cur().type == Tok::name && is_op(look(), "=")) {
        std::string key = cur().value;
        next();
        next();
        CHORD_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e.kwargs.emplace_back(std::move(key), std::move(v));
      } else {
        if (!e.kwargs.empty()) return fail("invalid syntax for function call expression");
        CHORD_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e.args.push_back(std::move(v));
      }
      require_comma = true;
    }
    next();
    return Status::Ok();
  }

  Result<ExprPtr> parse_call(ExprPtr node) {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::call;
    e->line = cur().line;
    e->args.push_back(std::move(node));
    CHORD_TRY(parse_call_args(*e));
    return finish(std::move(e));
  }

  // `node` is null for filter blocks and set blocks ({% filter upper %}, {% set x | trim %}).
  Result<ExprPtr> parse_filter(ExprPtr node, bool start_inline) {
    while (is_op(cur(), "|") || start_inline) {
      if (!start_inline) next();
      start_inline = false;
      if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::filter;
      e->line = cur().line;
      e->name = cur().value;
      next();
      while (skip_op(".")) {
        if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
        e->name += "." + cur().value;
        next();
      }
      e->fn_id = filter_id(e->name);
      e->args.push_back(std::move(node));
      if (is_op(cur(), "(")) CHORD_TRY(parse_call_args(*e));
      CHORD_ASSIGN_OR_RETURN(node, finish(std::move(e)));
    }
    return node;
  }

  Result<ExprPtr> parse_test(ExprPtr node) {
    int line = cur().line;
    next();  // 'is'
    bool negated = skip_name("not");
    if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::test;
    e->line = line;
    e->name = cur().value;
    next();
    while (skip_op(".")) {
      if (cur().type != Tok::name) return fail("expected token 'name', got '" + describe(cur()) + "'");
      e->name += "." + cur().value;
      next();
    }
    e->fn_id = test_id(e->name);
    e->args.push_back(std::move(node));
    const Token& t = cur();
    if (is_op(t, "(")) {
      CHORD_TRY(parse_call_args(*e));
    } else if ((t.type == Tok::name || t.type == Tok::string || t.type == Tok::integer || t.type == Tok::floating ||
                is_op(t, "[") || is_op(t, "{")) &&
               !is_name(t, "else") && !is_name(t, "or") && !is_name(t, "and")) {
      if (is_name(t, "is")) return fail("You cannot chain multiple tests with is");
      CHORD_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
      CHORD_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
      e->args.push_back(std::move(arg));
    }
    CHORD_ASSIGN_OR_RETURN(ExprPtr test, finish(std::move(e)));
    if (!negated) return test;
    std::vector<ExprPtr> a;
    a.push_back(std::move(test));
    return make(ExprKind::not_, line, std::move(a));
  }

  // ---- unknown filters/tests: compile-time errors unless in an if/inline-if ("soft") frame ----
  static Status check_expr(const Expr* e, bool soft) {
    if (!e) return Status::Ok();
    if ((e->kind == ExprKind::filter || e->kind == ExprKind::test) && e->fn_id < 0 && !soft)
      return fail_at(e->line, std::string("No ") + (e->kind == ExprKind::filter ? "filter" : "test") +
                                  " named '" + e->name + "'.");
    bool child_soft = soft || e->kind == ExprKind::cond;
    for (const auto& a : e->args) CHORD_TRY(check_expr(a.get(), child_soft));
    for (const auto& kw : e->kwargs) CHORD_TRY(check_expr(kw.second.get(), child_soft));
    return Status::Ok();
  }

  static Status check_unknown(const Body& body, bool soft) {
    for (const auto& s : body) {
      switch (s->kind) {
        case StmtKind::if_:
          for (const auto& br : s->branches) {
            CHORD_TRY(check_expr(br.first.get(), true));
            CHORD_TRY(check_unknown(br.second, true));
          }
          CHORD_TRY(check_unknown(s->else_body, true));
          break;
        case StmtKind::for_:
          CHORD_TRY(check_expr(s->expr.get(), soft));
          CHORD_TRY(check_expr(s->cond.get(), false));
          CHORD_TRY(check_unknown(s->body, false));
          CHORD_TRY(check_unknown(s->else_body, false));
          break;
        case StmtKind::call_block:
          CHORD_TRY(check_expr(s->expr.get(), soft));
          for (const auto& d : s->defaults) CHORD_TRY(check_expr(d.get(), false));
          CHORD_TRY(check_unknown(s->body, false));
          break;
        case StmtKind::with:
          for (const auto& v : s->with_values) CHORD_TRY(check_expr(v.get(), soft));
          CHORD_TRY(check_unknown(s->body, false));
          break;
        case StmtKind::macro:
          for (const auto& d : s->defaults) CHORD_TRY(check_expr(d.get(), false));
          CHORD_TRY(check_unknown(s->body, false));
          break;
        case StmtKind::set_block:
        case StmtKind::filter_block:
          CHORD_TRY(check_expr(s->expr.get(), false));
          CHORD_TRY(check_unknown(s->body, false));
          break;
        case StmtKind::scope:
          CHORD_TRY(check_unknown(s->body, false));
          break;
        default:
          CHORD_TRY(check_expr(s->expr.get(), soft));
      }
    }
    return Status::Ok();
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
  std::vector<std::unordered_set<std::string>> macro_uses_;
};

}  // namespace

Result<Body> parse_template(std::string_view source) {
  CHORD_ASSIGN_OR_RETURN(std::vector<Token> toks, lex(source));
  return Parser(std::move(toks)).parse();
}

}  // namespace chord::tmpl
