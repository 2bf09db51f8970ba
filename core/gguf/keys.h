// GGUF metadata key names: the one place they are spelled (from llama.cpp gguf-py/gguf/constants.py).
// Per-architecture keys are suffixes joined to "<arch>." by arch_key().
#pragma once
#include <string>
#include <string_view>

namespace chord::keys {

inline constexpr std::string_view kArchitecture = "general.architecture";
inline constexpr std::string_view kName = "general.name";
inline constexpr std::string_view kAlignment = "general.alignment";
inline constexpr std::string_view kFileType = "general.file_type";
inline constexpr std::string_view kQuantVersion = "general.quantization_version";

// split models (gguf-split)
inline constexpr std::string_view kSplitNo = "split.no";
inline constexpr std::string_view kSplitCount = "split.count";
inline constexpr std::string_view kSplitTensorsCount = "split.tensors.count";

// "<arch>." + suffix
inline constexpr std::string_view kContextLength = "context_length";
inline constexpr std::string_view kEmbeddingLength = "embedding_length";
inline constexpr std::string_view kBlockCount = "block_count";
inline constexpr std::string_view kFeedForwardLength = "feed_forward_length";
inline constexpr std::string_view kHeadCount = "attention.head_count";
inline constexpr std::string_view kHeadCountKv = "attention.head_count_kv";
inline constexpr std::string_view kKeyLength = "attention.key_length";
inline constexpr std::string_view kValueLength = "attention.value_length";
inline constexpr std::string_view kRmsEps = "attention.layer_norm_rms_epsilon";
inline constexpr std::string_view kLayerNormEps = "attention.layer_norm_epsilon";  // bert, nomic-bert (LayerNorm)
inline constexpr std::string_view kCausal = "attention.causal";  // false: tokens see their whole sequence (encoders)
inline constexpr std::string_view kRopeDimCount = "rope.dimension_count";
inline constexpr std::string_view kRopeFreqBase = "rope.freq_base";
inline constexpr std::string_view kRopeScalingType = "rope.scaling.type";
inline constexpr std::string_view kRopeScalingFactor = "rope.scaling.factor";
inline constexpr std::string_view kRopeScalingOrigCtx = "rope.scaling.original_context_length";
inline constexpr std::string_view kRopeScaleLinear = "rope.scale_linear";  // older files
inline constexpr std::string_view kVocabSize = "vocab_size";
inline constexpr std::string_view kRopeScalingAttnFactor = "rope.scaling.attn_factor";  // LongRoPE (phi3)
inline constexpr std::string_view kRopeScalingFinetuned = "rope.scaling.finetuned";     // granite: false = no RoPE
inline constexpr std::string_view kRopeFreqBaseSwa = "rope.freq_base_swa";              // gemma2/3 local layers
inline constexpr std::string_view kSlidingWindow = "attention.sliding_window";
inline constexpr std::string_view kPoolingType =
    "pooling_type";  // embeddings: llama.cpp enum (0 none, 1 mean, 2 cls, 3 last, 4 rank)
inline constexpr std::string_view kSlidingWindowPattern = "attention.sliding_window_pattern";
inline constexpr std::string_view kAttnLogitSoftcap = "attn_logit_softcapping";    // gemma2
inline constexpr std::string_view kFinalLogitSoftcap = "final_logit_softcapping";  // gemma2/3
inline constexpr std::string_view kLogitScale = "logit_scale";                     // granite
inline constexpr std::string_view kResidualScale = "residual_scale";               // granite
inline constexpr std::string_view kEmbeddingScale = "embedding_scale";             // granite
inline constexpr std::string_view kAttentionScale = "attention.scale";             // granite

// tokenizer
inline constexpr std::string_view kTokModel = "tokenizer.ggml.model";
inline constexpr std::string_view kTokPre = "tokenizer.ggml.pre";
inline constexpr std::string_view kTokTokens = "tokenizer.ggml.tokens";
inline constexpr std::string_view kTokScores = "tokenizer.ggml.scores";
inline constexpr std::string_view kTokTypes = "tokenizer.ggml.token_type";
inline constexpr std::string_view kTokMerges = "tokenizer.ggml.merges";
inline constexpr std::string_view kTokBos = "tokenizer.ggml.bos_token_id";
inline constexpr std::string_view kTokEos = "tokenizer.ggml.eos_token_id";
inline constexpr std::string_view kTokEot = "tokenizer.ggml.eot_token_id";
inline constexpr std::string_view kTokEom = "tokenizer.ggml.eom_token_id";
inline constexpr std::string_view kTokUnk = "tokenizer.ggml.unknown_token_id";
inline constexpr std::string_view kTokSep = "tokenizer.ggml.seperator_token_id";  // sic, as llama.cpp spells it
inline constexpr std::string_view kTokPad = "tokenizer.ggml.padding_token_id";
inline constexpr std::string_view kTokFimPad = "tokenizer.ggml.fim_pad_token_id";
inline constexpr std::string_view kTokFimRep = "tokenizer.ggml.fim_rep_token_id";
inline constexpr std::string_view kTokFimSep = "tokenizer.ggml.fim_sep_token_id";
inline constexpr std::string_view kTokAddBos = "tokenizer.ggml.add_bos_token";
inline constexpr std::string_view kTokAddEos = "tokenizer.ggml.add_eos_token";
inline constexpr std::string_view kTokAddPrefix = "tokenizer.ggml.add_space_prefix";
inline constexpr std::string_view kTokTokenTypeCount = "tokenizer.ggml.token_type_count";  // bert: rows of token_types
inline constexpr std::string_view kTokRemoveExtraWs = "tokenizer.ggml.remove_extra_whitespaces";
inline constexpr std::string_view kChatTemplate = "tokenizer.chat_template";

inline std::string arch_key(std::string_view arch, std::string_view suffix) {
  std::string k(arch);
  k += '.';
  k += suffix;
  return k;
}

}  // namespace chord::keys
