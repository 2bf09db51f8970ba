// Hostile GGUF inputs: truncation at every header byte, huge counts/lengths/dims/offsets written at
// their real positions in stories260K.gguf, misalignment, duplicates, unknown types, deep nesting,
// and random byte mutations. Each must give a typed error, never a crash (run under ASan).
#include <catch2/catch.hpp>
#include <memory>
#include <random>

#include "core/gguf/keys.h"
#include "tests/cpp/gguf/gguf_test_helpers.h"

using namespace chord;
using namespace chord::gguf;
using chord::test::after_gguf_string;
using chord::test::fixture;
using chord::test::poke;

namespace {

constexpr uint64_t kHuge[] = {0xFFFFFFFFFFFFFFFFull, 1ull << 62, 1ull << 60, 0x8000000000000000ull, 1ull << 32};

// Parses a copy of `bytes` (exactly sized, so ASan sees any over-read) and returns the status.
Status parse_copy(const std::vector<uint8_t>& bytes, size_t len) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
  auto r = File::parse(copy);
  return r.ok() ? Status::Ok() : r.status();
}

Status parse_status(const std::vector<uint8_t>& bytes) { return parse_copy(bytes, bytes.size()); }

// Expects `code` and every needle in the message.
void expect(const Status& s, Code code, std::initializer_list<const char*> needles = {}) {
  INFO(s.to_string());
  CHECK(s.code() == code);
  for (const char* n : needles) CHECK(s.message().find(n) != std::string::npos);
}

// A minimal GGUF header with one kv whose value bytes are `body` (after the key).
std::vector<uint8_t> one_kv(std::string_view key, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> b = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  auto put64 = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put64(0);
  put64(1);
  put64(key.size());
  b.insert(b.end(), key.begin(), key.end());
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

// Bytes a value takes in a GGUF file (after its type tag).
size_t encoded_size(const Value& v) {
  switch (v.type) {
    case ValueType::u8:
    case ValueType::i8:
    case ValueType::boolean:
      return 1;
    case ValueType::u16:
    case ValueType::i16:
      return 2;
    case ValueType::u32:
    case ValueType::i32:
    case ValueType::f32:
      return 4;
    case ValueType::u64:
    case ValueType::i64:
    case ValueType::f64:
      return 8;
    case ValueType::string:
      return 8 + v.s.size();
    case ValueType::array: {
      size_t n = 12;
      for (const std::string& x : v.strings) n += 8 + x.size();
      for (const Value& x : v.items) n += encoded_size(x);
      Value elem;
      elem.type = v.elem_type;
      if (v.elem_type != ValueType::string && v.elem_type != ValueType::array) {
        n += v.numbers.size() * encoded_size(elem);
      }
      return n;
    }
  }
  return 0;
}

void push32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void push64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

TEST_CASE("hostile: truncation at every header byte and at samples in the data") {
  const auto& bytes = fixture("gguf/stories260K.gguf");
  auto full = File::parse(bytes);
  REQUIRE(full.ok());
  size_t data_start = bytes.size(), data_end = 0;
  for (const TensorInfo& t : full->tensors()) {
    data_start = std::min<size_t>(data_start, t.data - bytes.data());
    data_end = std::max<size_t>(data_end, t.data - bytes.data() + t.nbytes);
  }
  REQUIRE(data_start < 16384);
  // Byte ranges of the bodies of the three 512-element vocabulary arrays, recomputed from the
  // parsed values: inside them every byte of the first and last 128 bytes is a cut point, and every
  // 11th byte between (all cuts cost O(header) each under ASan; the field boundaries are what matter).
  std::vector<std::pair<size_t, size_t>> arrays;
  size_t pos = 24;
  for (const auto& [k, v] : full->metadata()) {
    pos += 8 + k.size() + 4;
    const size_t size = encoded_size(v);
    if (v.type == ValueType::array && v.array_size() > 64) arrays.emplace_back(pos + 12, pos + size);
    pos += size;
  }
  REQUIRE(arrays.size() == 3);
  size_t infos = 0;
  for (const TensorInfo& t : full->tensors()) infos += 8 + t.name.size() + 4 + 8 * t.n_dims + 4 + 8;
  CHECK((pos + infos + 31) / 32 * 32 == data_start);  // the layout is what the reader claims

  std::vector<size_t> lens;
  for (size_t n = 0; n < data_start + 64; ++n) {
    bool sparse = false;
    for (auto [a, b] : arrays) sparse |= n >= a + 128 && n + 128 < b;
    if (!sparse || n % 11 == 0) lens.push_back(n);
  }
  for (size_t n = data_start + 64; n < bytes.size(); n += 4093) lens.push_back(n);
  for (size_t n = data_end - 3; n <= bytes.size(); ++n) lens.push_back(n);
  // Each prefix is copied to the END of one buffer, so any read past it hits ASan's redzone
  // (cheaper than a fresh allocation per cut).
  const size_t cap = data_start + 64;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[cap]);
  int failures = 0;
  for (size_t n : lens) {
    Status s;
    if (n <= cap) {
      std::memcpy(buf.get() + cap - n, bytes.data(), n);
      auto r = File::parse({buf.get() + cap - n, n});
      if (!r.ok()) s = r.status();
    } else {
      s = parse_copy(bytes, n);
    }
    if (n >= data_end) {
      if (!s.ok()) FAIL("length " << n << ": " << s.to_string());
    } else if (s.code() != Code::bad_gguf) {
      ++failures;
      FAIL_CHECK("length " << n << " gave " << s.to_string());
    }
  }
  CHECK(failures == 0);
  CHECK(lens.size() > 5000);
}

TEST_CASE("hostile: huge counts and lengths in the header and metadata") {
  std::vector<uint8_t> b = fixture("gguf/stories260K.gguf");
  const std::vector<uint8_t> orig = b;
  auto reset = [&] { b = orig; };
  for (uint64_t h : kHuge) {
    INFO("value " << h);
    poke<uint64_t>(b, 8, h);  // tensor count
    expect(parse_status(b), Code::bad_gguf, {"tensor count"});
    reset();
    poke<uint64_t>(b, 16, h);  // metadata count
    expect(parse_status(b), Code::bad_gguf, {"metadata count"});
    reset();
    poke<uint64_t>(b, 24, h);  // length of the first key
    expect(parse_status(b), Code::bad_gguf, {"string length"});
    reset();
  }
  // More tensors than the file holds: the extra "infos" are read from padding and tensor data
  // (49 happens to read as a valid empty-named scalar); a typed result either way.
  for (uint64_t n : {49, 50, 1000}) {
    poke<uint64_t>(b, 8, n);
    const Status s = parse_status(b);
    CHECK((s.ok() || s.code() == Code::bad_gguf));
  }
  reset();

  const size_t toks = after_gguf_string(b, keys::kTokTokens);
  REQUIRE(toks != std::string::npos);
  REQUIRE(test::peek<uint32_t>(b, toks) == 9);      // array
  REQUIRE(test::peek<uint32_t>(b, toks + 4) == 8);  // of string
  REQUIRE(test::peek<uint64_t>(b, toks + 8) == 512);
  for (uint64_t h : kHuge) {
    poke<uint64_t>(b, toks + 8, h);
    expect(parse_status(b), Code::bad_gguf, {"tokenizer.ggml.tokens", "cannot fit"});
    reset();
    poke<uint64_t>(b, toks + 16, h);  // length of the first token string
    expect(parse_status(b), Code::bad_gguf, {"tokenizer.ggml.tokens", "string length"});
    reset();
  }
  poke<uint32_t>(b, toks + 4, 99);
  expect(parse_status(b), Code::bad_gguf, {"tokenizer.ggml.tokens", "unknown array element type 99"});
  reset();
  poke<uint32_t>(b, toks + 4, 9);  // "array of arrays": the count 512 is read as element types
  CHECK(parse_status(b).code() == Code::bad_gguf);
  reset();
  poke<uint32_t>(b, toks, 99);
  expect(parse_status(b), Code::bad_gguf, {"tokenizer.ggml.tokens", "unknown value type 99"});
  reset();

  const size_t scores = after_gguf_string(b, keys::kTokScores);
  REQUIRE(scores != std::string::npos);
  REQUIRE(test::peek<uint64_t>(b, scores + 8) == 512);
  for (uint64_t h : kHuge) {
    poke<uint64_t>(b, scores + 8, h);
    expect(parse_status(b), Code::bad_gguf, {"tokenizer.ggml.scores"});
    reset();
  }
  // Duplicate key: rename tokenizer.ggml.scores (same length) to tokenizer.ggml.tokens.
  std::memcpy(b.data() + scores - keys::kTokScores.size(), keys::kTokTokens.data(), keys::kTokTokens.size());
  expect(parse_status(b), Code::bad_gguf, {"duplicate metadata key 'tokenizer.ggml.tokens'"});
  reset();
}

TEST_CASE("hostile: tensor dims / types / offsets") {
  std::vector<uint8_t> b = fixture("gguf/stories260K.gguf");
  const std::vector<uint8_t> orig = b;
  auto reset = [&] { b = orig; };
  const size_t at = after_gguf_string(b, "token_embd.weight");
  REQUIRE(at != std::string::npos);
  REQUIRE(test::peek<uint32_t>(b, at) == 2);
  REQUIRE(test::peek<uint64_t>(b, at + 4) == 64);
  REQUIRE(test::peek<uint64_t>(b, at + 12) == 512);
  REQUIRE(test::peek<uint32_t>(b, at + 20) == 0);
  const uint64_t offset = test::peek<uint64_t>(b, at + 24);

  poke<uint32_t>(b, at, 5);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "n_dims 5"});
  reset();
  poke<uint32_t>(b, at, 0xFFFFFFFFu);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "n_dims 4294967295"});
  reset();
  poke<uint64_t>(b, at + 4, 0);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "dimension 0 is 0"});
  reset();
  poke<uint64_t>(b, at + 12, 0xFFFFFFFFFFFFFFFFull);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "dimension 1 is 18446744073709551615"});
  reset();
  poke<uint64_t>(b, at + 4, 1ull << 62);  // (2^62) x 512 overflows int64
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "more than 2^63"});
  reset();
  poke<uint64_t>(b, at + 4, 1ull << 62);  // 2^62 f32 elements: 2^64 bytes
  poke<uint64_t>(b, at + 12, 1);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "overflows"});
  reset();
  poke<uint64_t>(b, at + 12, 1ull << 40);  // fits int64 but not the file
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "outside the file"});
  reset();
  poke<uint32_t>(b, at + 20, 99);
  expect(parse_status(b), Code::unsupported, {"token_embd.weight", "99"});
  reset();
  poke<uint32_t>(b, at + 20, 4);  // a retired ggml id
  expect(parse_status(b), Code::unsupported, {"token_embd.weight", "type id 4"});
  reset();
  poke<uint32_t>(b, at + 20, static_cast<uint32_t>(GgmlType::Q4_K));  // 64 % 256 != 0
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "row length 64", "256"});
  reset();
  poke<uint64_t>(b, at + 24, offset + 1);
  expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "not a multiple of the alignment 32"});
  reset();
  for (uint64_t off : std::initializer_list<uint64_t>{offset + (uint64_t{1} << 40), 0xFFFFFFFFFFFFFFE0ull,
                                                      uint64_t{1} << 62, uint64_t{orig.size()}}) {
    poke<uint64_t>(b, at + 24, off);
    expect(parse_status(b), Code::bad_gguf, {"token_embd.weight", "outside the file"});
    reset();
  }
  // Name length running past the end.
  poke<uint64_t>(b, at - 8 - 17, 0xFFFFFFFFFFFFFFF0ull);
  expect(parse_status(b), Code::bad_gguf, {"name of tensor", "string length"});
  reset();

  // Duplicate names: blk.0.attn_k.weight renamed to blk.0.attn_q.weight.
  const size_t k = test::find_bytes(b, "blk.0.attn_k.weight");
  REQUIRE(k != std::string::npos);
  b[k + 11] = 'q';
  expect(parse_status(b), Code::bad_gguf, {"duplicate tensor name 'blk.0.attn_q.weight'"});
  reset();
}

TEST_CASE("hostile: magic / version / alignment / nesting") {
  const auto& good = fixture("gguf/stories260K.gguf");
  std::vector<uint8_t> small(good.begin(), good.begin() + 4096);  // header prefix is enough here
  expect(parse_status({}), Code::bad_gguf, {"not a GGUF"});
  expect(parse_status({'G', 'G', 'U'}), Code::bad_gguf, {"not a GGUF"});
  expect(parse_status({'G', 'G', 'U', 'F'}), Code::bad_gguf, {"version"});
  std::vector<uint8_t> b = small;
  b[0] = 'X';
  expect(parse_status(b), Code::bad_gguf, {"not a GGUF", "expected \"GGUF\""});
  b = small;
  for (uint32_t v : {0u, 4u, 0xFFFFFFFFu}) {
    poke<uint32_t>(b, 4, v);
    expect(parse_status(b), Code::unsupported, {"version"});
  }
  poke<uint32_t>(b, 4, 0x03000000u);
  expect(parse_status(b), Code::unsupported, {"big-endian"});
  poke<uint32_t>(b, 4, 1);
  expect(parse_status(b), Code::unsupported, {"GGUF v1 is not supported"});
  for (const char* magic : {"lmgg", "fmgg", "tjgg"}) {
    b = small;
    std::memcpy(b.data(), magic, 4);
    expect(parse_status(b), Code::unsupported, {"legacy GGML/GGJT file, convert it to GGUF"});
  }

  // general.alignment: written under a same-length stand-in key, then renamed.
  auto with_alignment = [](const Value& v) {
    Writer w;
    w.set_value("general.alignmenX", v);
    std::vector<uint8_t> d(32 * 4);
    CHORD_CHECK(w.add_tensor("t", GgmlType::F32, {32}, d).ok());
    std::vector<uint8_t> bytes = w.finish();
    const size_t p = test::find_bytes(bytes, "general.alignmenX");
    bytes[p + 16] = 't';
    return bytes;
  };
  for (int64_t a : {0, 3, 48, -32}) {
    INFO("alignment " << a);
    expect(parse_status(with_alignment(test::int_value(a < 0 ? ValueType::i32 : ValueType::u32, a))), Code::bad_gguf,
           {"general.alignment"});
  }
  Value str;
  str.type = ValueType::string;
  str.s = "32";
  expect(parse_status(with_alignment(str)), Code::bad_gguf, {"general.alignment", "string"});
  CHECK(parse_status(with_alignment(test::int_value(ValueType::u32, 16))).ok());
  // Duplicate key from the writer: key.a, key.b -> key.a twice.
  {
    Writer w;
    w.set_u32("key.a", 1);
    w.set_u32("key.b", 2);
    std::vector<uint8_t> bytes = w.finish();
    bytes[test::find_bytes(bytes, "key.b") + 4] = 'a';
    expect(parse_status(bytes), Code::bad_gguf, {"duplicate metadata key 'key.a'"});
  }

  // Arrays of arrays: 8 levels are accepted, 9 are not, and 100000 levels do not recurse deeply.
  auto nested = [](int levels, uint64_t inner_count) {
    std::vector<uint8_t> body;
    push32(body, 9);
    for (int l = 1; l < levels; ++l) {
      push32(body, 9);
      push64(body, 1);
    }
    push32(body, 4);  // innermost: array of u32
    push64(body, inner_count);
    for (uint64_t i = 0; i < inner_count; ++i) push32(body, 7);
    return one_kv("deep", body);
  };
  CHECK(parse_status(nested(8, 2)).ok());
  expect(parse_status(nested(9, 2)), Code::bad_gguf, {"deep", "nested deeper than 8"});
  expect(parse_status(nested(100000, 0)), Code::bad_gguf, {"nested deeper than 8"});
  // An array of 2^60 arrays, or of 2^60 strings, allocates nothing.
  for (uint32_t elem : {9u, 8u, 6u}) {
    std::vector<uint8_t> body;
    push32(body, 9);
    push32(body, elem);
    push64(body, 1ull << 60);
    for (int i = 0; i < 64; ++i) body.push_back(0);
    expect(parse_status(one_kv("big", body)), Code::bad_gguf, {"big", "cannot fit"});
  }
  // A string value whose length runs off the end.
  {
    std::vector<uint8_t> body;
    push32(body, 8);
    push64(body, 100);
    body.resize(body.size() + 99, 'x');
    expect(parse_status(one_kv("s", body)), Code::bad_gguf, {"value of key 's'", "string length 100"});
  }
}

TEST_CASE("hostile: random mutations of the header never crash") {
  std::vector<uint8_t> b = fixture("gguf/stories260K.gguf");
  auto full = File::parse(b);
  REQUIRE(full.ok());
  size_t header = b.size();
  for (const TensorInfo& t : full->tensors()) header = std::min<size_t>(header, t.data - b.data());
  std::mt19937_64 rng(1234);
  constexpr int kIters = 600;
  int ok = 0, bad = 0, unsupported = 0;
  for (int iter = 0; iter < kIters; ++iter) {
    std::vector<std::pair<size_t, std::array<uint8_t, 8>>> saved;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % (header - 8);
      std::array<uint8_t, 8> old;
      std::memcpy(old.data(), b.data() + pos, 8);
      saved.emplace_back(pos, old);
      switch (rng() % 4) {
        case 0:
          b[pos] = static_cast<uint8_t>(rng());
          break;
        case 1:
          b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          poke<uint64_t>(b, pos, rng());
          break;
        default:
          poke<uint64_t>(b, pos, ~uint64_t{0} >> (rng() % 64));
          break;
      }
    }
    auto r = File::parse(b);  // in place: the buffer is exactly the file, so ASan sees over-reads
    if (r.ok()) {
      ++ok;
      for (const TensorInfo& t : r->tensors()) {
        REQUIRE(t.data >= b.data());
        REQUIRE(t.data + t.nbytes <= b.data() + b.size());
      }
    } else {
      bad += r.status().code() == Code::bad_gguf;
      unsupported += r.status().code() == Code::unsupported;
      REQUIRE((r.status().code() == Code::bad_gguf || r.status().code() == Code::unsupported));
      REQUIRE_FALSE(r.status().message().empty());
    }
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) std::memcpy(b.data() + it->first, it->second.data(), 8);
  }
  CHECK(ok + bad + unsupported == kIters);
  CHECK(bad > 0);
}

namespace {

// Three tensors written by the Writer (alignment 32): a f32 [64] (256 bytes), b q8_0 [32, 2]
// (68 bytes, padded to 96), c f32 [60] (240 bytes, padded to 256). Positions of each tensor info's type and offset
// fields.
struct Laid {
  std::vector<uint8_t> bytes;
  size_t type_at[3];
  size_t offset_at[3];
  size_t count_at = 8;  // the tensor count follows the magic and version
};

Laid three_tensors() {
  Writer w;
  w.set_string("general.architecture", "llama");
  std::vector<float> f(64);
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.25f - 3.f;
  const auto* fb = reinterpret_cast<const uint8_t*>(f.data());
  std::vector<uint8_t> q8(68, 7);
  REQUIRE(w.add_tensor("a", GgmlType::F32, {64}, {fb, 256}).ok());
  REQUIRE(w.add_tensor("b", GgmlType::Q8_0, {32, 2}, q8).ok());
  REQUIRE(w.add_tensor("c", GgmlType::F32, {60}, {fb, 240}).ok());
  Laid l{w.finish(), {}, {}};
  const char* names[3] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    const size_t at = after_gguf_string(l.bytes, names[i]);
    REQUIRE(at != std::string::npos);
    const uint32_t n_dims = test::peek<uint32_t>(l.bytes, at);
    l.type_at[i] = at + 4 + 8 * n_dims;
    l.offset_at[i] = l.type_at[i] + 4;
  }
  return l;
}

}  // namespace

TEST_CASE("layout: tensors must lie back to back as llama.cpp requires, named on error") {
  const Laid l = three_tensors();
  REQUIRE(File::parse(l.bytes).ok());
  REQUIRE(test::peek<uint64_t>(l.bytes, l.offset_at[1]) == 256);
  REQUIRE(test::peek<uint64_t>(l.bytes, l.offset_at[2]) == 352);
  std::vector<uint8_t> b;
  auto reset = [&] { b = l.bytes; };

  // A gap between consecutive tensors.
  reset();
  poke<uint64_t>(b, l.offset_at[1], 288);
  expect(parse_status(b), Code::bad_gguf, {"tensor 'b' has offset 288, expected 256", "'a'", "a gap"});
  // An overlap.
  reset();
  poke<uint64_t>(b, l.offset_at[2], 256);
  expect(parse_status(b), Code::bad_gguf, {"tensor 'c' has offset 256, expected 352", "'b'", "an overlap"});
  // The first tensor not at the start of the data section.
  reset();
  poke<uint64_t>(b, l.offset_at[0], 32);
  expect(parse_status(b), Code::bad_gguf, {"tensor 'a' is the first tensor but has offset 32"});
  // A type change shrinks a tensor and leaves the next one's data misplaced.
  reset();
  poke<uint32_t>(b, l.type_at[0], static_cast<uint32_t>(GgmlType::F16));
  expect(parse_status(b), Code::bad_gguf, {"tensor 'b' has offset 256, expected 128", "'a'"});
  // ... or, on the last tensor, leaves bytes no tensor accounts for.
  reset();
  poke<uint32_t>(b, l.type_at[2], static_cast<uint32_t>(GgmlType::F16));
  expect(parse_status(b), Code::bad_gguf, {"128 bytes follow the data of the last tensor 'c'"});
  // ... or grows it past the file.
  reset();
  poke<uint32_t>(b, l.type_at[2], static_cast<uint32_t>(GgmlType::F64));
  expect(parse_status(b), Code::bad_gguf, {"tensor 'c'", "outside the file"});
  // A tensor count smaller than the infos present: the data section is found in the wrong place
  // and the bytes of the uncounted tensor remain.
  reset();
  poke<uint64_t>(b, l.count_at, 2);
  expect(parse_status(b), Code::bad_gguf, {"follow the data of the last tensor 'b'", "tensor count 2"});
  // A count larger than the infos present: the fourth info is read from the data section.
  reset();
  poke<uint64_t>(b, l.count_at, 4);
  {
    const Status s = parse_status(b);
    INFO(s.to_string());
    CHECK_FALSE(s.ok());
    CHECK(s.code() == Code::bad_gguf);
    CHECK(s.message().find("'c'") != std::string::npos);
  }
  // Trailing bytes after the padded end are refused too; padding alone is not required.
  reset();
  b.insert(b.end(), 32, 0);
  expect(parse_status(b), Code::bad_gguf, {"32 bytes follow the data of the last tensor 'c'"});
  reset();
  b.resize(b.size() - 16);  // without c's padding
  CHECK(parse_status(b).ok());
  b.resize(b.size() - 1);  // c's data cut
  expect(parse_status(b), Code::bad_gguf, {"tensor 'c'", "outside the file"});
}
