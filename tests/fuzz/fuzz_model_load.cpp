// libFuzzer target for the whole load path (GGUF parse -> model description -> tokenizer -> weight
// binding) and what follows a successful load (tokenize, context, forward pass, sampling). Inputs
// are byte patches on tiny valid models built in memory (so most inputs get past the parser), or
// raw GGUF bytes. Every failure must be a Status; nothing may read outside the file's bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "tests/cpp/hostile/tiny_model.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const std::vector<std::vector<uint8_t>>& bases() {
  static const std::vector<std::vector<uint8_t>> b = [] {
    using chord::test::TinySpec;
    TinySpec llama;  // SPM, f32, tied
    TinySpec qwen2;
    qwen2.arch = "qwen2";
    qwen2.tok = "gpt2";
    qwen2.wtype = chord::GgmlType::Q8_0;
    qwen2.tied = false;
    TinySpec qwen3;
    qwen3.arch = "qwen3";
    qwen3.tok = "gpt2";
    qwen3.wtype = chord::GgmlType::F16;
    qwen3.n_layer = 2;
    TinySpec gemma3;  // sliding window 2: the fuzz context's KV rings wrap
    gemma3.arch = "gemma3";
    gemma3.n_layer = 2;
    TinySpec phi3;  // fused tensors, LongRoPE factors
    phi3.arch = "phi3";
    phi3.wtype = chord::GgmlType::Q8_0;
    return std::vector<std::vector<uint8_t>>{
        chord::test::make_tiny(llama).bytes(), chord::test::make_tiny(qwen2).bytes(),
        chord::test::make_tiny(qwen3).bytes(), chord::test::make_tiny(gemma3).bytes(),
        chord::test::make_tiny(phi3).bytes()};
  }();
  return b;
}

// Values worth writing over counts, lengths, dims, types and offsets.
constexpr uint64_t kInteresting[] = {0,
                                     1,
                                     2,
                                     3,
                                     31,
                                     32,
                                     33,
                                     255,
                                     256,
                                     4096,
                                     0x7FFFFFFF,
                                     0x80000000,
                                     0xFFFFFFFF,
                                     0x100000000ull,
                                     0x7FFFFFFFFFFFFFFFull,
                                     0x8000000000000000ull,
                                     0xFFFFFFFFFFFFFFFFull,
                                     0xFFFFFFFFFFFFFFF0ull};

void exercise(const std::shared_ptr<const chord::Model>& m) {
  const chord::Tokenizer& tok = *m->tokenizer();
  const int32_t nv = m->desc().n_vocab;
  FUZZ_REQUIRE(nv == tok.vocab_size() && nv > 0);
  for (bool special : {false, true}) {
    const auto ids =
        tok.encode("Once upon a time <s></s><|endoftext|> \xC3\xA9\xF0\x9F\xA6\x99 the  in on", true, special);
    for (chord::Token id : ids) FUZZ_REQUIRE(id >= 0 && id < nv);
    (void)tok.decode(ids, special);
  }
  auto ctx = chord::Context::create(m, {8, 4, 1});
  if (!ctx.ok()) return;
  chord::GenerateOptions go;
  go.max_tokens = 3;
  go.sampling.temperature = 0;
  go.ignore_eos = true;
  std::vector<chord::Token> prompt = {0, nv - 1, nv / 2};
  auto gen = chord::Generator::start(**ctx, prompt, go);
  FUZZ_REQUIRE(gen.ok());
  for (int i = 0; i < 8 && !(*gen)->done(); ++i) {
    auto st = (*gen)->step();
    if (!st.ok()) break;
    FUZZ_REQUIRE(st->token == -1 || (st->token >= 0 && st->token < nv));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)bases();
  return 0;
}

// Byte 0 >= 0x80: the rest is a GGUF file. Otherwise byte 0 picks a base model, byte 1 bit 0 asks
// for truncation at the next u16, and each following 4 bytes are a patch: u16 offset (mod size),
// a mode byte (< 0xC0: store the value byte; else store an interesting u32/u64 there) and a value.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> bytes;
  if (data[0] & 0x80) {
    bytes.assign(data + 1, data + size);
  } else {
    const auto& base = bases()[data[0] % bases().size()];
    bytes = base;
    size_t i = 1;
    if (size >= 4 && (data[1] & 1)) {
      const size_t cut = (data[2] | (size_t(data[3]) << 8)) % bytes.size();
      bytes.resize(cut);
      i = 4;
    } else if (size >= 2) {
      i = 2;
    }
    for (; i + 4 <= size && !bytes.empty(); i += 4) {
      const size_t at = (data[i] | (size_t(data[i + 1]) << 8)) % bytes.size();
      const uint8_t mode = data[i + 2], val = data[i + 3];
      if (mode < 0xC0) {
        bytes[at] = val;
      } else {
        const uint64_t v = kInteresting[val % (sizeof kInteresting / sizeof kInteresting[0])];
        const size_t width = (mode & 1) ? 8 : 4;
        for (size_t k = 0; k < width && at + k < bytes.size(); ++k) bytes[at + k] = static_cast<uint8_t>(v >> (8 * k));
      }
    }
  }
  bytes.shrink_to_fit();  // exactly sized, so ASan sees any read past the end
  chord::ModelBytes mb;
  mb.parts.emplace_back(bytes.data(), bytes.size());
  auto m = chord::Model::load(std::move(mb));
  if (!m.ok()) {
    FUZZ_REQUIRE(!m.status().message().empty());
    return 0;
  }
  exercise(*m);
  return 0;
}
