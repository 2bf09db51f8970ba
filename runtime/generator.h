// A generation over a Context, advanced one step at a time so callers can stream tokens and
// abort between steps: a step is one batch of the prompt (the context's n_batch tokens) or one sampled token.
// The KV cache prefix shared with the previous request is reused (chat turns are not recomputed).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/tokenizer/tokenizer.h"
#include "runtime/context.h"
#include "runtime/grammar_sampler.h"
#include "runtime/options.h"
#include "runtime/sampler.h"

namespace chord {

struct Step {
  Token token = -1;  // the sampled token, -1 for a prompt step
  std::string text;  // text ready to show (complete UTF-8, never part of a stop string)
  bool done = false;
  const char* finish_reason = "";  // when done: "stop" (EOG or stop string) or "length"
  // With the logprobs / top_logprobs options, for a sampled token: log-probabilities under the
  // model's distribution (softmax of the logits, before bias, penalties, truncation and
  // temperature; as llama.cpp's server reports n_probs), and the most likely tokens, best first.
  float logprob = 0;
  std::vector<std::pair<Token, float>> top_logprobs;
};

class Generator {
 public:
  static Result<std::unique_ptr<Generator>> start(Context& ctx, std::vector<Token> prompt, GenerateOptions opts);
  Result<Step> step();
  // External contexts (ContextOptions::external): the logits (n_vocab) of the last token the
  // context recorded, computed by the caller after the step that recorded it.
  Status set_logits(std::span<const float> logits);

  int32_t prompt_tokens() const { return static_cast<int32_t>(prompt_.size()); }
  int32_t cached_tokens() const { return reused_; }  // prompt tokens served from the KV cache
  int32_t completion_tokens() const { return generated_; }
  int32_t prompt_batches() const { return batches_; }  // prompt steps run (n_batch tokens each)
  int32_t context_shifts() const { return shifts_; }
  bool done() const { return done_; }
  const GenerateOptions& options() const { return opts_; }

 private:
  Generator(Context& ctx, std::vector<Token> prompt, GenerateOptions opts);
  Step finish(const char* reason, Step s);
  std::string take_ready_text(bool final);
  void fill_logprobs(Step& s);
  Status shift_context();  // opts_.context_shift on a full context

  Context& ctx_;
  std::vector<Token> prompt_;
  GenerateOptions opts_;
  std::unique_ptr<GrammarSampler> grammar_;  // from opts_.grammar / json_schema; null if none
  Sampler sampler_;
  StreamDecoder decoder_;
  size_t prompt_pos_ = 0;  // next prompt token to evaluate
  int32_t reused_ = 0;
  int32_t generated_ = 0;
  int32_t batches_ = 0;
  int32_t shifts_ = 0;
  bool done_ = false;
  std::vector<float> logits_;
  std::vector<std::pair<float, Token>> rank_;  // scratch for top_logprobs
  std::string pending_;                        // decoded text held back because it may begin a stop string
};

}  // namespace chord
