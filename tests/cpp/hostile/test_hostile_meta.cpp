// Well-formed GGUFs that describe an impossible model: missing or out-of-range hyperparameters,
// heads that do not divide, NaN/inf floats, tensors of the wrong shape, type or count, vocabulary
// mismatches, and hostile tokenizer metadata. Each gives a typed error naming the problem, or
// (where llama.cpp tolerates it) loads and runs without going out of bounds.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "core/gguf/keys.h"
#include "kernels/ops.h"
#include "tests/cpp/hostile/hostile_util.h"

using namespace chord;
using namespace chord::test;

namespace {

struct Case {
  std::string what;
  std::function<void(TinyModel&)> edit;
  Code code;
  std::vector<std::string> needles;
};

void run_cases(const std::vector<Case>& cases, const TinySpec& spec = {}) {
  for (const Case& c : cases) {
    TinyModel m = make_tiny(spec);
    c.edit(m);
    const Status s = load_status(m.bytes());
    INFO(c.what << " -> " << s.to_string());
    CHECK(s.code() == c.code);
    CHECK_FALSE(s.message().empty());
    for (const std::string& n : c.needles) CHECK(s.message().find(n) != std::string::npos);
  }
}

std::string ak(std::string_view suffix) { return keys::arch_key("llama", suffix); }

}  // namespace

TEST_CASE("hostile metadata: hyperparameters missing, out of range or inconsistent") {
  const std::string emb = ak(keys::kEmbeddingLength), blocks = ak(keys::kBlockCount), heads = ak(keys::kHeadCount),
                    kv = ak(keys::kHeadCountKv), ff = ak(keys::kFeedForwardLength);
  std::vector<Case> cases = {
      {"no architecture",
       [](TinyModel& m) { m.erase(std::string(keys::kArchitecture)); },
       Code::bad_gguf,
       {"general.architecture"}},
      {"architecture as u32",
       [](TinyModel& m) { m.set(std::string(keys::kArchitecture), v_u32(7)); },
       Code::bad_gguf,
       {"general.architecture"}},
      {"unknown architecture",
       [](TinyModel& m) { m.set(std::string(keys::kArchitecture), v_str("gptj")); },
       Code::unsupported,
       {"gptj"}},
      {"zero layers", [&](TinyModel& m) { m.set(blocks, v_u32(0)); }, Code::bad_gguf, {blocks}},
      {"2^31 layers", [&](TinyModel& m) { m.set(blocks, v_u32(0x80000000u)); }, Code::bad_gguf, {blocks}},
      {"more layers than tensors",
       [&](TinyModel& m) { m.set(blocks, v_u32(3)); },
       Code::bad_gguf,
       {"missing tensor blk.1."}},
      {"negative heads", [&](TinyModel& m) { m.set(heads, v_i32(-4)); }, Code::bad_gguf, {heads}},
      {"zero kv heads", [&](TinyModel& m) { m.set(kv, v_u32(0)); }, Code::bad_gguf, {kv}},
      {"kv heads do not divide heads", [&](TinyModel& m) { m.set(kv, v_u32(3)); }, Code::bad_gguf, {"head_count_kv 3"}},
      {"more kv heads than heads", [&](TinyModel& m) { m.set(kv, v_u32(8)); }, Code::bad_gguf, {"head_count_kv 8"}},
      {"heads do not divide embedding",
       [&](TinyModel& m) {
         m.set(heads, v_u32(5));
         m.set(kv, v_u32(5));
       },
       Code::bad_gguf,
       {"embedding_length 32", "head_count 5"}},
      {"odd head dimension",
       [&](TinyModel& m) {
         m.set(heads, v_u32(32));
         m.set(kv, v_u32(32));
       },
       Code::bad_gguf,
       {"even"}},
      {"huge embedding", [&](TinyModel& m) { m.set(emb, v_u64(1ull << 40)); }, Code::bad_gguf, {emb}},
      {"missing feed-forward length", [&](TinyModel& m) { m.erase(ff); }, Code::bad_gguf, {ff}},
      {"embedding as string", [&](TinyModel& m) { m.set(emb, v_str("32")); }, Code::bad_gguf, {emb}},
      {"heads x key_length overflow int32",
       [&](TinyModel& m) {
         m.set(heads, v_u32(1 << 16));
         m.set(kv, v_u32(1 << 16));
         m.set(ak(keys::kKeyLength), v_u32(1 << 16));
       },
       Code::bad_gguf,
       {"too large"}},
      {"value_length differs",
       [&](TinyModel& m) { m.set(ak(keys::kValueLength), v_u32(4)); },
       Code::unsupported,
       {"value_length"}},
      {"odd rope dims",
       [&](TinyModel& m) { m.set(ak(keys::kRopeDimCount), v_u32(7)); },
       Code::bad_gguf,
       {"rope.dimension_count"}},
      {"rope dims past head",
       [&](TinyModel& m) { m.set(ak(keys::kRopeDimCount), v_u32(10)); },
       Code::bad_gguf,
       {"rope.dimension_count"}},
      {"zero context",
       [&](TinyModel& m) { m.set(ak(keys::kContextLength), v_u32(0)); },
       Code::bad_gguf,
       {"context_length"}},
      {"huge context",
       [&](TinyModel& m) { m.set(ak(keys::kContextLength), v_u64(1ull << 40)); },
       Code::bad_gguf,
       {"context_length"}},
      {"rope scaling yarn",
       [&](TinyModel& m) { m.set(ak(keys::kRopeScalingType), v_str("yarn")); },
       Code::unsupported,
       {"yarn"}},
      {"vocab_size mismatch",
       [&](TinyModel& m) { m.set(ak(keys::kVocabSize), v_u32(1000)); },
       Code::bad_gguf,
       {"vocab_size 1000"}},
  };
  const float bad_floats[] = {NAN, INFINITY, -INFINITY, 0.0f, -1e-5f};
  for (float f : bad_floats) {
    const std::string v = std::to_string(f);
    cases.push_back(
        {"rms eps " + v, [f](TinyModel& m) { m.set(ak(keys::kRmsEps), v_f32(f)); }, Code::bad_gguf, {"rms epsilon"}});
    cases.push_back({"rope base " + v,
                     [f](TinyModel& m) { m.set(ak(keys::kRopeFreqBase), v_f32(f)); },
                     Code::bad_gguf,
                     {"rope base"}});
  }
  cases.push_back({"rms eps f64 1e300",
                   [](TinyModel& m) { m.set(ak(keys::kRmsEps), v_f64(1e300)); },
                   Code::bad_gguf,
                   {"rms epsilon"}});
  for (double f : {double(NAN), double(INFINITY), -2.0}) {
    cases.push_back({"rope scale factor " + std::to_string(f),
                     [f](TinyModel& m) {
                       m.set(ak(keys::kRopeScalingType), v_str("linear"));
                       m.set(ak(keys::kRopeScalingFactor), v_f64(f));
                     },
                     Code::bad_gguf,
                     {"rope scaling factor"}});
  }
  run_cases(cases);

  // Tolerated like llama.cpp: a zero scaling factor means none; the given values are used.
  TinyModel m = make_tiny();
  m.set(ak(keys::kRopeScalingType), v_str("linear"));
  m.set(ak(keys::kRopeScalingFactor), v_f32(0.0f));
  auto ok = load_bytes(m.bytes());
  REQUIRE(ok.ok());
  CHECK((*ok)->desc().rope_freq_scale == 1.0f);
}

TEST_CASE("hostile tensors: every required tensor missing, wrong shapes and types") {
  // Each tensor of the base model removed in turn.
  const TinyModel base = make_tiny();
  for (const TinyTensor& t : base.tensors) {
    TinyModel m = base;
    REQUIRE(m.remove_tensor(t.name));
    const Status s = load_status(m.bytes());
    INFO("without " << t.name << ": " << s.to_string());
    expect_error(s, Code::bad_gguf, {"missing tensor " + t.name});
  }
  // Architecture-required tensors: qwen2 biases, qwen3 q/k norms.
  for (const auto& [arch, name] :
       {std::pair<std::string, std::string>{"qwen2", "blk.0.attn_k.bias"}, {"qwen3", "blk.0.attn_q_norm.weight"}}) {
    TinySpec s;
    s.arch = arch;
    s.tok = "gpt2";
    TinyModel m = make_tiny(s);
    REQUIRE(m.remove_tensor(name));
    expect_error(load_status(m.bytes()), Code::bad_gguf, {"missing tensor " + name});
  }

  const int64_t E = 32, Q = 32, KV = 16, F = 32;
  const int64_t V = vocab_count(const_cast<TinyModel&>(base));
  std::vector<Case> cases = {
      {"attn_q with wrong rows",
       [&](TinyModel& m) {
         m.put_tensor("blk.0.attn_q.weight", GgmlType::F32, {E, Q + 8});
       },
       Code::bad_gguf,
       {"blk.0.attn_q.weight", "[32, 40]", "expected [32, 32]"}},
      {"attn_k with wrong cols",
       [&](TinyModel& m) {
         m.put_tensor("blk.0.attn_k.weight", GgmlType::F32, {E + 2, KV});
       },
       Code::bad_gguf,
       {"blk.0.attn_k.weight"}},
      {"attn_v as 3-D",
       [&](TinyModel& m) {
         m.put_tensor("blk.0.attn_v.weight", GgmlType::F32, {E, KV, 2});
       },
       Code::bad_gguf,
       {"blk.0.attn_v.weight"}},
      {"ffn_down transposed",
       [&](TinyModel& m) {
         m.put_tensor("blk.0.ffn_down.weight", GgmlType::F32, {E, F + 32});
       },
       Code::bad_gguf,
       {"blk.0.ffn_down.weight"}},
      {"norm with wrong length",
       [&](TinyModel& m) { m.put_tensor("blk.0.attn_norm.weight", GgmlType::F32, {E - 1}); },
       Code::bad_gguf,
       {"blk.0.attn_norm.weight"}},
      {"token_embd rows != tokenizer vocab",
       [&](TinyModel& m) {
         m.put_tensor("token_embd.weight", GgmlType::F32, {E, V - 1});
       },
       Code::bad_gguf,
       {"token_embd.weight", std::to_string(V)}},
      {"output rows != vocab",
       [&](TinyModel& m) {
         m.put_tensor("output.weight", GgmlType::F32, {E, V + 1});
       },
       Code::bad_gguf,
       {"output.weight"}},
      {"rope_freqs of wrong length",
       [&](TinyModel& m) { m.put_tensor("rope_freqs.weight", GgmlType::F32, {3}); },
       Code::bad_gguf,
       {"rope_freqs.weight"}},
      {"norm in f16",
       [&](TinyModel& m) { m.put_tensor("output_norm.weight", GgmlType::F16, {E}); },
       Code::unsupported,
       {"output_norm.weight", "f32"}},
      {"bias in q8_0",
       [&](TinyModel& m) { m.put_tensor("blk.0.attn_q.bias", GgmlType::Q8_0, {Q}); },
       Code::unsupported,
       {"blk.0.attn_q.bias"}},
  };
  // A matmul weight in a type the kernels cannot compute with (zero bytes of the right size).
  for (uint32_t raw = 0; raw < 64; ++raw) {
    const TypeInfo* ti = type_info(raw);
    if (!ti || kernels::ops(static_cast<GgmlType>(raw)) || E % ti->block_size != 0) continue;
    cases.push_back({std::string("attn_q as ") + ti->name,
                     [raw, E, Q](TinyModel& m) {
                       TinyTensor* t = m.tensor("blk.0.attn_q.weight");
                       t->type = static_cast<GgmlType>(raw);
                       t->data.assign(row_size(t->type, E) * static_cast<uint64_t>(Q), 0);
                     },
                     Code::unsupported,
                     {"blk.0.attn_q.weight", ti->name}});
  }
  run_cases(cases);
}

TEST_CASE("hostile tokenizer metadata: typed errors or safe defaults") {
  const std::string toks(keys::kTokTokens), types(keys::kTokTypes), scores(keys::kTokScores);
  std::vector<Case> refused = {
      {"no tokenizer model",
       [](TinyModel& m) { m.erase(std::string(keys::kTokModel)); },
       Code::not_found,
       {"tokenizer.ggml.model"}},
      {"unknown tokenizer model",
       [](TinyModel& m) { m.set(std::string(keys::kTokModel), v_str("rwkv")); },
       Code::unsupported,
       {"rwkv"}},
      {"no tokens", [&](TinyModel& m) { m.erase(toks); }, Code::bad_gguf, {toks}},
      {"empty tokens", [&](TinyModel& m) { m.set(toks, v_strs({})); }, Code::bad_gguf, {"empty"}},
      {"tokens as numbers",
       [&](TinyModel& m) {
         m.set(toks, v_nums(gguf::ValueType::i32, std::vector<int>{1, 2}));
       },
       Code::bad_gguf,
       {toks}},
      {"scores too short",
       [&](TinyModel& m) { m.set(scores, v_nums(gguf::ValueType::f32, std::vector<float>{0.0f})); },
       Code::bad_gguf,
       {"scores"}},
      {"types too long",
       [&](TinyModel& m) { m.set(types, v_nums(gguf::ValueType::i32, std::vector<int>(5000, 1))); },
       Code::bad_gguf,
       {"types"}},
      {"scores as strings", [&](TinyModel& m) { m.set(scores, v_strs({"a"})); }, Code::bad_gguf, {"scores"}},
  };
  run_cases(refused);

  // Tolerated (llama.cpp warns and goes on): bad special ids fall back, odd types and scores are
  // clamped. The model must then load and run within bounds.
  const std::vector<std::function<void(TinyModel&)>> tolerated = {
      [](TinyModel& m) { m.set(std::string(keys::kTokBos), v_u32(1u << 30)); },
      [](TinyModel& m) { m.set(std::string(keys::kTokEos), v_i32(-7)); },
      [](TinyModel& m) { m.set(std::string(keys::kTokUnk), v_u64(~0ull)); },
      [](TinyModel& m) { m.set(std::string(keys::kTokEot), v_u32(100000)); },
      [](TinyModel& m) { m.set(std::string(keys::kTokBos), v_str("<s>")); },
      [&](TinyModel& m) {
        std::vector<int> t(static_cast<size_t>(vocab_count(m)), 99);
        t[5] = -3;
        t[6] = 1 << 30;
        m.set(types, v_nums(gguf::ValueType::i32, t));
      },
      [&](TinyModel& m) {
        std::vector<double> s(static_cast<size_t>(vocab_count(m)), NAN);
        s[265] = INFINITY;
        s[266] = -1e300;
        m.set(scores, v_nums(gguf::ValueType::f64, s));
      },
      [&](TinyModel& m) {  // duplicate and empty token texts
        gguf::Value* v = m.get(toks);
        v->strings[260] = v->strings[259];
        v->strings[261] = "";
      },
      [&](TinyModel& m) {  // no byte tokens: unknown characters need <unk>
        gguf::Value* v = m.get(toks);
        for (int b = 3; b < 259; ++b) v->strings[static_cast<size_t>(b)] = "w" + std::to_string(b);
        std::vector<int> t(v->strings.size(), 1);
        t[0] = 2;
        t[1] = t[2] = 3;
        m.set(types, v_nums(gguf::ValueType::i32, t));
      },
      [&](TinyModel& m) {  // ... and no <unk> either
        gguf::Value* v = m.get(toks);
        for (int b = 0; b < 259; ++b) v->strings[static_cast<size_t>(b)] = "w" + std::to_string(b);
        m.set(types, v_nums(gguf::ValueType::i32, std::vector<int>(v->strings.size(), 1)));
        m.erase(std::string(keys::kTokUnk));
      },
      [&](TinyModel& m) { m.get(toks)->strings[265] = std::string(70000, 'x'); },
      [&](TinyModel& m) { m.set(std::string(keys::kTokAddBos), v_u32(5)); },
  };
  for (size_t i = 0; i < tolerated.size(); ++i) {
    TinyModel m = make_tiny();
    tolerated[i](m);
    auto r = load_bytes(m.bytes());
    INFO("tolerated case " << i << ": " << r.status().to_string());
    REQUIRE(r.ok());
    smoke_generate(*r, "Once upon a time \xC3\xA9\xF0\x9F\xA6\x99 <s> x");
  }

  // BPE merges that name unknown symbols or lack the separating space.
  TinySpec bpe;
  bpe.arch = "qwen2";
  bpe.tok = "gpt2";
  for (const std::vector<std::string>& merges :
       {std::vector<std::string>{"abc"}, {"zz qq"}, {" "}, {""}, {"\xC4\xA0 t", "\xC4\xA0 t"}, {}}) {
    TinyModel m = make_tiny(bpe);
    m.set(std::string(keys::kTokMerges), v_strs(merges));
    auto r = load_bytes(m.bytes());
    INFO("merges[0] '" << (merges.empty() ? std::string("(none)") : merges[0]) << "': " << r.status().to_string());
    if (r.ok())
      smoke_generate(*r, "the thin one");
    else
      CHECK(r.status().code() == Code::bad_gguf);
  }
  {
    TinyModel m = make_tiny(bpe);
    m.set(std::string(keys::kTokPre), v_str("no-such-pre-tokenizer"));
    auto r = load_bytes(m.bytes());
    INFO(r.status().to_string());
    if (r.ok())
      smoke_generate(*r);
    else
      CHECK(r.status().code() == Code::unsupported);
  }
}
