// Classes exposed to JS through Embind. Each mirrors one runtime object and only converts
// arguments and results; every fallible call returns {code, message[, value]} (see result.h).
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/embed.h"
#include "runtime/generator.h"
#include "runtime/model.h"

namespace chord::bind {

using emscripten::val;

// Byte buffers on the wasm heap, one per GGUF part. JS allocates each at its exact size and
// writes chunks straight into view(); ModelHandle::load then takes the buffers over.
class HeapParts {
 public:
  HeapParts() = default;
  HeapParts(const HeapParts&) = delete;
  HeapParts& operator=(const HeapParts&) = delete;

  val add(double size);                               // -> {value: part index}
  val view(int index, double offset, double length);  // -> {value: Uint8Array over the heap}
  int count() const { return static_cast<int>(bufs_.size()); }
  double total_bytes() const;
  void clear() { bufs_.clear(); }  // frees (an aborted load)

  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  struct Buffer {
    std::unique_ptr<uint8_t, Free> data;
    size_t size = 0;
  };
  std::vector<Buffer> take() { return std::move(bufs_); }

 private:
  std::vector<Buffer> bufs_;
};

class TokenizerHandle {
 public:
  explicit TokenizerHandle(std::shared_ptr<const Tokenizer> tok) : tok_(std::move(tok)) {}
  val encode(const std::string& text, bool add_special, bool parse_special) const;  // Int32Array
  val decode(const val& ids, bool special) const;                                   // -> {value: string}
  val token_piece(int id, bool special) const;                                      // -> {value: Uint8Array}
  val token_text(int id) const;                                                     // -> {value: string (vocab entry)}
  int find(const std::string& text) const { return tok_->find(text); }
  int vocab_size() const { return tok_->vocab_size(); }
  int bos() const { return tok_->bos(); }
  int eos() const { return tok_->eos(); }
  bool add_bos() const { return tok_->add_bos(); }
  bool add_eos() const { return tok_->add_eos(); }
  bool is_eog(int id) const { return in_vocab(id) && tok_->is_eog(id); }
  bool is_control(int id) const { return in_vocab(id) && tok_->is_control(id); }
  std::string model() const { return std::string(tok_->model()); }
  std::string pre() const { return std::string(tok_->pre()); }

 private:
  bool in_vocab(int id) const { return id >= 0 && id < tok_->vocab_size(); }
  std::shared_ptr<const Tokenizer> tok_;
};

class ModelHandle {
 public:
  // Takes the parts' buffers (parts is left empty, also on failure: the bytes are freed).
  static val load(HeapParts& parts);  // -> {value: ModelHandle}
  explicit ModelHandle(std::shared_ptr<const Model> m) : model_(std::move(m)) {}

  val info() const;                                  // description + sizes, plain object
  val metadata(int max_array) const;                 // {key: value}; arrays longer than max_array summarized
  val metadata_value(const std::string& key) const;  // -> {value} full value of one key
  // The forward pass's description for a context of n_ctx positions, for a forward pass run in JS
  // (the WebGPU backend): {desc: ModelDesc in camelCase, weights: every present weight as {type,
  // rows, cols, ptr, bytes} (ptr: a byte offset into the wasm heap), layers: [...], ropeFactors}.
  val describe(int n_ctx) const;
  std::string chat_template() const { return model_->chat_template(); }
  TokenizerHandle* tokenizer() const { return new TokenizerHandle(model_->tokenizer()); }
  const std::shared_ptr<const Model>& model() const { return model_; }

 private:
  std::shared_ptr<const Model> model_;
};

class ContextHandle {
 public:
  static val create(const ModelHandle& model, int n_ctx, int n_batch, int threads);  // -> {value}
  // A context whose forward pass runs in JS (the WebGPU backend; ContextOptions::external).
  static val create_external(const ModelHandle& model, int n_ctx, int n_batch);  // -> {value}
  // What create() would check, from the parts' headers alone (takes their buffers) and the parts'
  // whole sizes: out_of_memory with the sizes before a download; external: an external context's
  // plan (no KV cache or scratch). -> {value: {nCtx, kvBytes, scratchBytes}}
  static val plan(HeapParts& headers, const val& file_sizes, int n_ctx, int n_batch, int threads, bool external);
  explicit ContextHandle(std::shared_ptr<Context> c) : ctx_(std::move(c)) {}

  int n_ctx() const { return ctx_->n_ctx(); }
  int n_past() const { return ctx_->n_past(); }
  int common_prefix(const val& tokens) const;
  void truncate(int n) { ctx_->truncate(n); }
  val history() const;  // Int32Array
  // Each token array's embedding, short ones packed into shared forward batches (runtime/embed.h
  // embed_many; clears the cache). pooling: "mean" | "cls" | "last", or "" for the model's.
  // -> {value: Float32Array (n_embd)[]}
  val embed(const val& token_arrays, const std::string& pooling, bool normalize);
  int n_batch() const { return ctx_->n_batch(); }
  // External contexts: {shifts: [{nKeep, nDiscard, nPast}], pos, tokens: Int32Array, hidden}
  // recorded since the last call (Context::take_pending).
  val take_pending();
  // External contexts: records `tokens` as a hidden-state request (Context::eval_hidden). -> {code}
  val record_hidden(const val& tokens);
  // The pooled vectors of hidden states computed outside (runtime/embed.h pool_hidden): hidden
  // (sum of lens, n_embd) f32. -> {value: Float32Array (n_embd)[]}
  val pool_hidden(const val& hidden, const val& lens, const std::string& pooling, bool normalize) const;
  double memory_bytes() const { return static_cast<double>(ctx_->memory_bytes()); }
  const std::shared_ptr<Context>& context() const { return ctx_; }

 private:
  std::shared_ptr<Context> ctx_;
};

class GeneratorHandle {
 public:
  // options: the generation-options record as JSON (runtime/options.h); omitted fields keep defaults.
  static val start(const ContextHandle& ctx, const val& tokens, const std::string& options_json);  // -> {value}

  val step();                         // -> {value: {token, text, done, finishReason}}
  val set_logits(const val& logits);  // Float32Array (n_vocab) -> {code, message}
  int prompt_tokens() const { return gen_->prompt_tokens(); }
  int prompt_batches() const { return gen_->prompt_batches(); }
  int context_shifts() const { return gen_->context_shifts(); }
  int cached_tokens() const { return gen_->cached_tokens(); }
  int completion_tokens() const { return gen_->completion_tokens(); }
  bool done() const { return gen_->done(); }

  GeneratorHandle(std::shared_ptr<Context> ctx, std::unique_ptr<Generator> gen)
      : ctx_(std::move(ctx)), gen_(std::move(gen)) {}

 private:
  std::shared_ptr<Context> ctx_;  // declared first: destroyed after the generator that refers to it
  // Shared so that the handle is copyable: Emscripten >= 3.1.50's val(T&&) copies its argument.
  std::shared_ptr<Generator> gen_;
};

// tmpl::apply_chat_template with messages and extra context as JSON text -> {value: string}.
val render_chat_template(const std::string& tmpl, const std::string& messages_json, bool add_generation_prompt,
                         const std::string& bos, const std::string& eos, const std::string& extra_json);

// {simd, threads, kernels, heapMax, heapSize, memory64, hardwareThreads}: what this build and
// machine offer.
val runtime_info();
std::string generation_defaults();  // the options record with every default, as JSON

}  // namespace chord::bind
