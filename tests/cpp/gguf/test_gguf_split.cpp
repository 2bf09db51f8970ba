// gguf-split models: parts written the way llama.cpp's gguf-split writes them (split.no u16,
// split.count u16, split.tensors.count i32 in every part, full metadata in part 0 only).
#include <catch2/catch.hpp>

#include "core/gguf/keys.h"
#include "tests/cpp/gguf/gguf_test_helpers.h"

using namespace chord;
using namespace chord::gguf;
using chord::test::fixture;

namespace {

void set_split_keys(Writer& w, int no, int count, int n_tensors) {
  w.set_value(keys::kSplitNo, test::int_value(ValueType::u16, no));
  w.set_value(keys::kSplitCount, test::int_value(ValueType::u16, count));
  w.set_value(keys::kSplitTensorsCount, test::int_value(ValueType::i32, n_tensors));
}

// Splits `f` into n parts of consecutive tensors.
std::vector<std::vector<uint8_t>> split_model(const File& f, int n) {
  const int total = static_cast<int>(f.tensors().size());
  std::vector<std::vector<uint8_t>> parts;
  for (int p = 0; p < n; ++p) {
    Writer w;
    if (p == 0) {
      for (const auto& [k, v] : f.metadata()) w.set_value(k, v);
    }
    set_split_keys(w, p, n, total);
    for (int i = p * total / n; i < (p + 1) * total / n; ++i) {
      const TensorInfo& t = f.tensors()[i];
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      CHORD_CHECK(w.add_tensor(t.name, t.type, ne, test::data_of(t)).ok());
    }
    parts.push_back(w.finish());
  }
  return parts;
}

std::vector<std::span<const uint8_t>> spans(const std::vector<std::vector<uint8_t>>& parts, std::vector<int> order) {
  std::vector<std::span<const uint8_t>> s;
  for (int i : order) s.emplace_back(parts[i]);
  return s;
}

}  // namespace

TEST_CASE("parse_split: 2 and 3 parts assemble into the original model") {
  const auto& src = fixture("gguf/stories260K.gguf");
  auto orig = File::parse(src);
  REQUIRE(orig.ok());
  for (int n : {2, 3}) {
    INFO(n << " parts");
    const auto parts = split_model(*orig, n);
    std::vector<int> order(n);
    for (int i = 0; i < n; ++i) order[i] = i;
    auto r = File::parse_split(spans(parts, order));
    REQUIRE(r.ok());
    const File& f = *r;
    CHECK(f.get_int(keys::kSplitCount) == n);
    CHECK(f.get_int(keys::kSplitNo) == 0);
    CHECK(f.get_int(keys::kSplitTensorsCount) == 48);
    CHECK(f.find(keys::kSplitNo)->type == ValueType::u16);
    // Metadata of part 0 = the original metadata + the three split keys.
    REQUIRE(f.metadata().size() == orig->metadata().size() + 3);
    for (size_t k = 0; k < orig->metadata().size(); ++k) {
      CHECK(f.metadata()[k].first == orig->metadata()[k].first);
      CHECK(test::same_value(f.metadata()[k].second, orig->metadata()[k].second));
    }
    REQUIRE(f.tensors().size() == 48);
    for (size_t i = 0; i < 48; ++i) {
      const TensorInfo& a = orig->tensors()[i];
      const TensorInfo& b = f.tensors()[i];
      INFO(a.name);
      CHECK(a.name == b.name);
      CHECK(a.ne == b.ne);
      // The part that holds tensor i: the p with p*48/n <= i < (p+1)*48/n.
      uint32_t p = 0;
      while (static_cast<int>(i) >= (static_cast<int>(p) + 1) * 48 / n) ++p;
      CHECK(b.split == p);
      const auto& part = parts[p];
      CHECK(b.data >= part.data());
      CHECK(b.data + b.nbytes <= part.data() + part.size());
      REQUIRE(a.nbytes == b.nbytes);
      CHECK(std::memcmp(a.data, b.data, a.nbytes) == 0);
      CHECK(f.tensor(a.name) == &b);
    }
  }
}

TEST_CASE("parse_split: wrong order, missing or extra parts, bad counts") {
  auto orig = File::parse(fixture("gguf/stories260K.gguf"));
  REQUIRE(orig.ok());
  const auto parts = split_model(*orig, 3);
  auto expect_bad = [](Result<File> r, const char* needle) {
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(r.status().code() == Code::bad_gguf);
    CHECK(r.status().message().find(needle) != std::string::npos);
  };
  expect_bad(File::parse_split(spans(parts, {0, 2, 1})), "split.no = 2");
  expect_bad(File::parse_split(spans(parts, {1, 0, 2})), "split.no = 1");
  expect_bad(File::parse_split(spans(parts, {0, 1})), "split.count = 3 but 2 part(s)");
  expect_bad(File::parse_split(spans(parts, {0})), "split.count = 3 but 1 part(s)");
  expect_bad(File::parse_split(spans(parts, {0, 1, 2, 2})), "split.count = 3 but 4");

  // A part lying about the model's tensor total.
  {
    auto p1 = File::parse(parts[1]);
    REQUIRE(p1.ok());
    Writer w;
    set_split_keys(w, 1, 3, 47);
    for (const TensorInfo& t : p1->tensors()) {
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      REQUIRE(w.add_tensor(t.name, t.type, ne, test::data_of(t)).ok());
    }
    const auto liar = w.finish();
    expect_bad(File::parse_split({parts[0], liar, parts[2]}), "split.tensors.count = 47");
  }
  // The same tensor in two parts.
  {
    auto p0 = File::parse(parts[0]);
    REQUIRE(p0.ok());
    Writer w;
    set_split_keys(w, 1, 2, static_cast<int>(p0->tensors().size()) * 2);
    for (const TensorInfo& t : p0->tensors()) {
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      REQUIRE(w.add_tensor(t.name, t.type, ne, test::data_of(t)).ok());
    }
    const auto dup = w.finish();
    Writer w0;
    for (const auto& [k, v] : p0->metadata()) w0.set_value(k, v);
    set_split_keys(w0, 0, 2, static_cast<int>(p0->tensors().size()) * 2);
    for (const TensorInfo& t : p0->tensors()) {
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      REQUIRE(w0.add_tensor(t.name, t.type, ne, test::data_of(t)).ok());
    }
    const auto first = w0.finish();
    expect_bad(File::parse_split({first, dup}), "more than one split part");
  }
  // A part that is not a split part at all.
  expect_bad(File::parse_split({parts[0], fixture("gguf/stories260K.gguf"), parts[2]}), "no integer split.no");
  // A broken part names its position.
  std::vector<uint8_t> cut(parts[1].begin(), parts[1].begin() + 40);
  auto r = File::parse_split({parts[0], cut, parts[2]});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::bad_gguf);
  CHECK(r.status().message().find("split part 1 of 3") != std::string::npos);

  auto none = File::parse_split({});
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == Code::invalid_argument);
}

TEST_CASE("parse_split: a single file passes through") {
  const auto& src = fixture("gguf/stories260K.gguf");
  auto r = File::parse_split({src});
  REQUIRE(r.ok());
  CHECK(r->tensors().size() == 48);
  CHECK(r->tensors()[47].split == 0);
  CHECK_FALSE(r->find(keys::kSplitCount));
  // A 1-part split model is fine as well.
  auto orig = File::parse(src);
  REQUIRE(orig.ok());
  const auto one = split_model(*orig, 1);
  auto r1 = File::parse_split({one[0]});
  REQUIRE(r1.ok());
  CHECK(r1->tensors().size() == 48);
}
