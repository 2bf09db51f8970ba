// Embind-facing model objects: heap buffers for the model bytes, the model (info and GGUF
// metadata as plain JS values) and its tokenizer.
#include <emscripten/heap.h>
#include <malloc.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "bindings/handles.h"
#include "bindings/result.h"

namespace chord::bind {

// ---- HeapParts ----

namespace {

// dlmalloc extends the heap through sbrk by less than half the address space at a time (on wasm32:
// < 2 GiB, HALF_MAX_SIZE_T), so malloc of a 2 GiB+ part fails on a small heap although the heap
// could grow to 4 GiB. Before such a part, grow the free top of the heap in 1 GiB steps and free
// them, with trimming off so they stay one free top chunk; the part is then carved from it. (Trimming
// would only lower the break pointer: wasm memory never shrinks.) wasm64's dlmalloc has no such limit.
void grow_free_top(size_t n) {
  if constexpr (sizeof(void*) == 8) return;
  constexpr size_t kStep = size_t{1} << 30;
  constexpr size_t kSlack = size_t{16} << 20;  // dlmalloc's headers and alignment, generously
  if (n < kStep) return;
  mallopt(M_TRIM_THRESHOLD, -1);
  std::array<void*, 8> steps{};
  size_t count = 0, have = 0;
  while (have < n + kSlack && count < steps.size()) {
    const size_t want = std::min(kStep, n + kSlack - have);
    void* p = std::malloc(want);
    if (!p) break;
    steps[count++] = p;
    have += want;
  }
  while (count > 0) std::free(steps[--count]);  // newest first: each merges into the top chunk
}

}  // namespace

val HeapParts::add(double size) {
  if (!(size >= 0) || size != std::floor(size))
    return error_val(Code::invalid_argument, "part size must be a whole number of bytes");
  const double max = static_cast<double>(emscripten_get_heap_max());
  if (size > max)
    return error_val(Code::out_of_memory, "a model part of " + std::to_string(static_cast<uint64_t>(size)) +
                                              " bytes cannot fit in a " + (sizeof(void*) == 8 ? "wasm64" : "wasm32") +
                                              " heap of at most " + std::to_string(static_cast<uint64_t>(max)) +
                                              " bytes");
  const size_t n = static_cast<size_t>(size);
  grow_free_top(n);
  auto* p = static_cast<uint8_t*>(std::malloc(n == 0 ? 1 : n));
  if (!p)
    return error_val(Code::out_of_memory, "could not allocate " + std::to_string(n) +
                                              " bytes for a model part (heap now " +
                                              std::to_string(emscripten_get_heap_size()) + " of at most " +
                                              std::to_string(emscripten_get_heap_max()) + " bytes)");
  bufs_.push_back({std::unique_ptr<uint8_t, Free>(p), n});
  return ok_val(val(count() - 1));
}

val HeapParts::view(int index, double offset, double length) {
  if (index < 0 || index >= count()) return error_val(Code::invalid_argument, "no such part");
  const Buffer& b = bufs_[static_cast<size_t>(index)];
  if (!(offset >= 0) || !(length >= 0) || offset + length > static_cast<double>(b.size))
    return error_val(Code::invalid_argument, "range [" + std::to_string(offset) + ", +" + std::to_string(length) +
                                                 ") is outside part " + std::to_string(index) + " of " +
                                                 std::to_string(b.size) + " bytes");
  return ok_val(
      val(emscripten::typed_memory_view(static_cast<size_t>(length), b.data.get() + static_cast<size_t>(offset))));
}

double HeapParts::total_bytes() const {
  double t = 0;
  for (const auto& b : bufs_) t += static_cast<double>(b.size);
  return t;
}

// ---- TokenizerHandle ----

val TokenizerHandle::encode(const std::string& text, bool add_special, bool parse_special) const {
  return copy_i32(tok_->encode(text, add_special, parse_special));
}

val TokenizerHandle::decode(const val& ids, bool special) const {
  std::vector<Token> v = ints_from_js(ids);
  for (Token t : v)
    if (!in_vocab(t))
      return error_val(Code::invalid_argument, "token id " + std::to_string(t) + " is outside the vocabulary");
  return ok_val(val(tok_->decode(v, special)));
}

val TokenizerHandle::token_piece(int id, bool special) const {
  if (!in_vocab(id))
    return error_val(Code::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary");
  const std::string s = tok_->token_to_piece(id, special);
  return ok_val(copy_u8(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

val TokenizerHandle::token_text(int id) const {
  if (!in_vocab(id))
    return error_val(Code::invalid_argument, "token id " + std::to_string(id) + " is outside the vocabulary");
  return ok_val(val(tok_->token_text(id)));
}

// ---- ModelHandle ----

val ModelHandle::load(HeapParts& parts) {
  auto bufs = std::make_shared<std::vector<HeapParts::Buffer>>(parts.take());
  ModelBytes bytes;
  for (const auto& b : *bufs) bytes.parts.emplace_back(b.data.get(), b.size);
  bytes.owner = bufs;
  if (bytes.parts.empty()) return error_val(Code::invalid_argument, "no model bytes were given");
  auto m = Model::load(std::move(bytes));
  if (!m.ok()) return status_val(m.status());
  return ok_val(val(ModelHandle(std::move(m).value())));
}

namespace {

// ModelDesc's sizes as Model.info and Model.describe both report them (the same keys, in order).
void set_sizes(val& o, const ModelDesc& d) {
  o.set("nVocab", d.n_vocab);
  o.set("nEmbd", d.n_embd);
  o.set("nLayer", d.n_layer);
  o.set("nHead", d.n_head);
  o.set("nHeadKv", d.n_head_kv);
  o.set("headDim", d.head_dim);
  o.set("nFf", d.n_ff);
  o.set("nCtxTrain", d.n_ctx_train);
}

}  // namespace

val ModelHandle::info() const {
  const ModelDesc& d = model_->desc();
  val o = val::object();
  o.set("arch", d.arch);
  o.set("name", d.name);
  set_sizes(o, d);
  o.set("ropeBase", d.rope_base);
  o.set("tiedEmbeddings", d.tied_embeddings);
  o.set("fileBytes", static_cast<double>(model_->file_bytes()));
  o.set("ggufVersion", model_->gguf().version());
  o.set("tensorCount", static_cast<double>(model_->gguf().tensors().size()));
  double params = 0;
  for (const auto& t : model_->gguf().tensors()) params += static_cast<double>(t.nelements());
  o.set("parameterCount", params);
  return o;
}

namespace {

// One weight view as JS sees it; absent weights are left out of their object.
void set_weight(val& o, const char* key, const Weight& w) {
  if (!present(w) || !w.data) return;
  val v = val::object();
  v.set("type", static_cast<uint32_t>(w.type));
  v.set("rows", static_cast<double>(w.rows));
  v.set("cols", static_cast<double>(w.cols));
  v.set("ptr", static_cast<double>(reinterpret_cast<uintptr_t>(w.data)));
  v.set("bytes", static_cast<double>(w.row_bytes * static_cast<uint64_t>(w.rows)));
  o.set(key, v);
}

val desc_val(const ModelDesc& d) {
  val o = val::object();
  o.set("arch", d.arch);
  set_sizes(o, d);
  o.set("normEps", d.norm_eps);
  o.set("norm", std::string(d.norm == NormKind::rms ? "rms" : "layer"));
  o.set("encoder", d.encoder);
  o.set("causal", d.causal);
  o.set("nRot", d.n_rot);
  o.set("ropeNeox", d.rope_neox);
  o.set("ropeAttnFactor", d.rope_attn_factor);
  o.set("nCtxOrig", d.n_ctx_orig);
  o.set("qkvBias", d.qkv_bias);
  o.set("qkNorm", d.qk_norm);
  o.set("qkNormFull", d.qk_norm_full);
  o.set("preNorms", d.pre_norms);
  o.set("postNorms", d.post_norms);
  o.set("fusedFfn", d.fused_ffn);
  o.set("gatedFfn", d.gated_ffn);
  o.set("ffnAct", std::string(d.ffn_act == FfnAct::silu ? "silu" : "gelu"));
  o.set("embdScale", d.embd_scale);
  o.set("residualScale", d.residual_scale);
  o.set("kqScale", d.kq_scale);
  o.set("scaleQ", d.scale_q);
  o.set("attnSoftcap", d.attn_softcap);
  o.set("finalSoftcap", d.final_softcap);
  o.set("logitScale", d.logit_scale);
  o.set("tiedEmbeddings", d.tied_embeddings);
  val layers = val::array();
  for (size_t i = 0; i < d.layers.size(); ++i) {
    const LayerDesc& l = d.layers[i];
    val x = val::object();
    x.set("nSwa", l.n_swa);
    x.set("useRope", l.use_rope);
    x.set("ropeBase", l.rope_base);
    x.set("ropeFreqScale", l.rope_freq_scale);
    layers.set(i, x);
  }
  o.set("layers", layers);
  return o;
}

}  // namespace

val ModelHandle::describe(int n_ctx) const {
  const ModelDesc& d = model_->desc();
  const ModelWeights& w = model_->weights();
  val ws = val::object();
  set_weight(ws, "tokenEmbd", w.token_embd);
  set_weight(ws, "tokenTypes", w.token_types);
  set_weight(ws, "positionEmbd", w.position_embd);
  set_weight(ws, "embdNorm", w.embd_norm);
  set_weight(ws, "embdNormB", w.embd_norm_b);
  set_weight(ws, "outputNorm", w.output_norm);
  set_weight(ws, "output", w.output);
  set_weight(ws, "ropeFactors", rope_factors(d, w, n_ctx));
  val layers = val::array();
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerWeights& l = w.layers[i];
    val x = val::object();
    const std::pair<const char*, const Weight*> named[] = {
        {"attnNorm", &l.attn_norm},
        {"wqkv", &l.wqkv},
        {"wq", &l.wq},
        {"wk", &l.wk},
        {"wv", &l.wv},
        {"wo", &l.wo},
        {"bo", &l.bo},
        {"bqkv", &l.bqkv},
        {"bq", &l.bq},
        {"bk", &l.bk},
        {"bv", &l.bv},
        {"qNorm", &l.q_norm},
        {"kNorm", &l.k_norm},
        {"attnPostNorm", &l.attn_post_norm},
        {"attnOutNorm", &l.attn_out_norm},
        {"attnOutNormB", &l.attn_out_norm_b},
        {"ffnNorm", &l.ffn_norm},
        {"ffnGate", &l.ffn_gate},
        {"ffnUp", &l.ffn_up},
        {"ffnDown", &l.ffn_down},
        {"ffnUpB", &l.ffn_up_b},
        {"ffnDownB", &l.ffn_down_b},
        {"ffnPostNorm", &l.ffn_post_norm},
        {"layerOutNorm", &l.layer_out_norm},
        {"layerOutNormB", &l.layer_out_norm_b},
    };
    for (const auto& [key, weight] : named) set_weight(x, key, *weight);
    layers.set(i, x);
  }
  ws.set("layers", layers);
  val o = val::object();
  o.set("desc", desc_val(d));
  o.set("weights", ws);
  return o;
}

namespace {

// 64-bit integers beyond 2^53 become BigInt so no digit is lost.
val int_val(const gguf::Value& v) {
  constexpr uint64_t kSafe = (uint64_t{1} << 53) - 1;
  if (v.type == gguf::ValueType::u64) {
    if (v.u <= kSafe) return val(static_cast<double>(v.u));
    return val::global("BigInt")(std::to_string(v.u));
  }
  if (v.type == gguf::ValueType::i64) {
    if (v.i <= static_cast<int64_t>(kSafe) && v.i >= -static_cast<int64_t>(kSafe)) return val(static_cast<double>(v.i));
    return val::global("BigInt")(std::to_string(v.i));
  }
  if (v.type == gguf::ValueType::boolean) return val(v.u != 0);
  if (auto i = v.as_int()) return val(static_cast<double>(*i));
  return val::undefined();
}

// f32 values were widened to double; give JS the shortest decimal that reads back as the same
// float (1e-05, not 9.999999747378752e-06), as llama.cpp prints them.
double shortest_f32(double d) {
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) return d;
  char buf[32];
  for (int prec = 1; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) return std::strtod(buf, nullptr);
  }
  return d;
}

// max_array < 0: no summaries.
val value_to_js(const gguf::Value& v, int max_array) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::string:
      return val(v.s);
    case ValueType::f32:
      return val(shortest_f32(v.f));
    case ValueType::f64:
      return val(v.f);
    case ValueType::array:
      break;
    default:
      return int_val(v);
  }
  const size_t n = v.array_size();
  if (max_array >= 0 && n > static_cast<size_t>(max_array)) {
    val s = val::object();
    s.set("type", std::string("array"));
    s.set("elementType", std::string(gguf::value_type_name(v.elem_type)));
    s.set("length", static_cast<double>(n));
    return s;
  }
  val a = val::array();
  if (v.elem_type == ValueType::string) {
    for (size_t i = 0; i < v.strings.size(); ++i) a.set(i, val(v.strings[i]));
  } else if (v.elem_type == ValueType::array) {
    for (size_t i = 0; i < v.items.size(); ++i) a.set(i, value_to_js(v.items[i], max_array));
  } else if (v.elem_type == ValueType::boolean) {
    for (size_t i = 0; i < v.numbers.size(); ++i) a.set(i, val(v.numbers[i] != 0));
  } else {
    // numbers are widened to double by the reader; a typed array copy is fastest for big ones
    a = val::global("Array")["from"](val(emscripten::typed_memory_view(v.numbers.size(), v.numbers.data())));
  }
  return a;
}

}  // namespace

val ModelHandle::metadata(int max_array) const {
  val o = val::object();
  for (const auto& [key, value] : model_->gguf().metadata()) o.set(key, value_to_js(value, max_array));
  return o;
}

val ModelHandle::metadata_value(const std::string& key) const {
  const gguf::Value* v = model_->gguf().find(key);
  if (!v) return error_val(Code::not_found, "no metadata key '" + key + "'");
  return ok_val(value_to_js(*v, -1));
}

}  // namespace chord::bind
