// Text embeddings over the forward pass: a token sequence's final hidden states (output-normed,
// as llama.cpp's embeddings) pooled to one vector, optionally L2-normalized. Each sequence is
// evaluated from position 0 seeing only itself; short ones are packed several to a forward batch.
// The context's cache is cleared first (a chat's cached prefix is recomputed by its next turn).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "runtime/context.h"

namespace chord {

// llama.cpp's llama_pooling_type values, as GGUF's <arch>.pooling_type stores them.
enum class Pooling : int32_t { none = 0, mean = 1, cls = 2, last = 3, rank = 4 };

std::string_view pooling_name(Pooling p);
// "mean" | "cls" | "last" (the poolings embed() supports); invalid_argument otherwise.
Result<Pooling> parse_pooling(std::string_view name);

// The pooling the model's metadata asks for (<arch>.pooling_type); mean when the key is absent or
// says none (decoder models converted without an embedding head). unsupported for rank or values
// outside the enum.
Result<Pooling> model_pooling(const Model& model);

struct EmbedOptions {
  std::optional<Pooling> pooling;  // unset: model_pooling()
  bool normalize = true;           // divide by the L2 norm (llama.cpp's embd_normalize 2)
};

// Clears the context, evaluates `tokens` from position 0 and returns the pooled vector (n_embd).
// context_full when the sequence is longer than the context; aborted via ctx.abort_flag().
Result<std::vector<float>> embed(Context& ctx, std::span<const Token> tokens, const EmbedOptions& opts);

// embed() of each sequence, in order, with consecutive sequences packed into forward batches of up
// to the context's n_batch tokens (Context::eval_packed); a longer one runs alone in several.
// unsupported on an external context: its caller evaluates each sequence (Context::eval_hidden
// records it) and pools the hidden states it computed with pool_hidden.
Result<std::vector<std::vector<float>>> embed_many(Context& ctx, std::span<const std::vector<Token>> seqs,
                                                   const EmbedOptions& opts);

// The vectors embed_many() makes from hidden states computed elsewhere (the WebGPU backend): hidden
// (sum of lens, n_embd) holds the sequences' output-normed final states one after another.
Result<std::vector<std::vector<float>>> pool_hidden(const Model& model, std::span<const float> hidden,
                                                    std::span<const int32_t> lens, const EmbedOptions& opts);

}  // namespace chord
