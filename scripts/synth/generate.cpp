// chord-synth model generation (decoders and the bert / nomic-bert encoders): metadata, tokenizer
// copied from a vocab GGUF, and random weights generated and quantized row by row (one f32 row per
// worker; quantized tensors go to the Writer).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/gguf/gguf.h"
#include "core/gguf/keys.h"
#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "scripts/synth/rng.h"
#include "scripts/synth/synth.h"

namespace chord::synth {
namespace {

// How one tensor's values are drawn: (mean + std * N(0,1)), times a random sign if signed.
struct Dist {
  double mean;
  double std;
  bool random_sign = false;
};

// Fills rows [r0, r1) of a (rows x cols) tensor of type t.
void fill_rows(const std::string& name, uint64_t seed, Dist d, GgmlType t, int64_t cols, int64_t r0, int64_t r1,
               uint8_t* out, uint64_t row_bytes) {
  std::vector<float> row(static_cast<size_t>(cols));
  const bool random_blocks = quant::has_iq_unpack(t);  // no quantizer: random valid blocks of the same RMS
  for (int64_t r = r0; r < r1; ++r) {
    if (random_blocks) {
      const auto rms = static_cast<float>(std::sqrt(d.mean * d.mean + d.std * d.std));
      quant::random_row_iq(t, stream_key(seed, name, static_cast<uint64_t>(r)), rms,
                           out + static_cast<uint64_t>(r) * row_bytes, cols);
      continue;
    }
    Rng rng(stream_key(seed, name, static_cast<uint64_t>(r)));
    for (float& v : row) {
      v = static_cast<float>(d.mean + d.std * rng.normal());
      if (d.random_sign && (rng.next() >> 63)) v = -v;
    }
    quant::quantize_row(t, row.data(), out + static_cast<uint64_t>(r) * row_bytes, cols);
  }
}

// Per-architecture constants of the synthetic models.
struct ArchExtras {
  bool post_norms = false;  // gemma2/3, olmo2: post_attention_norm, post_ffw_norm
  bool pre_norms = true;    // attn_norm, ffn_norm (olmo2: none)
  double embd_mult = 1, resid_mult = 1, logit_div = 1, attn_mult = 0;  // granite (attn_mult 0: 1/sqrt(head_dim))
  double logit_mult = 1;  // gemma2: logits half as spread, so the final soft-cap (30) leaves clear winners
};

ArchExtras arch_extras(const Preset& p) {
  ArchExtras x;
  const std::string_view a = p.arch;
  x.post_norms = a == "gemma2" || a == "gemma3" || a == "olmo2";
  x.pre_norms = a != "olmo2";
  if (a == "gemma2") x.logit_mult = 0.5;
  if (a == "granite") {  // Granite-3.x-2B's multipliers
    x.embd_mult = 12.0;
    x.resid_mult = 0.22;
    x.attn_mult = 0.015625;
    x.logit_div = 8.0;
  }
  const int32_t head_dim = p.head_dim > 0 ? p.head_dim : p.n_embd / p.n_head;
  if (x.attn_mult == 0) x.attn_mult = 1.0 / std::sqrt(static_cast<double>(head_dim));
  return x;
}

class Builder {
 public:
  Builder(const Options& o, gguf::Writer& w) : o_(o), w_(w) {}

  // Generates a (rows x cols) tensor (cols contiguous) and hands it to the Writer.
  Status add(const std::string& name, GgmlType t, int64_t cols, int64_t rows, Dist d) {
    const uint64_t row_bytes = row_size(t, cols);
    if (row_bytes == 0) return {Code::invalid_argument, name + ": row length does not fit the type's blocks"};
    std::vector<uint8_t> data(row_bytes * static_cast<uint64_t>(rows));
    const int nt = static_cast<int>(std::clamp<int64_t>(std::min<int64_t>(o_.threads, rows), 1, 64));
    if (nt == 1) {
      fill_rows(name, o_.seed, d, t, cols, 0, rows, data.data(), row_bytes);
    } else {
      std::vector<std::thread> th;
      for (int i = 0; i < nt; ++i) {
        const int64_t r0 = rows * i / nt, r1 = rows * (i + 1) / nt;
        th.emplace_back(fill_rows, std::cref(name), o_.seed, d, t, cols, r0, r1, data.data(), row_bytes);
      }
      for (std::thread& x : th) x.join();
    }
    std::vector<int64_t> ne = {cols};
    if (rows > 1) ne.push_back(rows);
    CHORD_TRY(w_.add_tensor(name, t, ne, data));
    bytes_ += data.size();
    if (o_.verbose)
      std::fprintf(stderr, "  %-28s %-5s [%lld, %lld]\n", name.c_str(), type_info(t)->name,
                   static_cast<long long>(cols), static_cast<long long>(rows));
    return Status::Ok();
  }

  uint64_t bytes() const { return bytes_; }

 private:
  const Options& o_;
  gguf::Writer& w_;
  uint64_t bytes_ = 0;
};

// Copies every tokenizer.* key of the vocab file; with pad_to > its size, appends control tokens
// <|reserved_special_token_N|> (as Llama 3's vocab ends with 256 of them) up to pad_to tokens.
Status copy_vocab(const std::string& path, int32_t pad_to, gguf::Writer& w, int64_t& n_vocab) {
  CHORD_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, gguf::read_file(path));
  CHORD_ASSIGN_OR_RETURN(gguf::File f, gguf::File::parse(bytes));
  const gguf::Value* toks = f.find(keys::kTokTokens);
  if (!toks || toks->array_size() == 0) return {Code::bad_gguf, path + ": no tokenizer.ggml.tokens"};
  n_vocab = static_cast<int64_t>(toks->array_size());
  const int64_t pad = std::max<int64_t>(0, pad_to - n_vocab);
  constexpr double kControl = 3;  // llama_token_type CONTROL
  for (const auto& [k, v] : f.metadata()) {
    if (k.rfind("tokenizer.", 0) != 0) continue;
    if (pad == 0 || (k != keys::kTokTokens && k != keys::kTokScores && k != keys::kTokTypes)) {
      w.set_value(k, v);
      continue;
    }
    gguf::Value padded = v;  // (n_vocab) -> (pad_to)
    for (int64_t i = 0; i < pad; ++i) {
      if (k == keys::kTokTokens)
        padded.strings.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
      else
        padded.numbers.push_back(k == keys::kTokTypes ? kControl : 0.0);
    }
    w.set_value(k, padded);
  }
  n_vocab += pad;
  return Status::Ok();
}

}  // namespace

Status generate(const Options& o) {
  const Preset& p = *o.preset;
  const auto t0 = std::chrono::steady_clock::now();
  const int32_t n_layer = o.layers > 0 ? o.layers : p.n_layer;
  const int32_t head_dim = p.head_dim > 0 ? p.head_dim : p.n_embd / p.n_head;
  const int64_t q_dim = int64_t{p.n_head} * head_dim, kv_dim = int64_t{p.n_head_kv} * head_dim;
  const int64_t d = p.n_embd, ff = p.n_ff;
  const std::string arch = p.arch;
  auto ak = [&](std::string_view s) { return keys::arch_key(arch, s); };

  gguf::Writer w;
  w.set_string(keys::kArchitecture, arch);
  // llama.cpp marks special tokens rstrip for models *named* phi-3/phi3 (and expects Phi-3's vocab
  // then): the name spells the preset "phi 3" so that the SPM test vocabulary loads as it is.
  std::string pname = p.name;
  if (auto at = pname.find("phi3"); at != std::string::npos) pname.replace(at, 4, "phi 3");
  w.set_string(keys::kName, "synth " + pname + " " + o.type.name + " seed " + std::to_string(o.seed));
  w.set_u32(keys::kFileType, o.type.file_type);
  const bool quantized = o.type.base != GgmlType::F32 && o.type.base != GgmlType::F16 && o.type.base != GgmlType::BF16;
  if (quantized) w.set_u32(keys::kQuantVersion, 2);
  w.set_u32(ak(keys::kContextLength), static_cast<uint32_t>(p.n_ctx));
  w.set_u32(ak(keys::kEmbeddingLength), static_cast<uint32_t>(p.n_embd));
  w.set_u32(ak(keys::kBlockCount), static_cast<uint32_t>(n_layer));
  w.set_u32(ak(keys::kFeedForwardLength), static_cast<uint32_t>(p.n_ff));
  w.set_u32(ak(keys::kHeadCount), static_cast<uint32_t>(p.n_head));
  w.set_u32(ak(keys::kHeadCountKv), static_cast<uint32_t>(p.n_head_kv));
  if (head_dim != p.n_embd / p.n_head || p.qk_norm) {
    w.set_u32(ak(keys::kKeyLength), static_cast<uint32_t>(head_dim));
    w.set_u32(ak(keys::kValueLength), static_cast<uint32_t>(head_dim));
  }
  const bool encoder = arch == "bert" || arch == "nomic-bert";
  if (encoder) {  // as convert_hf_to_gguf.py's BertModel / NomicBertModel write them
    w.set_f32(ak(keys::kLayerNormEps), p.rms_eps);
    w.set_bool(ak(keys::kCausal), false);
    w.set_u32(ak(keys::kPoolingType), arch == "bert" ? 2u : 1u);  // CLS (BGE) / mean (nomic-embed)
  } else {
    w.set_f32(ak(keys::kRmsEps), p.rms_eps);
  }
  w.set_f32(ak(keys::kRopeFreqBase), p.rope_base);
  const int32_t n_rot = p.n_rot > 0 ? p.n_rot : head_dim;
  w.set_u32(ak(keys::kRopeDimCount), static_cast<uint32_t>(n_rot));
  if (p.sliding_window > 0) w.set_u32(ak(keys::kSlidingWindow), static_cast<uint32_t>(p.sliding_window));
  // Per-architecture metadata, as llama.cpp's converters write it (values: the real models', except
  // gemma2's attention soft-cap, lowered from 50 to 3 so that the tiny models' scores really bend).
  const ArchExtras x = arch_extras(p);
  if (arch == "gemma2") {
    w.set_f32(ak(keys::kAttnLogitSoftcap), 3.0f);
    w.set_f32(ak(keys::kFinalLogitSoftcap), 30.0f);
  } else if (arch == "gemma3") {
    w.set_f32(ak(keys::kRopeFreqBaseSwa), 10000.0f);
    if (p.rope_factor > 0) {  // Gemma-3-4B and up: linear scaling of the global layers' RoPE
      w.set_string(ak(keys::kRopeScalingType), "linear");
      w.set_f32(ak(keys::kRopeScalingFactor), p.rope_factor);
    }
  } else if (arch == "granite") {
    w.set_f32(ak(keys::kEmbeddingScale), x.embd_mult);
    w.set_f32(ak(keys::kResidualScale), x.resid_mult);
    w.set_f32(ak(keys::kAttentionScale), x.attn_mult);
    w.set_f32(ak(keys::kLogitScale), x.logit_div);
  } else if (arch == "phi3") {  // Phi3MiniModel in convert_hf_to_gguf.py: LongRoPE's magnitude factor
    w.set_u32(ak(keys::kRopeScalingOrigCtx), static_cast<uint32_t>(p.rope_orig_ctx));
    w.set_f32(
        ak(keys::kRopeScalingAttnFactor),
        static_cast<float>(std::sqrt(1.0 + std::log(p.rope_factor) / std::log(static_cast<double>(p.rope_orig_ctx)))));
  }

  const std::string vocab_path = o.vocab_path.empty() ? models_dir() + "/" + p.vocab : o.vocab_path;
  int64_t n_vocab = 0;
  CHORD_TRY(copy_vocab(vocab_path, p.n_vocab, w, n_vocab));
  w.set_u32(ak(keys::kVocabSize), static_cast<uint32_t>(n_vocab));
  if (p.pre) w.set_string(keys::kTokPre, p.pre);
  if (p.add_bos >= 0) w.set_bool(keys::kTokAddBos, p.add_bos != 0);

  // Scales (see Scales in synth.h): with unit-RMS normed inputs, q/k entries have variance
  // `attn`, v entries 1, logits std `logit`. silu(g)*u has E[x^2] ~ 0.355 for unit g, u, hence
  // the 1/sqrt(0.355) on ffn_down so each residual update has RMS ~ resid * embedding RMS.
  // Granite's multipliers are compensated in the weights so the model stays as conditioned as the
  // others: logits x logit_div, residual updates x embedding / residual multiplier, q/k so that
  // attn_mult * q.k keeps the scores' spread.
  const Scales& s = o.scales;
  const double rd = 1.0 / std::sqrt(static_cast<double>(d));
  const double logit = s.logit * x.logit_div * x.logit_mult;
  const double embd_rms = p.tied ? logit * rd : s.embd;
  const double upd = s.resid * embd_rms * x.embd_mult / x.resid_mult;
  const double qk_mult = std::sqrt(1.0 / (x.attn_mult * std::sqrt(static_cast<double>(head_dim))));
  const Dist norm{1.0, s.norm_noise};
  // Without pre-norms (olmo2) the post-norms alone set each update's size: their weights are the
  // update RMS. Gemma's scaled embeddings make unit post-norm weights already a small update.
  const Dist post_norm = x.pre_norms ? norm : Dist{upd, s.norm_noise * upd};
  // q/k normed over all heads have unit entries: weights of attn^(1/2) / head_dim^(1/4) give scores
  // q.k / sqrt(head_dim) ~ N(0, attn^2), as the other presets' projections do.
  const double qk_w = std::sqrt(s.attn) / std::pow(static_cast<double>(head_dim), 0.25);
  const Dist qk_norm{qk_w, s.norm_noise * qk_w};
  // Tied embeddings: the output projection is E . norm(x) and x is mostly E[current token], so
  // the current token would always predict itself (|E_t|^2 beats E_i . E_t). Random signs on the
  // output norm weights make E_t . (E_t * g) ~ 0, like any other token.
  const Dist out_norm{1.0, s.norm_noise, p.tied};
  const Dist bias{0.0, s.bias};
  const Dist out_w{0.0, logit * rd};
  const Dist qk{0.0, std::sqrt(s.attn) * rd * qk_mult};
  const Dist v{0.0, rd};
  const Dist wo{0.0, upd / std::sqrt(static_cast<double>(q_dim))};
  const Dist up{0.0, rd};
  const Dist down{0.0, upd / std::sqrt(0.355 * static_cast<double>(ff))};

  Builder b(o, w);
  // The type of a 2-D weight: an override naming it, else the type rules.
  auto wt = [&](Role r, int32_t layer, int64_t cols) {
    if (o.output_type && (r == Role::output || (p.tied && r == Role::token_embd))) return *o.output_type;
    return weight_type(o.type, r, layer, n_layer, cols, p.tied);
  };
  auto add2d = [&](const std::string& name, Role r, int32_t layer, int64_t cols, int64_t rows, Dist dist) {
    GgmlType t = wt(r, layer, cols);
    for (const TypeOverride& ov : o.overrides) {
      if (name.find(ov.name_part) != std::string::npos) {
        t = ov.type;
        break;
      }
    }
    return b.add(name, t, cols, rows, dist);
  };
  CHORD_TRY(add2d("token_embd.weight", Role::token_embd, 0, d, n_vocab, p.tied ? out_w : Dist{0.0, s.embd}));
  if (encoder) {
    // Post-norm layers x = LN(x + block(x)): the residual keeps unit scale and each block adds a
    // small update, as in the decoders. Position and type rows are smaller than token rows.
    const Dist small{0.0, s.resid * s.embd};
    CHORD_TRY(b.add("token_types.weight", GgmlType::F32, d, 2, small));
    if (arch == "bert") CHORD_TRY(b.add("position_embd.weight", GgmlType::F32, d, p.n_ctx, small));
    CHORD_TRY(b.add("token_embd_norm.weight", GgmlType::F32, d, 1, norm));
    CHORD_TRY(b.add("token_embd_norm.bias", GgmlType::F32, d, 1, bias));
    for (int32_t i = 0; i < n_layer; ++i) {
      const std::string pre = "blk." + std::to_string(i) + ".";
      if (arch == "nomic-bert") {  // fused q, k, v rows, no biases; SwiGLU FFN without biases
        CHORD_TRY(add2d(pre + "attn_qkv.weight", Role::attn_q, i, d, q_dim + 2 * kv_dim, qk));
      } else {
        CHORD_TRY(add2d(pre + "attn_q.weight", Role::attn_q, i, d, q_dim, qk));
        CHORD_TRY(add2d(pre + "attn_k.weight", Role::attn_k, i, d, kv_dim, qk));
        CHORD_TRY(add2d(pre + "attn_v.weight", Role::attn_v, i, d, kv_dim, v));
        CHORD_TRY(b.add(pre + "attn_q.bias", GgmlType::F32, q_dim, 1, bias));
        CHORD_TRY(b.add(pre + "attn_k.bias", GgmlType::F32, kv_dim, 1, bias));
        CHORD_TRY(b.add(pre + "attn_v.bias", GgmlType::F32, kv_dim, 1, bias));
      }
      CHORD_TRY(add2d(pre + "attn_output.weight", Role::attn_output, i, q_dim, d, wo));
      if (arch == "bert") CHORD_TRY(b.add(pre + "attn_output.bias", GgmlType::F32, d, 1, Dist{0.0, s.bias * upd}));
      CHORD_TRY(b.add(pre + "attn_output_norm.weight", GgmlType::F32, d, 1, norm));
      CHORD_TRY(b.add(pre + "attn_output_norm.bias", GgmlType::F32, d, 1, bias));
      if (arch == "nomic-bert") CHORD_TRY(add2d(pre + "ffn_gate.weight", Role::ffn_gate, i, d, ff, up));
      CHORD_TRY(add2d(pre + "ffn_up.weight", Role::ffn_up, i, d, ff, up));
      if (arch == "bert") CHORD_TRY(b.add(pre + "ffn_up.bias", GgmlType::F32, ff, 1, bias));
      CHORD_TRY(add2d(pre + "ffn_down.weight", Role::ffn_down, i, ff, d, down));
      if (arch == "bert") CHORD_TRY(b.add(pre + "ffn_down.bias", GgmlType::F32, d, 1, Dist{0.0, s.bias * upd}));
      CHORD_TRY(b.add(pre + "layer_output_norm.weight", GgmlType::F32, d, 1, norm));
      CHORD_TRY(b.add(pre + "layer_output_norm.bias", GgmlType::F32, d, 1, bias));
    }
  }
  for (int32_t i = 0; i < n_layer && !encoder; ++i) {
    const std::string pre = "blk." + std::to_string(i) + ".";
    if (x.pre_norms) CHORD_TRY(b.add(pre + "attn_norm.weight", GgmlType::F32, d, 1, norm));
    if (arch == "phi3") {  // fused: q, k, v rows in one tensor (v rows drawn like q/k: the same std at attn 1)
      CHORD_TRY(add2d(pre + "attn_qkv.weight", Role::attn_q, i, d, q_dim + 2 * kv_dim, qk));
    } else {
      CHORD_TRY(add2d(pre + "attn_q.weight", Role::attn_q, i, d, q_dim, qk));
      CHORD_TRY(add2d(pre + "attn_k.weight", Role::attn_k, i, d, kv_dim, qk));
      CHORD_TRY(add2d(pre + "attn_v.weight", Role::attn_v, i, d, kv_dim, v));
    }
    if (p.qkv_bias) {
      CHORD_TRY(b.add(pre + "attn_q.bias", GgmlType::F32, q_dim, 1, bias));
      CHORD_TRY(b.add(pre + "attn_k.bias", GgmlType::F32, kv_dim, 1, bias));
      CHORD_TRY(b.add(pre + "attn_v.bias", GgmlType::F32, kv_dim, 1, bias));
    }
    if (p.qk_norm && arch == "olmo2") {  // one norm over all heads of q, one over all of k
      CHORD_TRY(b.add(pre + "attn_q_norm.weight", GgmlType::F32, q_dim, 1, qk_norm));
      CHORD_TRY(b.add(pre + "attn_k_norm.weight", GgmlType::F32, kv_dim, 1, qk_norm));
    } else if (p.qk_norm) {
      CHORD_TRY(b.add(pre + "attn_q_norm.weight", GgmlType::F32, head_dim, 1, norm));
      CHORD_TRY(b.add(pre + "attn_k_norm.weight", GgmlType::F32, head_dim, 1, norm));
    }
    CHORD_TRY(add2d(pre + "attn_output.weight", Role::attn_output, i, q_dim, d, wo));
    if (x.post_norms) CHORD_TRY(b.add(pre + "post_attention_norm.weight", GgmlType::F32, d, 1, post_norm));
    if (x.pre_norms) CHORD_TRY(b.add(pre + "ffn_norm.weight", GgmlType::F32, d, 1, norm));
    if (arch == "phi3") {  // fused: gate rows, then up rows
      CHORD_TRY(add2d(pre + "ffn_up.weight", Role::ffn_up, i, d, 2 * ff, up));
    } else {
      CHORD_TRY(add2d(pre + "ffn_gate.weight", Role::ffn_gate, i, d, ff, up));
      CHORD_TRY(add2d(pre + "ffn_up.weight", Role::ffn_up, i, d, ff, up));
    }
    CHORD_TRY(add2d(pre + "ffn_down.weight", Role::ffn_down, i, ff, d, down));
    if (x.post_norms) CHORD_TRY(b.add(pre + "post_ffw_norm.weight", GgmlType::F32, d, 1, post_norm));
  }
  if (arch == "phi3") {  // LongRoPE frequency divisors (n_rot / 2 each), long ones well above 1
    CHORD_TRY(b.add("rope_factors_long.weight", GgmlType::F32, n_rot / 2, 1, Dist{3.0, 0.5}));
    CHORD_TRY(b.add("rope_factors_short.weight", GgmlType::F32, n_rot / 2, 1, Dist{1.05, 0.02}));
  }
  if (!encoder) CHORD_TRY(b.add("output_norm.weight", GgmlType::F32, d, 1, out_norm));
  if (!encoder && !p.tied) CHORD_TRY(add2d("output.weight", Role::output, 0, d, n_vocab, out_w));

  const auto t1 = std::chrono::steady_clock::now();
  CHORD_TRY(w.write_file(o.out_path));
  const auto t2 = std::chrono::steady_clock::now();
  std::fprintf(stderr,
               "chord-synth: %s %s seed %llu: %d layers, vocab %lld, %.1f MB of tensors -> %s "
               "(generate+quantize %.2f s, write %.2f s)\n",
               p.name, o.type.name.c_str(), static_cast<unsigned long long>(o.seed), n_layer,
               static_cast<long long>(n_vocab), static_cast<double>(b.bytes()) / 1e6, o.out_path.c_str(),
               std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count());
  return Status::Ok();
}

}  // namespace chord::synth
