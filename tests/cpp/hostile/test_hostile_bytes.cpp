// Hostile GGUF bytes through the whole load path (Model::load: parse, describe, tokenizer, weights):
// truncation at many offsets, overflowing counts/lengths/dims/offsets, unknown types, misaligned
// or out-of-file data, duplicate names, legacy files, and seeded random mutations. Every one must
// give a typed error (or, for a mutation that leaves a valid model, load and run) — never a crash.
#include <catch2/catch.hpp>
#include <random>

#include "core/gguf/keys.h"
#include "tests/cpp/hostile/hostile_util.h"
#include "tests/cpp/test_util.h"

using namespace chord;
using namespace chord::test;

namespace {

constexpr uint64_t kHuge[] = {0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull, 1ull << 62, 1ull << 40, 1ull << 32,
                              0xFFFFFFFFull};

const std::vector<uint8_t>& tiny_bytes() {
  static const std::vector<uint8_t> b = make_tiny().bytes();
  return b;
}

// Offset of the data section and end of the last tensor's data in a well-formed file.
struct Layout {
  size_t data_start = 0, data_end = 0;
};
Layout layout(const std::vector<uint8_t>& b) {
  auto f = gguf::File::parse(b);
  REQUIRE(f.ok());
  Layout l;
  l.data_start = SIZE_MAX;
  for (const auto& t : f->tensors()) {
    const size_t start = static_cast<size_t>(t.data - b.data()) - static_cast<size_t>(t.offset);
    l.data_start = std::min(l.data_start, start);
    l.data_end = std::max(l.data_end, static_cast<size_t>(t.data - b.data() + t.nbytes));
  }
  return l;
}

}  // namespace

TEST_CASE("hostile: the tiny models load and generate (the base of every hostile case)") {
  for (const char* arch : {"llama", "qwen2", "qwen3"}) {
    TinySpec s;
    s.arch = arch;
    s.tok = std::string(arch) == "llama" ? "llama" : "gpt2";
    s.wtype = std::string(arch) == "qwen2" ? GgmlType::Q8_0 : GgmlType::F32;
    auto m = load_bytes(make_tiny(s).bytes());
    INFO(arch << ": " << m.status().to_string());
    REQUIRE(m.ok());
    CHECK((*m)->desc().arch == arch);
    smoke_generate(*m);
  }
}

TEST_CASE("hostile: truncation at every header byte and at samples through the data") {
  const auto& b = tiny_bytes();
  const Layout l = layout(b);
  REQUIRE(l.data_end <= b.size());
  int n = 0;
  for (size_t cut = 0; cut < l.data_end; cut += (cut < l.data_start + 64 ? 1 : 97)) {
    const Status s = load_status(b, cut);
    INFO("cut at " << cut << " of " << b.size() << ": " << s.to_string());
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::bad_gguf);
    CHECK_FALSE(s.message().empty());
    ++n;
  }
  CHECK(n > 1000);
  CHECK(load_status(b, l.data_end).ok());  // only the trailing padding is gone
}

TEST_CASE("hostile: huge counts and lengths in the header and metadata") {
  const auto& base = tiny_bytes();
  for (uint64_t h : kHuge) {
    INFO("value " << h);
    auto b = base;
    put_le(b, 8, h, 8);  // tensor count
    expect_error(load_status(b), Code::bad_gguf);
    b = base;
    put_le(b, 16, h, 8);  // metadata count
    expect_error(load_status(b), Code::bad_gguf);
    b = base;
    // The first key's length, then the architecture string's length.
    put_le(b, 24, h, 8);
    expect_error(load_status(b), Code::bad_gguf);
    b = base;
    const size_t arch_val = after_string(b, std::string(keys::kArchitecture)) + 4;
    put_le(b, arch_val, h, 8);
    expect_error(load_status(b), Code::bad_gguf);
    // The token array's element count (after the key: u32 array tag, u32 element type, u64 count).
    b = base;
    const size_t toks = after_string(b, std::string(keys::kTokTokens)) + 8;
    put_le(b, toks, h, 8);
    expect_error(load_status(b), Code::bad_gguf);
    // One token string's length.
    b = base;
    const size_t unk = after_string(b, "<unk>") - 5 - 8;
    put_le(b, unk, h, 8);
    expect_error(load_status(b), Code::bad_gguf);
  }
  // A count one too large or small shifts every later field: still a typed error.
  for (int64_t delta : {-1, 1}) {
    auto b = base;
    const size_t toks = after_string(b, std::string(keys::kTokTokens)) + 8;
    uint64_t n = 0;
    std::memcpy(&n, b.data() + toks, 8);
    put_le(b, toks, n + static_cast<uint64_t>(delta), 8);
    INFO("token count " << delta);
    CHECK_FALSE(load_status(b).ok());
  }
}

TEST_CASE("hostile: tensor dims, types and offsets") {
  const auto& base = tiny_bytes();
  const std::string q = "blk.0.attn_q.weight";
  const TensorInfoAt at = tensor_info_at(base, q);
  auto patched = [&](size_t pos, uint64_t v, size_t width) {
    auto b = base;
    put_le(b, pos, v, width);
    return load_status(b);
  };
  for (uint64_t h : kHuge) {
    INFO("value " << h);
    expect_error(patched(at.ne0, h, 8), Code::bad_gguf, {q});      // ne[0]
    expect_error(patched(at.ne0 + 8, h, 8), Code::bad_gguf, {q});  // ne[1]
    expect_error(patched(at.offset, h, 8), Code::bad_gguf, {q});   // data offset
  }
  expect_error(patched(at.ne0, 0, 8), Code::bad_gguf, {q});
  // ne[0] * ne[1] overflows int64 although each fits.
  {
    auto b = base;
    put_le(b, at.ne0, 1ull << 32, 8);
    put_le(b, at.ne0 + 8, 1ull << 32, 8);
    expect_error(load_status(b), Code::bad_gguf, {q});
  }
  expect_error(patched(at.n_dims, 5, 4), Code::bad_gguf, {q});
  expect_error(patched(at.n_dims, 0xFFFFFFFF, 4), Code::bad_gguf, {q});
  expect_error(patched(at.type, 999, 4), Code::unsupported, {q});
  expect_error(patched(at.type, 0xFFFFFFFF, 4), Code::unsupported, {q});
  // Removed types (ggml's Q4_2 = 4, Q4_3 = 5) are unknown too.
  expect_error(patched(at.type, 4, 4), Code::unsupported, {q});
  // Misaligned and past-the-end data.
  uint64_t off = 0;
  std::memcpy(&off, base.data() + at.offset, 8);
  expect_error(patched(at.offset, off + 1, 8), Code::bad_gguf, {q});
  expect_error(patched(at.offset, off + 4, 8), Code::bad_gguf, {q});
  expect_error(patched(at.offset, base.size(), 8), Code::bad_gguf, {q});
  // A norm retyped as f16 (half the size claimed, the next tensor's data no longer follows it):
  // refused by the layout check, naming it.
  const TensorInfoAt norm = tensor_info_at(base, "output_norm.weight");
  expect_error(patched(norm.type, static_cast<uint32_t>(GgmlType::F16), 4), Code::bad_gguf, {"output_norm.weight"});
  // Shape swapped to [rows, cols]: a typed shape error naming the tensor.
  {
    auto b = base;
    uint64_t ne0 = 0, ne1 = 0;
    std::memcpy(&ne0, b.data() + at.ne0, 8);
    std::memcpy(&ne1, b.data() + at.ne0 + 8, 8);
    const TensorInfoAt k = tensor_info_at(b, "blk.0.attn_k.weight");
    std::memcpy(&ne1, b.data() + k.ne0 + 8, 8);  // k has kv_dim rows
    put_le(b, k.ne0, ne1, 8);
    put_le(b, k.ne0 + 8, ne0, 8);
    expect_error(load_status(b), Code::bad_gguf, {"blk.0.attn_k.weight", "shape"});
  }
}

TEST_CASE("hostile: duplicate names, alignment, magic and version") {
  const auto& base = tiny_bytes();
  {  // attn_k -> attn_q: two tensors named blk.0.attn_q.weight
    auto b = base;
    const TensorInfoAt k = tensor_info_at(b, "blk.0.attn_k.weight");
    b[k.name_len + 8 + std::string("blk.0.attn_").size()] = 'q';
    expect_error(load_status(b), Code::bad_gguf, {"duplicate", "blk.0.attn_q.weight"});
  }
  {  // eos_token_id -> bos_token_id: a duplicate metadata key
    auto b = base;
    const size_t at = after_string(b, std::string(keys::kTokEos));
    b[at - std::string("eos_token_id").size()] = 'b';
    expect_error(load_status(b), Code::bad_gguf, {"duplicate", "bos_token_id"});
  }
  // general.alignment patched after writing (the writer refuses to write a bad one).
  TinyModel aligned = make_tiny();
  aligned.set(std::string(keys::kAlignment), v_u32(32));
  const auto with_align = aligned.bytes();
  const size_t align_at = after_string(with_align, std::string(keys::kAlignment));
  REQUIRE(align_at != SIZE_MAX);
  REQUIRE(load_status(with_align).ok());
  for (uint32_t a : {0u, 3u, 48u, 0x80000001u, 0xFFFFFFFFu}) {
    auto b = with_align;
    put_le(b, align_at + 4, a, 4);
    INFO("alignment " << a);
    expect_error(load_status(b), Code::bad_gguf, {"alignment"});
  }
  {
    auto b = with_align;
    put_le(b, align_at, static_cast<uint32_t>(gguf::ValueType::f32), 4);  // same width, wrong type
    expect_error(load_status(b), Code::bad_gguf, {"alignment"});
  }
  {  // 64 is valid but moves the data section: the offsets no longer line up
    auto b = with_align;
    put_le(b, align_at + 4, 64, 4);
    CHECK_FALSE(load_status(b).ok());
  }
  {  // a larger valid alignment loads
    TinyModel m = make_tiny();
    m.alignment = 256;
    REQUIRE(load_status(m.bytes()).ok());
  }
  auto b = base;
  b[0] = 'X';
  CHECK_FALSE(load_status(b).ok());
  for (uint32_t v : {0u, 1u, 4u, 0xFFFFFFFFu}) {
    b = base;
    put_le(b, 4, v, 4);
    const Status s = load_status(b);
    INFO("version " << v << ": " << s.to_string());
    CHECK((s.code() == Code::unsupported || s.code() == Code::bad_gguf));
    CHECK(s.message().find("version") != std::string::npos);
  }
  CHECK_FALSE(load_status({}).ok());
  CHECK_FALSE(load_status({'G', 'G', 'U', 'F'}).ok());
}

TEST_CASE("hostile: legacy and odd fixture files give typed errors") {
  struct Case {
    const char* path;
    Code code;
    const char* needle;
  };
  const Case cases[] = {
      {"legacy/tinyllamas-stories-260k-f32.gguf", Code::unsupported, "version"},  // GGUF v1
      {"legacy/TinyLLama-v0.ggmlv3.q4_0.bin", Code::unsupported, "GGJT"},         // GGJT, not GGUF
      // Q8_0 ffn_down rows of 172 (not a multiple of the 32-wide block): refused, as llama.cpp does.
      {"gguf/tinyllamas-stories-260k-q8_0.gguf", Code::bad_gguf, "ffn_down"},
      {"vocab/ggml-vocab-gpt-2.gguf", Code::unsupported, "gpt2"},  // a vocab-only file of another arch
      {"MODELS.md", Code::bad_gguf, ""},
  };
  for (const Case& c : cases) {
    auto m = Model::load_file(model_path(c.path));
    INFO(c.path << ": " << m.status().to_string());
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == c.code);
    CHECK(m.status().message().find(c.needle) != std::string::npos);
  }
  auto missing = Model::load_file(model_path("gguf/no-such-file.gguf"));
  CHECK(missing.status().code() == Code::io_error);
}

TEST_CASE("hostile: seeded random mutations never crash; survivors load and run") {
  TinySpec q;
  q.arch = "qwen2";
  q.tok = "gpt2";
  q.wtype = GgmlType::Q8_0;
  q.tied = false;
  const std::vector<std::vector<uint8_t>> bases = {tiny_bytes(), make_tiny(q).bytes()};
  const std::vector<Layout> layouts = {layout(bases[0]), layout(bases[1])};
  std::mt19937 rng(20240611);
  int loaded = 0, refused = 0;
  for (int round = 0; round < 1000; ++round) {
    const auto& base = bases[static_cast<size_t>(round) % bases.size()];
    const Layout& l = layouts[static_cast<size_t>(round) % bases.size()];
    auto b = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      // Mostly in the header (metadata and tensor infos), sometimes in the data.
      const size_t span = rng() % 8 ? l.data_start : b.size();
      const size_t at = rng() % span;
      switch (rng() % 3) {
        case 0:
          b[at] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        default:
          if (at + 8 <= b.size()) put_le(b, at, kHuge[rng() % (sizeof kHuge / sizeof kHuge[0])], rng() % 2 ? 8 : 4);
      }
    }
    auto m = load_bytes(b);
    INFO("round " << round << ": " << m.status().to_string());
    if (!m.ok()) {
      ++refused;
      CHECK_FALSE(m.status().message().empty());
      CHECK(m.status().code() != Code::ok);
      continue;
    }
    ++loaded;
    // Whatever loads must tokenize, evaluate and sample without going out of bounds.
    auto ctx = Context::create(*m, {8, 4, 1});
    if (!ctx.ok()) continue;
    const int32_t nv = (*m)->desc().n_vocab;
    std::vector<Token> ids = (*m)->tokenizer()->encode("Once upon a time", true, true);
    for (Token id : ids) REQUIRE((id >= 0 && id < nv));
    ids.resize(std::min<size_t>(ids.size(), 6));
    if (ids.empty()) ids.push_back(0);
    GenerateOptions go;
    go.max_tokens = 2;
    go.ignore_eos = true;
    auto g = Generator::start(**ctx, ids, go);
    REQUIRE(g.ok());
    while (!(*g)->done()) {
      auto s = (*g)->step();
      REQUIRE(s.ok());
      CHECK(s->token < nv);
    }
  }
  CHECK(refused > 0);
  CHECK(loaded > 0);  // mutations inside weights or names of unused keys leave a valid model
}
