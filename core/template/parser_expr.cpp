// Expression parsing with jinja2's precedence: inline if > or > and > not > comparisons > + - >
// ~ > * / // % > ** > unary, postfix, filters and tests > primary.
#include "core/template/parser.h"

namespace chord::tmpl {

Result<ExprPtr> Parser::parse_tuple(bool with_condexpr, const char* extra_end, bool explicit_parens) {
  int line = cur().line;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) CHORD_TRY(expect_op(","));
    if (tuple_end(extra_end)) break;
    CHORD_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(with_condexpr));
    items.push_back(std::move(e));
    if (is_op(cur(), ","))
      is_tuple = true;
    else
      break;
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) return fail("Expected an expression, got '" + describe(cur()) + "'");
  }
  return make(ExprKind::tuple, line, std::move(items));
}

Result<ExprPtr> Parser::parse_expression(bool with_condexpr) {
  if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
  DepthGuard g(nesting_);
  return with_condexpr ? parse_condexpr() : parse_or();
}

Result<ExprPtr> Parser::parse_condexpr() {
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

Result<ExprPtr> Parser::parse_or() {
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

Result<ExprPtr> Parser::parse_and() {
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

Result<ExprPtr> Parser::parse_not() {
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

Result<ExprPtr> Parser::parse_compare() {
  int line = cur().line;
  CHORD_ASSIGN_OR_RETURN(ExprPtr expr, parse_math1());
  std::vector<ExprPtr> args;
  std::vector<CmpOp> ops;
  args.push_back(std::move(expr));
  while (true) {
    const Token& t = cur();
    CmpOp op;
    if (is_op(t, "=="))
      op = CmpOp::eq;
    else if (is_op(t, "!="))
      op = CmpOp::ne;
    else if (is_op(t, "<"))
      op = CmpOp::lt;
    else if (is_op(t, "<="))
      op = CmpOp::le;
    else if (is_op(t, ">"))
      op = CmpOp::gt;
    else if (is_op(t, ">="))
      op = CmpOp::ge;
    else if (is_name(t, "in"))
      op = CmpOp::in;
    else if (is_name(t, "not") && is_name(look(), "in")) {
      op = CmpOp::notin;
      next();
    } else
      break;
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

Result<ExprPtr> Parser::binop(BinOp op, int line, ExprPtr l, ExprPtr r) {
  std::vector<ExprPtr> a;
  a.push_back(std::move(l));
  a.push_back(std::move(r));
  CHORD_ASSIGN_OR_RETURN(ExprPtr e, make(ExprKind::binop, line, std::move(a)));
  e->op = op;
  return e;
}

Result<ExprPtr> Parser::parse_math1() {
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

Result<ExprPtr> Parser::parse_concat() {
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

Result<ExprPtr> Parser::parse_math2() {
  int line = cur().line;
  CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_pow());
  while (true) {
    BinOp op;
    if (is_op(cur(), "*"))
      op = BinOp::mul;
    else if (is_op(cur(), "/"))
      op = BinOp::div;
    else if (is_op(cur(), "//"))
      op = BinOp::floordiv;
    else if (is_op(cur(), "%"))
      op = BinOp::mod;
    else
      break;
    next();
    CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_pow());
    CHORD_ASSIGN_OR_RETURN(left, binop(op, line, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::parse_pow() {
  int line = cur().line;
  CHORD_ASSIGN_OR_RETURN(ExprPtr left, parse_unary(true));
  while (skip_op("**")) {
    CHORD_ASSIGN_OR_RETURN(ExprPtr right, parse_unary(true));
    CHORD_ASSIGN_OR_RETURN(left, binop(BinOp::pow, line, std::move(left), std::move(right)));
  }
  return left;
}

Result<ExprPtr> Parser::parse_unary(bool with_filter) {
  int line = cur().line;
  ExprPtr node;
  if (is_op(cur(), "-") || is_op(cur(), "+")) {
    if (nesting_ >= kMaxNesting) return fail("expression nested too deeply");
    DepthGuard g(nesting_);
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
  if (with_filter) {
    CHORD_ASSIGN_OR_RETURN(node, parse_filter_expr(std::move(node)));
  }
  return node;
}

Result<ExprPtr> Parser::constant(Value v, int line) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::constant;
  e->line = line;
  e->value = std::move(v);
  return finish(std::move(e));
}

Result<ExprPtr> Parser::parse_primary() {
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

Result<ExprPtr> Parser::parse_postfix(ExprPtr node) {
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

Result<ExprPtr> Parser::parse_filter_expr(ExprPtr node) {
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

Result<ExprPtr> Parser::parse_subscript(ExprPtr node) {
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
  if (subs.size() == 1)
    arg = std::move(subs[0]);
  else {
    CHORD_ASSIGN_OR_RETURN(arg, make(ExprKind::tuple, line, std::move(subs)));
  }
  std::vector<ExprPtr> args;
  args.push_back(std::move(node));
  args.push_back(std::move(arg));
  return make(ExprKind::getitem, line, std::move(args));
}

Result<ExprPtr> Parser::parse_subscribed() {
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

Status Parser::parse_call_args(Expr& e) {
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

Result<ExprPtr> Parser::parse_call(ExprPtr node) {
  auto e = std::make_unique<Expr>();
  e->kind = ExprKind::call;
  e->line = cur().line;
  e->args.push_back(std::move(node));
  CHORD_TRY(parse_call_args(*e));
  return finish(std::move(e));
}

Result<ExprPtr> Parser::parse_filter(ExprPtr node, bool start_inline) {
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

Result<ExprPtr> Parser::parse_test(ExprPtr node) {
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

}  // namespace chord::tmpl
