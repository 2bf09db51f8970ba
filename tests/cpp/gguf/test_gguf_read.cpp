// GGUF reader on the real fixtures: stories260K (v3, F32), llama-2-tiny-random (F16, 32k vocab),
// the Q8_0 v2 file, every vocab GGUF, and the legacy files that must be refused cleanly.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/gguf/keys.h"
#include "tests/cpp/gguf/gguf_test_helpers.h"

using namespace chord;
using namespace chord::gguf;
using chord::test::fixture;

namespace {

// Every tensor lies inside the file, aligned, and the data section is packed in offset order.
void check_layout(const File& f, const std::vector<uint8_t>& bytes) {
  for (const TensorInfo& t : f.tensors()) {
    INFO(t.name);
    REQUIRE(t.data != nullptr);
    CHECK(t.data >= bytes.data());
    CHECK(t.data + t.nbytes <= bytes.data() + bytes.size());
    CHECK(t.offset % f.alignment() == 0);
    CHECK(t.nbytes == row_size(t.type, t.ne[0]) * static_cast<uint64_t>(t.nrows()));
    for (uint32_t d = t.n_dims; d < 4; ++d) CHECK(t.ne[d] == 1);
  }
}

float half_to_float(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  float v = e == 0 ? std::ldexp(static_cast<float>(m), -24) : std::ldexp(static_cast<float>(m | 0x400), e - 25);
  return (h & 0x8000) ? -v : v;
}

}  // namespace

TEST_CASE("stories260K.gguf: header, metadata, tensor shapes") {
  const auto& bytes = fixture("gguf/stories260K.gguf");
  auto r = File::parse(bytes);
  REQUIRE(r.ok());
  const File& f = *r;
  CHECK(f.version() == 3);
  CHECK(f.alignment() == 32);
  CHECK(f.tensors().size() == 48);
  CHECK(f.get_string(keys::kArchitecture) == "llama");
  CHECK(f.get_int(keys::arch_key("llama", keys::kEmbeddingLength)) == 64);
  CHECK(f.get_int(keys::arch_key("llama", keys::kBlockCount)) == 5);
  CHECK(f.get_int(keys::arch_key("llama", keys::kHeadCount)) == 8);
  CHECK(f.get_int(keys::arch_key("llama", keys::kHeadCountKv)) == 4);
  CHECK(f.get_int(keys::arch_key("llama", keys::kFeedForwardLength)) == 172);
  CHECK(f.get_int(keys::arch_key("llama", keys::kContextLength)) == 2048);
  auto eps = f.get_float(keys::arch_key("llama", keys::kRmsEps));
  REQUIRE(eps);
  CHECK(*eps == Approx(1e-5));
  CHECK(f.get_string(keys::kTokModel) == "llama");
  const Value* toks = f.find(keys::kTokTokens);
  REQUIRE(toks);
  CHECK(toks->type == ValueType::array);
  CHECK(toks->elem_type == ValueType::string);
  CHECK(toks->array_size() == 512);
  CHECK(toks->strings[0] == "<unk>");
  CHECK(toks->strings[1] == "<s>");
  CHECK(toks->strings[2] == "</s>");
  CHECK(f.find(keys::kTokScores)->array_size() == 512);
  CHECK(f.find(keys::kTokTypes)->array_size() == 512);
  CHECK(f.get_int(keys::kTokBos) == 1);
  CHECK(f.get_int(keys::kTokEos) == 2);
  // Accessors refuse the wrong kind of value.
  CHECK_FALSE(f.get_int(keys::kArchitecture));
  CHECK_FALSE(f.get_string(keys::kTokBos));
  CHECK_FALSE(f.get_bool(keys::kTokBos));
  CHECK(f.find("no.such.key") == nullptr);
  CHECK(toks->as_int() == std::nullopt);

  const TensorInfo* emb = f.tensor("token_embd.weight");
  REQUIRE(emb);
  CHECK(emb->type == GgmlType::F32);
  CHECK(emb->n_dims == 2);
  CHECK(emb->ne == std::array<int64_t, 4>{64, 512, 1, 1});
  CHECK(emb->nbytes == 64 * 512 * 4);
  const TensorInfo* ffn_down = f.tensor("blk.0.ffn_down.weight");
  REQUIRE(ffn_down);
  CHECK(ffn_down->ne == std::array<int64_t, 4>{172, 64, 1, 1});
  const TensorInfo* norm = f.tensor("blk.4.attn_norm.weight");
  REQUIRE(norm);
  CHECK(norm->n_dims == 1);
  CHECK(norm->ne[0] == 64);
  const TensorInfo* wk = f.tensor("blk.2.attn_k.weight");
  REQUIRE(wk);
  CHECK(wk->ne == std::array<int64_t, 4>{64, 32, 1, 1});  // 4 KV heads x head_dim 8
  CHECK(f.tensor("nope") == nullptr);
  check_layout(f, bytes);

  // The data section is packed: the last tensor (padded) ends at the end of the file.
  const uint8_t* end = nullptr;
  for (const TensorInfo& t : f.tensors()) {
    if (!end || t.data + t.nbytes > end) end = t.data + t.nbytes;
  }
  CHECK(static_cast<size_t>(end - bytes.data() + 31) / 32 * 32 == bytes.size());
}

TEST_CASE("llama-2-tiny-random.gguf: F16 tensors and a 32k vocabulary") {
  const auto& bytes = fixture("gguf/llama-2-tiny-random.gguf");
  auto r = File::parse(bytes);
  REQUIRE(r.ok());
  const File& f = *r;
  CHECK(f.version() == 3);
  CHECK(f.tensors().size() == 12);
  int n_f16 = 0, n_f32 = 0;
  for (const TensorInfo& t : f.tensors()) {
    n_f16 += t.type == GgmlType::F16;
    n_f32 += t.type == GgmlType::F32;
  }
  CHECK(n_f16 == 9);
  CHECK(n_f32 == 3);
  CHECK(f.get_int(keys::arch_key("llama", keys::kEmbeddingLength)) == 8);
  CHECK(f.get_int(keys::arch_key("llama", keys::kBlockCount)) == 1);
  CHECK(f.get_int(keys::arch_key("llama", keys::kContextLength)) == 4096);
  CHECK(f.find(keys::kTokTokens)->array_size() == 32000);
  CHECK(f.find(keys::kTokScores)->array_size() == 32000);
  CHECK(f.find(keys::kTokTypes)->array_size() == 32000);
  const TensorInfo* emb = f.tensor("token_embd.weight");
  REQUIRE(emb);
  CHECK(emb->ne == std::array<int64_t, 4>{8, 32000, 1, 1});
  check_layout(f, bytes);
}

TEST_CASE("tinyllamas Q8_0 (GGUF v2): refused for its flat-quantised ffn_down, parses once fixed") {
  const auto& bytes = fixture("gguf/tinyllamas-stories-260k-q8_0.gguf");
  auto r = File::parse(bytes);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::bad_gguf);
  const std::string& msg = r.status().message();
  INFO(msg);
  CHECK(msg.find("ffn_down.weight") != std::string::npos);
  CHECK(msg.find("172") != std::string::npos);
  CHECK(msg.find("32") != std::string::npos);

  // Retype the five [172, 64] Q8_0 tensors as flat I8 [11696, 1] (their 344 blocks of 34 bytes, so
  // the data layout stays contiguous): the rest of the v2 file must then read fine, which exercises
  // the v2 path on real data.
  std::vector<uint8_t> fixed = bytes;
  for (int l = 0; l < 5; ++l) {
    const std::string name = "blk." + std::to_string(l) + ".ffn_down.weight";
    const size_t at = test::after_gguf_string(fixed, name);
    REQUIRE(at != std::string::npos);
    REQUIRE(test::peek<uint32_t>(fixed, at) == 2);        // n_dims
    REQUIRE(test::peek<uint64_t>(fixed, at + 4) == 172);  // ne[0]
    REQUIRE(test::peek<uint32_t>(fixed, at + 20) == 8);   // Q8_0
    test::poke<uint32_t>(fixed, at + 20, static_cast<uint32_t>(GgmlType::I8));
    test::poke<uint64_t>(fixed, at + 4, 172 * 64 / 32 * 34);
    test::poke<uint64_t>(fixed, at + 12, 1);
  }
  auto r2 = File::parse(fixed);
  REQUIRE(r2.ok());
  const File& f = *r2;
  CHECK(f.version() == 2);
  CHECK(f.tensors().size() == 48);
  int n_q8 = 0, n_f32 = 0;
  for (const TensorInfo& t : f.tensors()) {
    n_q8 += t.type == GgmlType::Q8_0;
    n_f32 += t.type == GgmlType::F32;
  }
  CHECK(n_q8 == 32);
  CHECK(n_f32 == 11);
  CHECK(f.get_int(keys::kFileType) == 7);
  CHECK(f.get_int(keys::arch_key("llama", keys::kContextLength)) == 512);
  CHECK(f.find(keys::kTokTokens)->array_size() == 512);
  check_layout(f, fixed);

  // The Q8_0 token embedding is a view of the same weights as the F32 file: dequantize and compare.
  auto ref = File::parse(fixture("gguf/stories260K.gguf"));
  REQUIRE(ref.ok());
  const TensorInfo* q = f.tensor("token_embd.weight");
  const TensorInfo* x = ref->tensor("token_embd.weight");
  REQUIRE(q);
  REQUIRE(x);
  REQUIRE(q->type == GgmlType::Q8_0);
  REQUIRE(q->ne == x->ne);
  double max_err = 0;
  for (int64_t b = 0; b < q->nelements() / 32; ++b) {
    const uint8_t* blk = q->data + b * 34;
    const float d = half_to_float(static_cast<uint16_t>(blk[0] | blk[1] << 8));
    for (int k = 0; k < 32; ++k) {
      float ref_v;
      std::memcpy(&ref_v, x->data + (b * 32 + k) * 4, 4);
      const double got = d * static_cast<int8_t>(blk[2 + k]);
      max_err = std::max(max_err, std::fabs(got - ref_v));
    }
  }
  CHECK(max_err < 0.0062);
}

TEST_CASE("every vocab GGUF parses with the listed vocabulary size") {
  struct Row {
    const char* file;
    const char* arch;
    const char* model;
    size_t n_vocab;
  };
  // From MODELS.md (arch, tokenizer model, n_vocab columns).
  const Row rows[] = {
      {"baichuan", "baichuan", "llama", 64000},
      {"bert-bge", "bert", "bert", 30522},
      {"deepseek-coder", "llama", "gpt2", 32256},
      {"deepseek-llm", "llama", "gpt2", 102400},
      {"falcon", "falcon", "gpt2", 65024},
      {"gpt-2", "gpt2", "gpt2", 50257},
      {"gpt-neox", "gptneox", "gpt2", 50432},
      {"llama-spm", "llama", "llama", 32000},
      {"mpt", "mpt", "gpt2", 50432},
      {"phi-3", "phi3", "llama", 32064},
      {"refact", "refact", "gpt2", 49216},
      {"starcoder", "starcoder2", "gpt2", 49152},
  };
  for (const Row& row : rows) {
    const std::string rel = std::string("vocab/ggml-vocab-") + row.file + ".gguf";
    INFO(rel);
    const auto& bytes = fixture(rel);
    auto r = File::parse(bytes);
    REQUIRE(r.ok());
    CHECK(r->get_string(keys::kArchitecture) == row.arch);
    CHECK(r->get_string(keys::kTokModel) == row.model);
    const Value* toks = r->find(keys::kTokTokens);
    REQUIRE(toks);
    CHECK(toks->elem_type == ValueType::string);
    CHECK(toks->array_size() == row.n_vocab);
    if (const Value* types = r->find(keys::kTokTypes)) CHECK(types->array_size() == row.n_vocab);
    if (const Value* scores = r->find(keys::kTokScores)) CHECK(scores->array_size() == row.n_vocab);
    check_layout(*r, bytes);
  }
}

TEST_CASE("legacy files are refused as unsupported with a clear message") {
  auto v1 = File::parse(fixture("legacy/tinyllamas-stories-260k-f32.gguf"));
  REQUIRE_FALSE(v1.ok());
  CHECK(v1.status().code() == Code::unsupported);
  CHECK(v1.status().message().find("GGUF v1 is not supported") != std::string::npos);

  auto ggjt = File::parse(fixture("legacy/TinyLLama-v0.ggmlv3.q4_0.bin"));
  REQUIRE_FALSE(ggjt.ok());
  CHECK(ggjt.status().code() == Code::unsupported);
  CHECK(ggjt.status().message().find("legacy GGML/GGJT file, convert it to GGUF") != std::string::npos);
}

TEST_CASE("read_file reports missing files with the path") {
  auto r = read_file("/nonexistent-dir/missing.gguf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::io_error);
  CHECK(r.status().message().find("/nonexistent-dir/missing.gguf") != std::string::npos);
  CHECK(r.status().message().find("No such file") != std::string::npos);
}
