// Prompt batches, then sample/emit one token per step; stop on EOG, stop strings, max_tokens or a
// full context.
#include "runtime/generator.h"

#include <algorithm>
#include <cmath>

#include "core/grammar/json_schema.h"

namespace chord {

Generator::Generator(Context& ctx, std::vector<Token> prompt, GenerateOptions opts)
    : ctx_(ctx),
      prompt_(std::move(prompt)),
      opts_(std::move(opts)),
      sampler_(opts_.sampling),
      decoder_(ctx.model().tokenizer()) {
  if (!prompt_.empty()) decoder_.continue_after(prompt_.back());
}

Result<std::unique_ptr<Generator>> Generator::start(Context& ctx, std::vector<Token> prompt, GenerateOptions opts) {
  if (prompt.empty()) return Status(Code::invalid_argument, "the prompt has no tokens");
  CHORD_TRY(validate(opts));
  const int32_t n_vocab = ctx.model().desc().n_vocab;
  for (Token t : prompt)
    if (t < 0 || t >= n_vocab)
      return Status(Code::invalid_argument, "prompt token " + std::to_string(t) + " is outside the vocabulary");
  if (static_cast<int64_t>(prompt.size()) > ctx.n_ctx())
    return Status(Code::context_full, "the prompt has " + std::to_string(prompt.size()) +
                                          " tokens but the context holds " + std::to_string(ctx.n_ctx()));
  if (opts.context_shift && !ctx.can_shift())
    return Status(Code::unsupported, "context_shift is not available for models with sliding-window layers");
  std::unique_ptr<GrammarSampler> constraint;
  if (!opts.grammar.empty() || !opts.json_schema.text.empty()) {
    std::string gbnf = opts.grammar;
    if (gbnf.empty()) {
      CHORD_ASSIGN_OR_RETURN(gbnf, grammar::json_schema_to_gbnf(opts.json_schema.text));
    }
    CHORD_ASSIGN_OR_RETURN(constraint, GrammarSampler::create(gbnf, ctx.model().grammar_vocab()));
  }
  auto g = std::unique_ptr<Generator>(new Generator(ctx, std::move(prompt), std::move(opts)));
  g->grammar_ = std::move(constraint);
  g->sampler_.set_grammar(g->grammar_.get());
  // Keep the shared prefix; at least the last prompt token is evaluated again to get its logits.
  int32_t keep = std::min(ctx.common_prefix(g->prompt_), g->prompt_tokens() - 1);
  ctx.truncate(keep);
  g->reused_ = keep;
  g->prompt_pos_ = static_cast<size_t>(keep);
  return g;
}

Status Generator::set_logits(std::span<const float> logits) {
  if (logits.size() != static_cast<size_t>(ctx_.model().desc().n_vocab))
    return Status(Code::invalid_argument, "set_logits: " + std::to_string(logits.size()) +
                                              " logits for a vocabulary of " +
                                              std::to_string(ctx_.model().desc().n_vocab));
  logits_.assign(logits.begin(), logits.end());
  return Status::Ok();
}

Step Generator::finish(const char* reason, Step s) {
  done_ = true;
  s.done = true;
  s.finish_reason = reason;
  s.text += take_ready_text(true);
  return s;
}

// Returns decoded text that cannot be the start of a stop string; holds the rest back.
std::string Generator::take_ready_text(bool final) {
  if (final) pending_ += decoder_.flush();
  size_t hold = 0;
  if (!final) {
    for (const auto& s : opts_.stop)
      for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k)
        if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
  }
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

void Generator::fill_logprobs(Step& s) {
  double mx = -INFINITY, sum = 0;
  for (float l : logits_) mx = std::max(mx, static_cast<double>(l));
  for (float l : logits_) sum += std::exp(static_cast<double>(l) - mx);
  const double lse = mx + std::log(sum);  // log of the softmax denominator
  s.logprob = static_cast<float>(logits_[static_cast<size_t>(s.token)] - lse);
  const size_t k = std::min(logits_.size(), static_cast<size_t>(opts_.top_logprobs));
  if (k == 0) return;
  rank_.resize(logits_.size());
  for (size_t i = 0; i < logits_.size(); ++i) rank_[i] = {logits_[i], static_cast<Token>(i)};
  std::partial_sort(
      rank_.begin(), rank_.begin() + static_cast<std::ptrdiff_t>(k), rank_.end(),
      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (size_t i = 0; i < k; ++i) s.top_logprobs.emplace_back(rank_[i].second, static_cast<float>(rank_[i].first - lse));
}

// llama.cpp server's rule: keep n_keep tokens (-1: the prompt's) plus one for BOS, at most n_ctx - 4,
// and drop n_discard of the rest (0: half).
Status Generator::shift_context() {
  const Tokenizer& tk = *ctx_.model().tokenizer();
  const int32_t bos = prompt_[0] == tk.bos() ? 1 : 0;
  const int32_t keep =
      std::max(0, std::min((opts_.n_keep < 0 ? prompt_tokens() : opts_.n_keep) + bos, ctx_.n_ctx() - 4));
  const int32_t left = ctx_.n_past() - keep;
  const int32_t discard = opts_.n_discard > 0 ? std::min(opts_.n_discard, left) : left / 2;
  if (discard <= 0)
    return Status(Code::context_full, "context shift keeps " + std::to_string(keep) + " of " +
                                          std::to_string(ctx_.n_ctx()) + " tokens: nothing left to discard");
  ++shifts_;
  return ctx_.shift(keep, discard);
}

Result<Step> Generator::step() {
  if (done_) return Status(Code::invalid_argument, "generation already finished");
  Step s;
  if (prompt_pos_ < prompt_.size()) {  // one prompt batch per step
    const size_t n = std::min(prompt_.size() - prompt_pos_, static_cast<size_t>(ctx_.n_batch()));
    Status st = ctx_.eval(std::span<const Token>(prompt_).subspan(prompt_pos_, n), false, logits_);
    if (!st.ok()) {
      done_ = true;
      return st;
    }
    prompt_pos_ += n;
    ++batches_;
    if (prompt_pos_ < prompt_.size() || opts_.max_tokens > 0) return s;
  }
  if (generated_ >= opts_.max_tokens) return finish("length", std::move(s));

  const Token tok = sampler_.sample(logits_, ctx_.history());
  if (!sampler_.status().ok()) {  // the grammar allowed no candidate, or hit a limit
    done_ = true;
    return sampler_.status();
  }
  s.token = tok;
  ++generated_;
  if (opts_.logprobs || opts_.top_logprobs > 0) fill_logprobs(s);
  const Tokenizer& tk = *ctx_.model().tokenizer();
  if (!opts_.ignore_eos && tk.is_eog(tok)) return finish("stop", std::move(s));

  pending_ += decoder_.push(tok);
  for (const auto& stop : opts_.stop) {
    size_t at = pending_.find(stop);
    if (at != std::string::npos) {
      pending_.resize(at);
      s.text = pending_;
      pending_.clear();
      done_ = true;
      s.done = true;
      s.finish_reason = "stop";
      return s;
    }
  }
  if (generated_ >= opts_.max_tokens) return finish("length", std::move(s));
  if (opts_.context_shift && ctx_.n_past() + 1 >= ctx_.n_ctx()) {  // llama.cpp shifts one token early
    Status st = shift_context();
    if (!st.ok()) {
      done_ = true;
      return st;
    }
  }
  if (ctx_.n_past() >= ctx_.n_ctx()) return finish("length", std::move(s));
  Status st = ctx_.eval(std::span<const Token>(&tok, 1), false, logits_);
  if (!st.ok()) {
    done_ = true;
    return st;
  }
  s.text = take_ready_text(false);
  return s;
}

}  // namespace chord
