// Statement execution (output, if, for with loop variable, set/namespace assignment, macros, call
// and filter blocks, with, break/continue) plus the Renderer's budgets and lifetime management.
#include <ctime>

#include "core/template/interp.h"

namespace chord::tmpl {

namespace {
constexpr int kMaxRecursion = 400;  // statements + expressions + macro calls on the C++ stack
constexpr std::size_t kMaxKeptFrames = 100000;
constexpr std::size_t kMaxNamespaces = 100000;
Status error(const std::string& msg) { return Status(Code::template_error, msg); }
}  // namespace

DepthScope::DepthScope(Renderer& rr) : r(rr), ok(++rr.depth_ <= kMaxRecursion) {}

Renderer::Renderer(const RenderOptions& opts, const Value& globals) : opts_(opts), globals_(globals) {}

Renderer::~Renderer() {
  frame_.reset();
  kept_frames_.clear();
  namespaces_.clear();
}

Status Renderer::step(std::size_t n) {
  steps_ += n;
  if (steps_ > opts_.max_steps) return error("template exceeded its evaluation budget");
  return Status::Ok();
}

Status Renderer::check_size(std::size_t bytes) const {
  if (bytes > opts_.max_output_bytes) return error("output exceeds the size limit");
  return Status::Ok();
}

Status Renderer::check_value(const Value& v) const {
  if (v.depth() > kMaxValueDepth) return error("value nested too deeply");
  return Status::Ok();
}

std::int64_t Renderer::now() const {
  return opts_.now_unix >= 0 ? opts_.now_unix : static_cast<std::int64_t>(std::time(nullptr));
}

Namespace* Renderer::new_namespace() {
  if (namespaces_.size() >= kMaxNamespaces) return nullptr;
  namespaces_.push_back(std::make_unique<Namespace>());
  return namespaces_.back().get();
}

void Renderer::keep_alive(const std::shared_ptr<Frame>& f) {
  if (!kept_frames_.empty() && kept_frames_.back() == f) return;
  kept_frames_.push_back(f);
}

Status Renderer::run(const Body& body, std::string& out) {
  frame_ = std::make_shared<Frame>();
  keep_alive(frame_);
  out_ = &out;
  Status st = exec_body(body);
  out_ = nullptr;
  return st;
}

Status Renderer::render_to_string(const Body& body, std::shared_ptr<Frame> frame, std::string& out) {
  std::shared_ptr<Frame> saved_frame = frame_;
  std::string* saved_out = out_;
  frame_ = std::move(frame);
  out_ = &out;
  Status st = exec_body(body);
  frame_ = saved_frame;
  out_ = saved_out;
  flow_ = Flow::normal;
  return st;
}

Status Renderer::exec_body(const Body& body) {
  for (const auto& s : body) {
    CHORD_TRY(exec(*s));
    if (flow_ != Flow::normal) break;
  }
  return Status::Ok();
}

static Status emit(Renderer& r, std::string_view s) {
  if (r.out_->size() + s.size() > r.opts_.max_output_bytes) return error("output exceeds the size limit");
  r.out_->append(s);
  return Status::Ok();
}

static Status assign(Renderer& r, const Target& t, const Value& v) {
  switch (t.kind) {
    case Target::Kind::name:
      r.frame_->set(t.name, v);
      return Status::Ok();
    case Target::Kind::nsref: {
      CHORD_ASSIGN_OR_RETURN(Value nsv, r.lookup(t.name));
      Namespace* ns = nsv.as_namespace();
      if (!ns) return error("Cannot assign attribute on non-namespace object");
      ns->attrs.set(t.attr, v);
      return Status::Ok();
    }
    case Target::Kind::tuple: {
      CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(v));
      std::size_t n = t.items.size(), got = items.size();
      if (got > n) return error("too many values to unpack (expected " + std::to_string(n) + ")");
      if (got < n)
        return error("not enough values to unpack (expected " + std::to_string(n) + ", got " + std::to_string(got) +
                     ")");
      for (std::size_t i = 0; i < n; ++i) CHORD_TRY(assign(r, t.items[i], items.as_array()[i]));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

static std::shared_ptr<Frame> child_of(const std::shared_ptr<Frame>& parent) {
  auto f = std::make_shared<Frame>();
  f->parent = parent;
  return f;
}

Status exec_for(Renderer& r, const Stmt& s) {
  CHORD_ASSIGN_OR_RETURN(Value seq, r.eval(*s.expr));
  CHORD_ASSIGN_OR_RETURN(Value items, py_iterable(seq));
  std::shared_ptr<Frame> saved = r.frame_;
  if (s.cond) {  // {% for x in xs if cond %}: filter first, so loop.length counts kept items
    Array kept;
    for (const Value& item : items.as_array()) {
      CHORD_TRY(r.step());
      r.frame_ = child_of(saved);
      Status st = assign(r, s.target, item);
      Result<Value> c = st.ok() ? r.eval(*s.cond) : Result<Value>(st);
      r.frame_ = saved;
      if (!c.ok()) return c.status();
      if (truthy(c.value())) kept.push_back(item);
    }
    items = Value::array(std::move(kept));
  }
  auto state = std::make_shared<LoopState>();
  state->items = items.with_flags(false, false, false);
  Value loop = Value::from_loop(state);
  CHORD_TRY(r.check_value(loop));
  const Array& arr = state->items.as_array();
  // jinja2 runs the else block unless some iteration reached the end of the body: an empty
  // loop, but also one whose every pass ended in break or continue.
  bool completed = false;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (++r.iterations_ > r.opts_.max_loop_iterations) return error("too many loop iterations");
    CHORD_TRY(r.step());
    state->index0 = i;
    r.frame_ = child_of(saved);
    Status st = assign(r, s.target, arr[i]);
    if (st.ok()) {
      r.frame_->set("loop", loop);
      st = r.exec_body(s.body);
    }
    r.frame_ = saved;
    CHORD_TRY(st);
    if (r.flow_ == Renderer::Flow::break_) {
      r.flow_ = Renderer::Flow::normal;
      break;
    }
    completed = completed || r.flow_ == Renderer::Flow::normal;
    r.flow_ = Renderer::Flow::normal;
  }
  if (!completed && !s.else_body.empty()) {
    r.frame_ = child_of(saved);
    Status st = r.exec_body(s.else_body);
    r.frame_ = saved;
    CHORD_TRY(st);
  }
  return Status::Ok();
}

Status Renderer::exec(const Stmt& s) {
  DepthScope guard(*this);
  if (!guard.ok) return error("template too deeply nested or recursive");
  CHORD_TRY(step());
  Status st = [&]() -> Status {
    switch (s.kind) {
      case StmtKind::text:
        return emit(*this, s.text);
      case StmtKind::print: {
        // jinja2 prints a {{ }} whose whole value it could compute at compile time as that
        // constant; otherwise (or if that failed) it evaluates at run time.
        const_mode_ = true;
        Result<Value> folded = eval(*s.expr);
        const_mode_ = false;
        located_ = false;
        if (!folded.ok()) folded = eval(*s.expr);
        CHORD_ASSIGN_OR_RETURN(Value v, std::move(folded));
        if (v.is_string()) return emit(*this, v.as_string());
        std::string text;
        CHORD_TRY(py_str(v, text, max_string()));
        return emit(*this, text);
      }
      case StmtKind::if_: {
        for (const auto& br : s.branches) {
          CHORD_ASSIGN_OR_RETURN(Value t, eval(*br.first));
          if (truthy(t)) return exec_body(br.second);
        }
        return exec_body(s.else_body);
      }
      case StmtKind::for_:
        return exec_for(*this, s);
      case StmtKind::set: {
        CHORD_ASSIGN_OR_RETURN(Value v, eval(*s.expr));
        return assign(*this, s.target, v);
      }
      case StmtKind::set_block:
      case StmtKind::filter_block: {
        std::string body;
        CHORD_TRY(render_to_string(s.body, child_of(frame_), body));
        Value v(std::move(body));
        if (s.expr) {
          block_input_ = v;
          Result<Value> fv = eval(*s.expr);
          block_input_ = Value();
          if (!fv.ok()) return fv.status();
          v = std::move(fv).value();
        }
        if (s.kind == StmtKind::set_block) return assign(*this, s.target, v);
        CHORD_ASSIGN_OR_RETURN(std::string text, to_str(v, max_string()));
        return emit(*this, text);
      }
      case StmtKind::macro: {
        if (kept_frames_.size() >= kMaxKeptFrames) return error("too many macro definitions");
        auto c = std::make_shared<Callable>();
        c->kind = CallableKind::macro;
        c->name = s.name;
        c->stmt = &s;
        c->closure = frame_.get();
        keep_alive(frame_);
        frame_->set(s.name, Value::from_callable(std::move(c)));
        return Status::Ok();
      }
      case StmtKind::call_block: {
        if (kept_frames_.size() >= kMaxKeptFrames) return error("too many call blocks");
        auto c = std::make_shared<Callable>();
        c->kind = CallableKind::caller;
        c->name = "caller";
        c->stmt = &s;
        c->closure = frame_.get();
        keep_alive(frame_);
        Value caller = Value::from_callable(std::move(c));
        const Expr& call = *s.expr;
        CHORD_ASSIGN_OR_RETURN(Value fn, eval(*call.args[0]));
        CallArgs args;
        for (std::size_t i = 1; i < call.args.size(); ++i) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*call.args[i]));
          args.pos.push_back(std::move(v));
        }
        for (const auto& kw : call.kwargs) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*kw.second));
          args.kw.emplace_back(kw.first, std::move(v));
        }
        const Callable* m = fn.as_callable();
        if (!m || m->kind != CallableKind::macro) return error("{% call %} needs a macro to call");
        CHORD_ASSIGN_OR_RETURN(Value out, call_macro(*m, args, &caller));
        CHORD_ASSIGN_OR_RETURN(std::string text, to_str(out, max_string()));
        return emit(*this, text);
      }
      case StmtKind::with: {
        std::vector<Value> values;
        for (const auto& e : s.with_values) {
          CHORD_ASSIGN_OR_RETURN(Value v, eval(*e));
          values.push_back(std::move(v));
        }
        std::shared_ptr<Frame> saved = frame_;
        frame_ = child_of(saved);
        Status st;
        for (std::size_t i = 0; i < values.size() && st.ok(); ++i) st = assign(*this, s.with_targets[i], values[i]);
        if (st.ok()) st = exec_body(s.body);
        frame_ = saved;
        return st;
      }
      case StmtKind::break_:
        flow_ = Flow::break_;
        return Status::Ok();
      case StmtKind::continue_:
        flow_ = Flow::continue_;
        return Status::Ok();
      case StmtKind::scope: {
        std::shared_ptr<Frame> saved = frame_;
        frame_ = child_of(saved);
        Status st = exec_body(s.body);
        frame_ = saved;
        return st;
      }
    }
    return Status::Ok();
  }();
  if (!st.ok() && !located_) {
    static const char* const kNames[] = {"text",      "output",   "if",         "for loop",     "set",
                                         "set block", "macro",    "call block", "filter block", "with",
                                         "break",     "continue", "generation"};
    located_ = true;
    return Status(Code::template_error,
                  "line " + std::to_string(s.line) + " (" + kNames[static_cast<int>(s.kind)] + "): " + st.message());
  }
  return st;
}

}  // namespace chord::tmpl
