// The Embind registry: names the JS side sees. Methods are camelCase; every fallible call
// returns {code, message[, value]} which the TypeScript layer turns into typed errors.
#include <emscripten/bind.h>

#include "bindings/handles.h"

using namespace emscripten;
using namespace chord::bind;

EMSCRIPTEN_BINDINGS(chord) {
  class_<HeapParts>("HeapParts")
      .constructor<>()
      .function("add", &HeapParts::add)
      .function("view", &HeapParts::view)
      .function("count", &HeapParts::count)
      .function("totalBytes", &HeapParts::total_bytes)
      .function("clear", &HeapParts::clear);

  class_<TokenizerHandle>("Tokenizer")
      .function("encode", &TokenizerHandle::encode)
      .function("decode", &TokenizerHandle::decode)
      .function("tokenPiece", &TokenizerHandle::token_piece)
      .function("tokenText", &TokenizerHandle::token_text)
      .function("find", &TokenizerHandle::find)
      .function("vocabSize", &TokenizerHandle::vocab_size)
      .function("bos", &TokenizerHandle::bos)
      .function("eos", &TokenizerHandle::eos)
      .function("addBos", &TokenizerHandle::add_bos)
      .function("addEos", &TokenizerHandle::add_eos)
      .function("isEog", &TokenizerHandle::is_eog)
      .function("isControl", &TokenizerHandle::is_control)
      .function("model", &TokenizerHandle::model)
      .function("pre", &TokenizerHandle::pre);

  class_<ModelHandle>("Model")
      .class_function("load", &ModelHandle::load)
      .function("info", &ModelHandle::info)
      .function("metadata", &ModelHandle::metadata)
      .function("metadataValue", &ModelHandle::metadata_value)
      .function("describe", &ModelHandle::describe)
      .function("chatTemplate", &ModelHandle::chat_template)
      .function("tokenizer", &ModelHandle::tokenizer, allow_raw_pointers());

  class_<ContextHandle>("Context")
      .class_function("create", &ContextHandle::create)
      .class_function("createExternal", &ContextHandle::create_external)
      .function("takePending", &ContextHandle::take_pending)
      .function("recordHidden", &ContextHandle::record_hidden)
      .function("poolHidden", &ContextHandle::pool_hidden)
      .class_function("plan", &ContextHandle::plan)
      .function("nCtx", &ContextHandle::n_ctx)
      .function("nBatch", &ContextHandle::n_batch)
      .function("nPast", &ContextHandle::n_past)
      .function("commonPrefix", &ContextHandle::common_prefix)
      .function("truncate", &ContextHandle::truncate)
      .function("history", &ContextHandle::history)
      .function("embed", &ContextHandle::embed)
      .function("memoryBytes", &ContextHandle::memory_bytes);

  class_<GeneratorHandle>("Generator")
      .class_function("start", &GeneratorHandle::start)
      .function("step", &GeneratorHandle::step)
      .function("setLogits", &GeneratorHandle::set_logits)
      .function("promptTokens", &GeneratorHandle::prompt_tokens)
      .function("promptBatches", &GeneratorHandle::prompt_batches)
      .function("contextShifts", &GeneratorHandle::context_shifts)
      .function("cachedTokens", &GeneratorHandle::cached_tokens)
      .function("completionTokens", &GeneratorHandle::completion_tokens)
      .function("done", &GeneratorHandle::done);

  function("renderChatTemplate", &render_chat_template);
  function("runtimeInfo", &runtime_info);
  function("generationDefaults", &generation_defaults);
}
