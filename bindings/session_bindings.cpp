// Embind-facing inference objects: the context (KV cache) and the step-wise generator, plus the
// chat-template renderer and build/machine facts the loader uses to pick threads.
#include <emscripten/heap.h>

#include <cmath>
#include <thread>

#include "bindings/handles.h"
#include "bindings/result.h"
#include "core/template/chat_template.h"
#include "kernels/ops.h"

namespace chord::bind {

// ---- ContextHandle ----

val ContextHandle::create(const ModelHandle& model, int n_ctx, int n_batch, int threads) {
  auto c = Context::create(model.model(), ContextOptions{n_ctx, n_batch, threads});
  if (!c.ok()) return status_val(c.status());
  return ok_val(val(ContextHandle(std::shared_ptr<Context>(std::move(c).value()))));
}

val ContextHandle::create_external(const ModelHandle& model, int n_ctx, int n_batch) {
  ContextOptions o{n_ctx, n_batch, 1};
  o.external = true;
  auto c = Context::create(model.model(), o);
  if (!c.ok()) return status_val(c.status());
  return ok_val(val(ContextHandle(std::shared_ptr<Context>(std::move(c).value()))));
}

val ContextHandle::take_pending() {
  PendingEval p = ctx_->take_pending();
  val shifts = val::array();
  for (const PendingShift& sh : p.shifts) {
    val e = val::object();
    e.set("nKeep", sh.n_keep);
    e.set("nDiscard", sh.n_discard);
    e.set("nPast", sh.n_past);
    shifts.call<void>("push", e);
  }
  val o = val::object();
  o.set("shifts", shifts);
  o.set("pos", p.pos);
  o.set("tokens", copy_i32(p.tokens));
  o.set("hidden", p.hidden);
  return o;
}

val ContextHandle::record_hidden(const val& tokens) {
  std::vector<float> none;
  return status_val(ctx_->eval_hidden(ints_from_js(tokens), none));
}

namespace {
// EmbedOptions from the bindings' (pooling name or "" for the model's, normalize).
Result<EmbedOptions> embed_options(const std::string& pooling, bool normalize) {
  EmbedOptions eo;
  eo.normalize = normalize;
  if (!pooling.empty()) {
    CHORD_ASSIGN_OR_RETURN(eo.pooling, parse_pooling(pooling));
  }
  return eo;
}

val vectors_val(const std::vector<std::vector<float>>& vs) {
  val out = val::array();
  for (const auto& e : vs) out.call<void>("push", copy_f32(e));
  return ok_val(out);
}
}  // namespace

val ContextHandle::pool_hidden(const val& hidden, const val& lens, const std::string& pooling, bool normalize) const {
  auto eo = embed_options(pooling, normalize);
  if (!eo.ok()) return status_val(eo.status());
  const std::vector<float> h = emscripten::convertJSArrayToNumberVector<float>(hidden);
  const std::vector<int32_t> l = ints_from_js(lens);
  auto v = chord::pool_hidden(ctx_->model(), h, l, *eo);
  if (!v.ok()) return status_val(v.status());
  return vectors_val(*v);
}

val GeneratorHandle::set_logits(const val& logits) {
  const std::vector<float> l = emscripten::convertJSArrayToNumberVector<float>(logits);
  return status_val(gen_->set_logits(l));
}

val ContextHandle::plan(HeapParts& headers, const val& file_sizes, int n_ctx, int n_batch, int threads, bool external) {
  const std::vector<HeapParts::Buffer> bufs = headers.take();
  const std::vector<double> sizes = emscripten::convertJSArrayToNumberVector<double>(file_sizes);
  if (bufs.empty() || sizes.size() != bufs.size())
    return error_val(Code::invalid_argument, "one header and one file size per model part are needed");
  std::vector<std::span<const uint8_t>> heads;
  std::vector<uint64_t> total;
  for (size_t i = 0; i < bufs.size(); ++i) {
    if (!(sizes[i] >= 0 && sizes[i] <= 9007199254740991.0) || sizes[i] != std::floor(sizes[i]))
      return error_val(Code::invalid_argument, "a file size must be a whole number of bytes");
    heads.emplace_back(bufs[i].data.get(), bufs[i].size);
    total.push_back(static_cast<uint64_t>(sizes[i]));
  }
  auto m = plan_model(std::move(heads), std::move(total));
  if (!m.ok()) return status_val(m.status());
  ContextOptions co{n_ctx, n_batch, threads};
  co.external = external;
  auto p = Context::plan(m->desc, m->weights, m->file_bytes, co);
  if (!p.ok()) return status_val(p.status());
  val o = val::object();
  o.set("nCtx", p->opts.n_ctx);
  o.set("kvBytes", static_cast<double>(p->kv_bytes));
  o.set("scratchBytes", static_cast<double>(p->scratch_bytes));
  return ok_val(o);
}

int ContextHandle::common_prefix(const val& tokens) const {
  std::vector<Token> v = ints_from_js(tokens);
  return ctx_->common_prefix(v);
}

val ContextHandle::history() const { return copy_i32(ctx_->history()); }

val ContextHandle::embed(const val& token_arrays, const std::string& pooling, bool normalize) {
  auto eo = embed_options(pooling, normalize);
  if (!eo.ok()) return status_val(eo.status());
  std::vector<std::vector<Token>> seqs;
  const int n = token_arrays["length"].as<int>();
  for (int i = 0; i < n; ++i) seqs.push_back(ints_from_js(token_arrays[i]));
  auto v = chord::embed_many(*ctx_, seqs, *eo);
  if (!v.ok()) return status_val(v.status());
  return vectors_val(*v);
}

// ---- GeneratorHandle ----

val GeneratorHandle::start(const ContextHandle& ctx, const val& tokens, const std::string& options_json) {
  auto go = parse_options_json(options_json);
  if (!go.ok()) return status_val(go.status());
  auto g = Generator::start(*ctx.context(), ints_from_js(tokens), std::move(go).value());
  if (!g.ok()) return status_val(g.status());
  return ok_val(val(GeneratorHandle(ctx.context(), std::move(g).value())));
}

val GeneratorHandle::step() {
  auto s = gen_->step();
  if (!s.ok()) return status_val(s.status());
  val o = val::object();
  o.set("token", s->token);
  o.set("text", s->text);
  o.set("done", s->done);
  o.set("finishReason", std::string(s->finish_reason));
  if (s->token >= 0 && (gen_->options().logprobs || gen_->options().top_logprobs > 0)) {
    o.set("logprob", s->logprob);
    val top = val::array();
    for (const auto& [id, lp] : s->top_logprobs) {
      val e = val::array();
      e.call<void>("push", id, lp);
      top.call<void>("push", e);
    }
    o.set("top", top);
  }
  return ok_val(o);
}

// ---- free functions ----

val render_chat_template(const std::string& tmpl, const std::string& messages_json, bool add_generation_prompt,
                         const std::string& bos, const std::string& eos, const std::string& extra_json) {
  auto messages = tmpl::parse_json(messages_json);
  if (!messages.ok()) return error_val(Code::invalid_argument, "messages: " + messages.status().message());
  tmpl::Value extra;
  if (!extra_json.empty()) {
    auto e = tmpl::parse_json(extra_json);
    if (!e.ok()) return error_val(Code::invalid_argument, "template context: " + e.status().message());
    extra = std::move(e).value();
  }
  auto out = tmpl::apply_chat_template(tmpl, messages.value(), add_generation_prompt, bos, eos, extra);
  if (!out.ok()) return status_val(out.status());
  return ok_val(val(out.value()));
}

std::string generation_defaults() { return options_to_json(GenerateOptions{}); }

val runtime_info() {
  val o = val::object();
#ifdef CHORD_SIMD128
  o.set("simd", true);
#else
  o.set("simd", false);
#endif
#ifdef CHORD_THREADS
  o.set("threads", true);
#else
  o.set("threads", false);
#endif
  o.set("kernels", std::string(kernels::kernel_set()));
  o.set("heapMax", static_cast<double>(emscripten_get_heap_max()));
  o.set("heapSize", static_cast<double>(emscripten_get_heap_size()));
  o.set("memory64", sizeof(void*) == 8);
  o.set("hardwareThreads", static_cast<int>(std::thread::hardware_concurrency()));
  return o;
}

}  // namespace chord::bind
