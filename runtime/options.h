// Generation options: the one record every caller fills and the only table of defaults (the
// initializers here and in SamplerParams). JS sends it as JSON with llama.cpp-server field names;
// chord-cli sets fields by the same names. A new option: a field, one line in visit_options(),
// one entry in js/src/options.ts.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "runtime/sampler.h"

namespace chord {

// JSON text carried as a field: read from a JSON string (the text) or any JSON value (re-serialized).
struct JsonText {
  std::string text;  // "" = not given
};

struct GenerateOptions {
  int32_t max_tokens = 256;  // 0 generates nothing (finish "length"); negative is invalid
  SamplerParams sampling;
  std::vector<std::string> stop;  // stop strings; matched text is not returned
  bool ignore_eos = false;        // keep going past end-of-generation tokens
  bool logprobs = false;          // report each sampled token's log-probability (see Step)
  int32_t top_logprobs = 0;       // and this many most likely tokens at each step (0..100)
  std::string grammar;            // GBNF (llama.cpp syntax) the output must match; "" = none
  JsonText json_schema;           // JSON Schema the output must match (converted to GBNF); exclusive with grammar
  // When the context fills up: stop with "length" (default), or shift it as llama.cpp's server does
  // (when one free position is left): keep the first n_keep tokens (-1: the prompt's) plus BOS, drop
  // the next n_discard (0 = half of the rest) and go on. Not for models with sliding-window layers.
  bool context_shift = false;
  int32_t n_keep = 0;
  int32_t n_discard = 0;
};

// Calls v(name, field) for every field of the record, by its wire name. `O` may be const.
template <class O, class V>
void visit_options(O& o, V&& v) {
  v("max_tokens", o.max_tokens);
  v("temperature", o.sampling.temperature);
  v("top_k", o.sampling.top_k);
  v("top_p", o.sampling.top_p);
  v("min_p", o.sampling.min_p);
  v("repeat_penalty", o.sampling.repeat_penalty);
  v("repeat_last_n", o.sampling.penalty_last_n);
  v("frequency_penalty", o.sampling.frequency_penalty);
  v("presence_penalty", o.sampling.presence_penalty);
  v("seed", o.sampling.seed);
  v("logit_bias", o.sampling.logit_bias);
  v("stop", o.stop);
  v("ignore_eos", o.ignore_eos);
  v("logprobs", o.logprobs);
  v("top_logprobs", o.top_logprobs);
  v("grammar", o.grammar);
  v("json_schema", o.json_schema);
  v("context_shift", o.context_shift);
  v("n_keep", o.n_keep);
  v("n_discard", o.n_discard);
}

// Applies a JSON object's fields over `base`; omitted fields keep base's values. Unknown keys and
// values of the wrong type are invalid_argument naming the field (ranges: validate()).
Result<GenerateOptions> parse_options_json(std::string_view json, GenerateOptions base = {});
// The record as a JSON object (every field; the seed as a decimal string).
std::string options_to_json(const GenerateOptions& o);
// Sets one field from command-line text: numbers, "true"/"false", a stop string (appended), a
// logit bias "ID:BIAS" (appended). invalid_argument for unknown names or unparsable text.
Status set_option(GenerateOptions& o, std::string_view name, std::string_view text);
// Range checks of every field (NaN, negative counts, top_p outside [0, 1], ...).
Status validate(const GenerateOptions& o);

}  // namespace chord
