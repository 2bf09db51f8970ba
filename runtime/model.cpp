// Model loading: description from GGUF metadata, weights checked by name, type and shape.
#include "runtime/model.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/gguf/keys.h"
#include "core/quant/quant.h"
#include "kernels/ops.h"
#include "runtime/grammar_sampler.h"

namespace chord {
namespace {

struct ArchTraits {
  const char* name;
  bool rope_neox;
  bool qkv_bias;
  bool qk_norm;
  bool gemma;      // gemma2/3: sqrt(n_embd) embeddings, post-norms, GeGLU, q pre-scaled, always tied
  bool fused_ffn;  // phi3
  bool encoder;    // bert, nomic-bert: LayerNorm, post-norm layers, no output head (ModelDesc::encoder)
};

// The architectures this runtime implements; differences are data, not separate forward passes.
// Facts from llama.cpp (src/models/<arch>.cpp, llama-model.cpp's rope types).
constexpr ArchTraits kArchs[] = {
    {"llama", false, false, false, false, false, false},   {"mistral", false, false, false, false, false, false},
    {"qwen2", true, true, false, false, false, false},     {"qwen3", true, false, true, false, false, false},
    {"smollm3", false, false, false, false, false, false}, {"granite", false, false, false, false, false, false},
    {"gemma2", true, false, false, true, false, false},    {"gemma3", true, false, true, true, false, false},
    {"phi3", true, false, false, false, true, false},      {"olmo2", true, false, true, false, false, false},
    {"bert", true, false, false, false, false, true},      {"nomic-bert", true, false, false, false, false, true},
};

std::string arch_names() {
  std::string s;
  for (const auto& a : kArchs) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

Status bad(const std::string& msg) { return Status(Code::bad_gguf, msg); }

// A positive finite float key, or `def` when absent.
Result<float> positive(const gguf::File& f, const ModelDesc& d, std::string_view suffix, double def) {
  const double v = f.get_float(keys::arch_key(d.arch, suffix)).value_or(def);
  if (!(v > 0 && v < 1e30)) return bad(keys::arch_key(d.arch, suffix) + " must be finite and positive");
  return static_cast<float>(v);
}

// A multiplier that 0 or absence leaves unused (as llama.cpp): else finite and positive into out.
Status optional_scale(const gguf::File& f, const ModelDesc& d, std::string_view suffix, float& out) {
  const auto v = f.get_float(keys::arch_key(d.arch, suffix));
  if (!v || *v == 0) return Status::Ok();
  CHORD_ASSIGN_OR_RETURN(out, positive(f, d, suffix, 1));
  return Status::Ok();
}

// Sliding-window layers: every layer il with il % period < period - 1 (llama.cpp's set_swa_pattern;
// period 0 makes every layer local), or a per-layer bool array.
Status set_swa(const gguf::File& f, ModelDesc& d, int32_t window, int64_t default_period, float base_swa,
               float scale_swa) {
  if (window <= 0) return Status::Ok();
  const gguf::Value* pat = f.find(keys::arch_key(d.arch, keys::kSlidingWindowPattern));
  int64_t period = default_period;
  if (pat && pat->array_size() > 0) {
    if (pat->numbers.size() != static_cast<size_t>(d.n_layer))
      return bad("sliding_window_pattern must be a number or n_layer booleans");
  } else if (pat) {
    auto p = pat->as_int();
    if (!p || *p < 0 || *p > (1 << 24)) return bad("sliding_window_pattern out of range");
    period = *p;
  }
  for (int32_t il = 0; il < d.n_layer; ++il) {
    const bool swa =
        pat && pat->array_size() ? pat->numbers[static_cast<size_t>(il)] != 0 : period == 0 || il % period < period - 1;
    if (!swa) continue;
    LayerDesc& l = d.layers[static_cast<size_t>(il)];
    l.n_swa = window;
    l.rope_base = base_swa;
    l.rope_freq_scale = scale_swa;
  }
  return Status::Ok();
}

// Per-architecture hyperparameters (llama.cpp's load_arch_hparams of each model).
Status describe_arch(const gguf::File& f, const ArchTraits& t, ModelDesc& d) {
  auto geti = [&](std::string_view suffix) { return f.get_int(keys::arch_key(d.arch, suffix)); };
  auto getf = [&](std::string_view suffix) { return f.get_float(keys::arch_key(d.arch, suffix)); };
  const std::string_view arch = d.arch;
  if (arch == "smollm3") {
    for (int32_t il = 3; il < d.n_layer; il += 4) d.layers[static_cast<size_t>(il)].use_rope = false;  // fixed step 4
  } else if (arch == "granite") {
    CHORD_ASSIGN_OR_RETURN(float logit_scale, positive(f, d, keys::kLogitScale, -1));  // required
    d.logit_scale = 1.0f / logit_scale;
    CHORD_TRY(optional_scale(f, d, keys::kEmbeddingScale, d.embd_scale));
    CHORD_TRY(optional_scale(f, d, keys::kResidualScale, d.residual_scale));
    CHORD_TRY(optional_scale(f, d, keys::kAttentionScale, d.kq_scale));
    if (!f.get_bool(keys::arch_key(d.arch, keys::kRopeScalingFinetuned)).value_or(true))
      for (LayerDesc& l : d.layers) l.use_rope = false;
  } else if (t.gemma) {
    d.post_norms = true;
    d.ffn_act = FfnAct::gelu;
    d.tied_embeddings = arch == "gemma2";  // llama.cpp's gemma2 ignores any output.weight
    d.embd_scale = std::sqrt(static_cast<float>(d.n_embd));
    d.scale_q = true;
    // Gemma 27B models scale queries by 1/sqrt(n_embd / n_head) (query_pre_attn_scalar), the others by
    // 1/sqrt(head_dim); llama.cpp tells them apart by layer count (46: Gemma 2 27B, 62: Gemma 3 27B).
    const bool big = d.n_layer == (arch == "gemma2" ? 46 : 62);
    d.kq_scale = 1.0f / std::sqrt(static_cast<float>(big ? d.n_embd / d.n_head : d.head_dim));
    CHORD_TRY(optional_scale(f, d, keys::kFinalLogitSoftcap, d.final_softcap));
    auto window = geti(keys::kSlidingWindow);
    if (window && (*window < 0 || *window > (1 << 24))) return bad("attention.sliding_window out of range");
    if (arch == "gemma2") {
      CHORD_ASSIGN_OR_RETURN(d.attn_softcap, positive(f, d, keys::kAttnLogitSoftcap, 50.0));
      if (!getf(keys::kFinalLogitSoftcap)) d.final_softcap = 30.0f;
      CHORD_ASSIGN_OR_RETURN(float base_swa, positive(f, d, keys::kRopeFreqBaseSwa, d.rope_base));
      CHORD_TRY(set_swa(f, d, static_cast<int32_t>(window.value_or(4096)), 2, base_swa, d.rope_freq_scale));
    } else {  // gemma3: local layers only when the file gives a window; their RoPE is unscaled, base 10000
      CHORD_ASSIGN_OR_RETURN(float base_swa, positive(f, d, keys::kRopeFreqBaseSwa, 10000.0));
      CHORD_TRY(set_swa(f, d, static_cast<int32_t>(window.value_or(0)), 6, base_swa, 1.0f));
    }
  } else if (arch == "olmo2") {  // llama.cpp's llama_model_olmo2: norms after the blocks, not before
    d.pre_norms = false;
    d.post_norms = true;
    d.qk_norm_full = true;
    // OLMo 3: every 4th layer global unless the file gives a pattern; local layers' RoPE unscaled.
    auto window = geti(keys::kSlidingWindow);
    if (window && (*window < 0 || *window > (1 << 24))) return bad("attention.sliding_window out of range");
    CHORD_ASSIGN_OR_RETURN(float base_swa, positive(f, d, keys::kRopeFreqBaseSwa, d.rope_base));
    CHORD_TRY(set_swa(f, d, static_cast<int32_t>(window.value_or(0)), 4, base_swa, 1.0f));
  } else if (t.encoder) {  // llama.cpp's llama_model_bert / llama_model_nomic_bert
    d.encoder = true;
    d.pre_norms = false;
    d.norm = NormKind::layer;
    CHORD_ASSIGN_OR_RETURN(d.norm_eps, positive(f, d, keys::kLayerNormEps, -1));  // required
    d.gated_ffn = arch == "nomic-bert";  // SwiGLU without biases; bert: GELU(up + b), down + b
    d.ffn_act = d.gated_ffn ? FfnAct::silu : FfnAct::gelu;
    if (arch == "bert")  // learned absolute positions (position_embd) instead of RoPE
      for (LayerDesc& l : d.layers) l.use_rope = false;
    const auto types = f.get_int(keys::kTokTokenTypeCount);
    if (!types || *types <= 0 || *types > (1 << 16))
      return bad(std::string(keys::kTokTokenTypeCount) + " must be present and positive for " + d.arch);
    d.n_token_types = static_cast<int32_t>(*types);
  } else if (arch == "phi3") {
    d.scale_q = true;
    // attention.sliding_window is ignored, as llama.cpp does for phi3 ("Phi SWA is currently
    // disabled", llama.cpp PR 13676): its converters do not describe the window pattern correctly.
  }
  if (d.kq_scale == 0.0f) d.kq_scale = 1.0f / std::sqrt(static_cast<float>(d.head_dim));
  return Status::Ok();
}

}  // namespace

Result<ModelDesc> describe(const gguf::File& f) {
  ModelDesc d;
  auto arch = f.get_string(keys::kArchitecture);
  if (!arch) return bad("missing general.architecture");
  d.arch = *arch;
  const ArchTraits* traits = nullptr;
  for (const auto& a : kArchs)
    if (d.arch == a.name) traits = &a;
  if (!traits)
    return Status(Code::unsupported,
                  "architecture '" + d.arch + "' is not supported (supported: " + arch_names() + ")");
  d.name = f.get_string(keys::kName).value_or("");
  auto geti = [&](std::string_view suffix) { return f.get_int(keys::arch_key(d.arch, suffix)); };
  auto getf = [&](std::string_view suffix) { return f.get_float(keys::arch_key(d.arch, suffix)); };

  auto need = [&](std::string_view suffix, int32_t& out) -> Status {
    auto v = geti(suffix);
    if (!v) return bad("missing " + keys::arch_key(d.arch, suffix));
    if (*v <= 0 || *v > (1 << 24)) return bad(keys::arch_key(d.arch, suffix) + " out of range: " + std::to_string(*v));
    out = static_cast<int32_t>(*v);
    return Status::Ok();
  };
  CHORD_TRY(need(keys::kEmbeddingLength, d.n_embd));
  CHORD_TRY(need(keys::kBlockCount, d.n_layer));
  CHORD_TRY(need(keys::kFeedForwardLength, d.n_ff));
  CHORD_TRY(need(keys::kHeadCount, d.n_head));
  d.n_head_kv = d.n_head;
  if (geti(keys::kHeadCountKv)) CHORD_TRY(need(keys::kHeadCountKv, d.n_head_kv));
  d.n_ctx_train = 2048;
  if (geti(keys::kContextLength)) CHORD_TRY(need(keys::kContextLength, d.n_ctx_train));
  if (d.n_head % d.n_head_kv != 0)
    return bad("head_count " + std::to_string(d.n_head) + " is not a multiple of head_count_kv " +
               std::to_string(d.n_head_kv));
  d.head_dim = d.n_embd / d.n_head;
  if (geti(keys::kKeyLength)) {
    CHORD_TRY(need(keys::kKeyLength, d.head_dim));
  } else if (d.n_embd % d.n_head != 0) {
    return bad("embedding_length " + std::to_string(d.n_embd) + " is not a multiple of head_count " +
               std::to_string(d.n_head) + " (and no attention.key_length)");
  }
  // q_dim() and kv_dim() are int32 products: keep them (and the scratch they size) bounded.
  if (static_cast<int64_t>(d.n_head) * d.head_dim > (1 << 24))
    return bad("head_count " + std::to_string(d.n_head) + " x key_length " + std::to_string(d.head_dim) +
               " is too large");
  if (auto vl = geti(keys::kValueLength); vl && *vl != d.head_dim)
    return Status(Code::unsupported, "attention.value_length != key_length is not supported");
  if (d.head_dim % 2 != 0) return bad("head dimension must be even, got " + std::to_string(d.head_dim));
  d.n_rot = d.head_dim;
  if (geti(keys::kRopeDimCount)) CHORD_TRY(need(keys::kRopeDimCount, d.n_rot));
  if (d.n_rot > d.head_dim || d.n_rot % 2 != 0) return bad("rope.dimension_count out of range");
  // Checked as doubles: NaN, inf, <= 0 or beyond float range (an out-of-range cast is UB) are refused.
  const double eps = getf(keys::kRmsEps).value_or(1e-5), base = getf(keys::kRopeFreqBase).value_or(10000.0);
  if (!(eps > 0 && eps < 1e30) || !(base > 0 && base < 1e30))
    return bad("rms epsilon (" + std::to_string(eps) + ") and rope base (" + std::to_string(base) +
               ") must be finite and positive");
  d.norm_eps = static_cast<float>(eps);
  d.rope_base = static_cast<float>(base);

  // llama.cpp reads a missing rope.scaling.type as linear; "none" forces no scaling.
  std::string scaling = f.get_string(keys::arch_key(d.arch, keys::kRopeScalingType)).value_or("linear");
  double factor = getf(keys::kRopeScalingFactor).value_or(getf(keys::kRopeScaleLinear).value_or(0.0));
  if (!std::isfinite(factor) || factor < 0)  // 0 means no scaling, as in llama.cpp
    return bad("rope scaling factor must be finite and >= 0, got " + std::to_string(factor));
  if (scaling == "linear" || scaling == "longrope" ||
      (scaling == "none" && factor > 0 && getf(keys::kRopeScaleLinear))) {
    if (factor > 0) d.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none") {
    return Status(Code::unsupported, "rope scaling type '" + scaling + "' is not supported");
  }
  const double attn_factor = getf(keys::kRopeScalingAttnFactor).value_or(1.0);
  if (!(attn_factor > 0 && attn_factor < 1e30)) return bad("rope.scaling.attn_factor must be finite and positive");
  d.rope_attn_factor = static_cast<float>(attn_factor);
  d.n_ctx_orig = d.n_ctx_train;
  if (geti(keys::kRopeScalingOrigCtx)) CHORD_TRY(need(keys::kRopeScalingOrigCtx, d.n_ctx_orig));
  d.rope_neox = traits->rope_neox;
  d.qkv_bias = traits->qkv_bias;
  d.qk_norm = traits->qk_norm;
  d.fused_ffn = traits->fused_ffn;
  // Every layer has several tensors: a block_count beyond the tensor count is refused before the
  // per-layer description is allocated (a hostile count would otherwise size it).
  if (static_cast<size_t>(d.n_layer) > f.tensors().size())
    return bad("block_count " + std::to_string(d.n_layer) + " exceeds the file's " +
               std::to_string(f.tensors().size()) + " tensors");
  d.layers.assign(static_cast<size_t>(d.n_layer), LayerDesc{0, true, d.rope_base, d.rope_freq_scale});
  CHORD_TRY(describe_arch(f, *traits, d));
  // llama.cpp's causal_attn: true unless the file says false (bert, nomic-bert, embedding decoders).
  d.causal = f.get_bool(keys::arch_key(d.arch, keys::kCausal)).value_or(true);
  for (const LayerDesc& l : d.layers)
    if (!d.causal && l.n_swa > 0)
      return Status(Code::unsupported, "non-causal attention with sliding-window layers is not supported");
  return d;
}

namespace {

// Finds and checks one tensor: type allowed for its role and shape (cols, rows).
Status bind_weight(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows, bool matmul, Weight& out,
                   bool optional = false) {
  const gguf::TensorInfo* t = f.tensor(name);
  if (!t) {
    if (optional) return Status::Ok();
    return Status(Code::bad_gguf, "missing tensor " + name);
  }
  int64_t t_rows = t->ne[1] * t->ne[2] * t->ne[3];
  if (t->ne[0] != cols || t_rows != rows)
    return Status(Code::bad_gguf, "tensor " + name + " has shape [" + std::to_string(t->ne[0]) + ", " +
                                      std::to_string(t_rows) + "], expected [" + std::to_string(cols) + ", " +
                                      std::to_string(rows) + "]");
  if (matmul) {
    if (!kernels::ops(t->type))
      return Status(Code::unsupported, "tensor " + name + " has type " + type_info(t->type)->name +
                                           ", which this runtime cannot compute with");
  } else if (t->type != GgmlType::F32) {
    return Status(Code::unsupported, "tensor " + name + " must be f32, got " + type_info(t->type)->name);
  }
  out.data = t->data;
  out.type = t->type;
  out.cols = cols;
  out.rows = rows;
  out.row_bytes = row_size(t->type, cols);
  return Status::Ok();
}

}  // namespace

namespace {

// Binds every weight of `d`'s architecture (completing d.tied_embeddings): views into the file's
// bytes, or views without data for a header-only file (plan_model).
Status bind_weights(const gguf::File& f, ModelDesc& d, ModelWeights& w) {
  CHORD_TRY(bind_weight(f, "token_embd.weight", d.n_embd, d.n_vocab, true, w.token_embd));
  if (!quant::has_dequant(w.token_embd.type))
    return Status(Code::unsupported, "token_embd.weight type cannot be dequantized");
  if (d.encoder) {  // embeddings summed, then LayerNormed; no output head
    CHORD_TRY(bind_weight(f, "token_types.weight", d.n_embd, d.n_token_types, true, w.token_types, true));
    if (d.arch == "bert")
      CHORD_TRY(bind_weight(f, "position_embd.weight", d.n_embd, d.n_ctx_train, true, w.position_embd));
    for (const Weight* e : {&w.token_types, &w.position_embd})
      if (present(*e) && !quant::has_reference(e->type))
        return Status(Code::unsupported, "token_types / position_embd type cannot be dequantized");
    CHORD_TRY(bind_weight(f, "token_embd_norm.weight", d.n_embd, 1, false, w.embd_norm));
    CHORD_TRY(bind_weight(f, "token_embd_norm.bias", d.n_embd, 1, false, w.embd_norm_b));
  } else {
    CHORD_TRY(bind_weight(f, "output_norm.weight", d.n_embd, 1, false, w.output_norm));
    if (!d.tied_embeddings)
      CHORD_TRY(bind_weight(f, "output.weight", d.n_embd, d.n_vocab, true, w.output, /*optional=*/true));
    d.tied_embeddings = !present(w.output);
    if (d.tied_embeddings) w.output = w.token_embd;
  }
  CHORD_TRY(bind_weight(f, "rope_freqs.weight", d.n_rot / 2, 1, false, w.rope_freqs, true));
  CHORD_TRY(bind_weight(f, "rope_factors_long.weight", d.n_rot / 2, 1, false, w.rope_long, true));
  CHORD_TRY(bind_weight(f, "rope_factors_short.weight", d.n_rot / 2, 1, false, w.rope_short, true));

  // Layers are added as their tensors bind: a block_count far beyond the file's tensors fails at
  // its first missing layer instead of allocating block_count entries up front.
  for (int32_t i = 0; i < d.n_layer; ++i) {
    LayerWeights& l = w.layers.emplace_back();
    std::string p = "blk." + std::to_string(i) + ".";
    if (d.pre_norms) CHORD_TRY(bind_weight(f, p + "attn_norm.weight", d.n_embd, 1, false, l.attn_norm));
    // Q, K and V fused in one attn_qkv (as llama.cpp's create_tensor_qkv, for every architecture) or apart.
    const int64_t qkv = int64_t{d.q_dim()} + 2 * int64_t{d.kv_dim()};
    CHORD_TRY(bind_weight(f, p + "attn_qkv.weight", d.n_embd, qkv, true, l.wqkv, true));
    if (present(l.wqkv)) {
      CHORD_TRY(bind_weight(f, p + "attn_qkv.bias", qkv, 1, false, l.bqkv, !d.qkv_bias));
    } else {
      CHORD_TRY(bind_weight(f, p + "attn_q.weight", d.n_embd, d.q_dim(), true, l.wq));
      CHORD_TRY(bind_weight(f, p + "attn_k.weight", d.n_embd, d.kv_dim(), true, l.wk));
      CHORD_TRY(bind_weight(f, p + "attn_v.weight", d.n_embd, d.kv_dim(), true, l.wv));
      // Biases are required by qwen2 and allowed anywhere (some llama/mistral finetunes carry them).
      CHORD_TRY(bind_weight(f, p + "attn_q.bias", d.q_dim(), 1, false, l.bq, !d.qkv_bias));
      CHORD_TRY(bind_weight(f, p + "attn_k.bias", d.kv_dim(), 1, false, l.bk, !d.qkv_bias));
      CHORD_TRY(bind_weight(f, p + "attn_v.bias", d.kv_dim(), 1, false, l.bv, !d.qkv_bias));
    }
    CHORD_TRY(bind_weight(f, p + "attn_output.weight", d.q_dim(), d.n_embd, true, l.wo));
    if (d.encoder) {  // post-norm: LayerNorms of x + attention and of x + FFN
      CHORD_TRY(bind_weight(f, p + "attn_output.bias", d.n_embd, 1, false, l.bo, true));
      CHORD_TRY(bind_weight(f, p + "attn_output_norm.weight", d.n_embd, 1, false, l.attn_out_norm));
      CHORD_TRY(bind_weight(f, p + "attn_output_norm.bias", d.n_embd, 1, false, l.attn_out_norm_b));
      CHORD_TRY(bind_weight(f, p + "layer_output_norm.weight", d.n_embd, 1, false, l.layer_out_norm));
      CHORD_TRY(bind_weight(f, p + "layer_output_norm.bias", d.n_embd, 1, false, l.layer_out_norm_b));
    }
    const int64_t q_norm = d.qk_norm_full ? d.q_dim() : d.head_dim, k_norm = d.qk_norm_full ? d.kv_dim() : d.head_dim;
    CHORD_TRY(bind_weight(f, p + "attn_q_norm.weight", q_norm, 1, false, l.q_norm, !d.qk_norm));
    CHORD_TRY(bind_weight(f, p + "attn_k_norm.weight", k_norm, 1, false, l.k_norm, !d.qk_norm));
    if (d.pre_norms) CHORD_TRY(bind_weight(f, p + "ffn_norm.weight", d.n_embd, 1, false, l.ffn_norm));
    if (d.fused_ffn) {
      CHORD_TRY(bind_weight(f, p + "ffn_up.weight", d.n_embd, 2 * int64_t{d.n_ff}, true, l.ffn_up));
    } else if (!d.gated_ffn) {  // llama.cpp's gated nomic-bert FFN ignores any biases; bert's uses them
      CHORD_TRY(bind_weight(f, p + "ffn_up.weight", d.n_embd, d.n_ff, true, l.ffn_up));
      CHORD_TRY(bind_weight(f, p + "ffn_up.bias", d.n_ff, 1, false, l.ffn_up_b, true));
      CHORD_TRY(bind_weight(f, p + "ffn_down.bias", d.n_embd, 1, false, l.ffn_down_b, true));
    } else {
      CHORD_TRY(bind_weight(f, p + "ffn_gate.weight", d.n_embd, d.n_ff, true, l.ffn_gate));
      CHORD_TRY(bind_weight(f, p + "ffn_up.weight", d.n_embd, d.n_ff, true, l.ffn_up));
    }
    CHORD_TRY(bind_weight(f, p + "ffn_down.weight", d.n_ff, d.n_embd, true, l.ffn_down));
    if (d.post_norms) {
      CHORD_TRY(bind_weight(f, p + "post_attention_norm.weight", d.n_embd, 1, false, l.attn_post_norm));
      CHORD_TRY(bind_weight(f, p + "post_ffw_norm.weight", d.n_embd, 1, false, l.ffn_post_norm));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const Model>> Model::load(ModelBytes bytes) {
  auto m = std::make_shared<Model>();
  m->bytes_ = std::move(bytes);
  CHORD_ASSIGN_OR_RETURN(m->file_, gguf::File::parse_split(m->bytes_.parts));
  CHORD_ASSIGN_OR_RETURN(m->desc_, describe(m->file_));
  CHORD_ASSIGN_OR_RETURN(m->tok_, Tokenizer::from_gguf(m->file_));
  ModelDesc& d = m->desc_;
  const gguf::File& f = m->file_;
  d.n_vocab = m->tok_->vocab_size();
  if (auto vs = f.get_int(keys::arch_key(d.arch, keys::kVocabSize)); vs && *vs != d.n_vocab)
    return Status(Code::bad_gguf, "vocab_size " + std::to_string(*vs) + " differs from the tokenizer's " +
                                      std::to_string(d.n_vocab) + " tokens");
  CHORD_TRY(bind_weights(f, d, m->w_));
  return std::shared_ptr<const Model>(std::move(m));
}

Result<ModelPlan> plan_model(std::vector<std::span<const uint8_t>> headers, std::vector<uint64_t> file_sizes) {
  CHORD_ASSIGN_OR_RETURN(gguf::File f, gguf::File::parse_split(std::move(headers), file_sizes));
  ModelPlan p;
  CHORD_ASSIGN_OR_RETURN(p.desc, describe(f));
  // The tokenizer's vocabulary size without building it (Model::load checks the tokenizer itself).
  const gguf::Value* tokens = f.find(keys::kTokTokens);
  if (!tokens || tokens->array_size() == 0 || tokens->array_size() > (1u << 24))
    return Status(Code::bad_gguf, std::string(keys::kTokTokens) + " must be a non-empty array");
  p.desc.n_vocab = static_cast<int32_t>(tokens->array_size());
  CHORD_TRY(bind_weights(f, p.desc, p.weights));
  for (uint64_t n : file_sizes) p.file_bytes += n;
  return p;
}

std::vector<std::string> split_part_paths(const std::string& path) {
  // gguf-split names parts "<prefix>-00001-of-00003.gguf": 5 digits, "-of-", 5 digits.
  constexpr std::string_view kTail = "-00001-of-NNNNN.gguf";
  if (path.size() <= kTail.size()) return {path};
  const std::string tail = path.substr(path.size() - kTail.size());
  auto digits = [&](size_t at) {
    for (size_t i = at; i < at + 5; ++i)
      if (tail[i] < '0' || tail[i] > '9') return false;
    return true;
  };
  if (tail.compare(0, 6, "-00001") != 0 || tail.compare(6, 4, "-of-") != 0 || !digits(10) ||
      tail.compare(15, 5, ".gguf") != 0)
    return {path};
  const int n = std::atoi(tail.substr(10, 5).c_str());
  const std::string prefix = path.substr(0, path.size() - kTail.size());
  std::vector<std::string> parts;
  for (int i = 1; i <= n; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "-%05d-of-%05d.gguf", i, n);
    parts.push_back(prefix + buf);
  }
  return parts;
}

Result<std::shared_ptr<const Model>> Model::load_file(const std::string& path) {
  auto storage = std::make_shared<std::vector<std::vector<uint8_t>>>();
  ModelBytes bytes;
  for (const auto& p : split_part_paths(path)) {
    CHORD_ASSIGN_OR_RETURN(auto data, gguf::read_file(p));
    storage->push_back(std::move(data));
  }
  for (const auto& s : *storage) bytes.parts.emplace_back(s.data(), s.size());
  bytes.owner = storage;
  return load(std::move(bytes));
}

std::shared_ptr<const GrammarVocab> Model::grammar_vocab() const {
  std::call_once(grammar_vocab_once_, [this] { grammar_vocab_ = GrammarVocab::from_tokenizer(*tok_); });
  return grammar_vocab_;
}

std::string Model::chat_template() const { return file_.get_string(keys::kChatTemplate).value_or(""); }

uint64_t Model::file_bytes() const {
  uint64_t n = 0;
  for (const auto& p : bytes_.parts) n += p.size();
  return n;
}

}  // namespace chord
