// Statement parsing (if/for/set/macro/call/filter/with/break/continue/generation), the check for
// unknown filters/tests outside `if` branches, and parse_template().
#include "core/template/parser.h"

namespace chord::tmpl {

Status Parser::subparse(const std::vector<std::string_view>* ends, Body& body) {
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

Status Parser::parse_statements(std::vector<std::string_view> ends, Body& body, bool drop_needle) {
  if (nesting_ >= kMaxNesting) return fail("blocks nested too deeply");
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

Status Parser::parse_statement(StmtPtr& out) {
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
    if (skip_name("if")) {
      CHORD_ASSIGN_OR_RETURN(s->cond, parse_expression(true));
    }
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
      if (is_op(cur(), "|")) {
        CHORD_ASSIGN_OR_RETURN(s->expr, parse_filter(nullptr, false));
      }
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

Status Parser::parse_body_isolated(std::vector<std::string_view> ends, Body& body) {
  int saved = loop_depth_;
  loop_depth_ = 0;
  Status st = parse_statements(std::move(ends), body, true);
  loop_depth_ = saved;
  return st;
}

Status Parser::parse_signature(Stmt& s) {
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

Status Parser::parse_assign_target(Target& t, bool with_namespace, const char* extra_end) {
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
    if (is_op(cur(), ","))
      is_tuple = true;
    else
      break;
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

Status Parser::check_expr(const Expr* e, bool soft) {
  if (!e) return Status::Ok();
  if ((e->kind == ExprKind::filter || e->kind == ExprKind::test) && e->fn_id < 0 && !soft)
    return fail_at(
        e->line, std::string("No ") + (e->kind == ExprKind::filter ? "filter" : "test") + " named '" + e->name + "'.");
  bool child_soft = soft || e->kind == ExprKind::cond;
  for (const auto& a : e->args) CHORD_TRY(check_expr(a.get(), child_soft));
  for (const auto& kw : e->kwargs) CHORD_TRY(check_expr(kw.second.get(), child_soft));
  return Status::Ok();
}

Status Parser::check_unknown(const Body& body, bool soft) {
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

Result<Body> parse_template(std::string_view source) {
  CHORD_ASSIGN_OR_RETURN(std::vector<Token> toks, lex(source));
  return Parser(std::move(toks)).parse();
}

}  // namespace chord::tmpl
