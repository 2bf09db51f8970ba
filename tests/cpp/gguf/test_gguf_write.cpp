// GGUF writer: every value type round-trips, tensors of several types at alignment 32 and 64, and a
// real file copied through the writer parses to the same metadata and tensor bytes.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "core/gguf/keys.h"
#include "tests/cpp/gguf/gguf_test_helpers.h"

using namespace chord;
using namespace chord::gguf;
using chord::test::fixture;
using chord::test::same_value;

namespace {

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Value number_array(ValueType elem, std::vector<double> xs) {
  Value v;
  v.type = ValueType::array;
  v.elem_type = elem;
  v.numbers = std::move(xs);
  return v;
}

Value array_of(std::vector<Value> items) {
  Value v;
  v.type = ValueType::array;
  v.elem_type = ValueType::array;
  v.items = std::move(items);
  return v;
}

// Copies all metadata and tensors of `f` into a writer.
void copy_into(const File& f, Writer& w) {
  for (const auto& [k, v] : f.metadata()) w.set_value(k, v);
  for (const TensorInfo& t : f.tensors()) {
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    REQUIRE(w.add_tensor(t.name, t.type, ne, test::data_of(t)).ok());
  }
}

void check_same_file(const File& a, const File& b) {
  REQUIRE(a.metadata().size() == b.metadata().size());
  for (size_t k = 0; k < a.metadata().size(); ++k) {
    INFO(a.metadata()[k].first);
    CHECK(a.metadata()[k].first == b.metadata()[k].first);
    CHECK(same_value(a.metadata()[k].second, b.metadata()[k].second));
  }
  REQUIRE(a.tensors().size() == b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const TensorInfo& x = a.tensors()[i];
    const TensorInfo& y = b.tensors()[i];
    INFO(x.name);
    CHECK(x.name == y.name);
    CHECK(x.type == y.type);
    CHECK(x.n_dims == y.n_dims);
    CHECK(x.ne == y.ne);
    REQUIRE(x.nbytes == y.nbytes);
    CHECK(std::memcmp(x.data, y.data, x.nbytes) == 0);
  }
}

}  // namespace

TEST_CASE("writer: every value type round-trips in insertion order") {
  Writer w;
  w.set_u32("a.u32", 4000000000u);
  w.set_i32("a.i32", -123456);
  w.set_u64("a.u64", 0xFEDCBA9876543210ull);
  w.set_f32("a.f32", 0.15625f);
  w.set_bool("a.bool", true);
  w.set_string("a.string", std::string("h\xC3\xA9llo\0x", 8));
  w.set_string("a.empty", "");
  w.set_string_array("a.strings", {"x", "", "\xE2\x96\x81the", std::string(300, 'z')});
  w.set_f32_array("a.f32s", {-1.5f, 0.0f, 3.25e-7f, 1e30f});
  w.set_i32_array("a.i32s", {INT32_MIN, -1, 0, INT32_MAX});
  w.set_value("a.u8", test::int_value(ValueType::u8, 255));
  w.set_value("a.i8", test::int_value(ValueType::i8, -128));
  w.set_value("a.u16", test::int_value(ValueType::u16, 65535));
  w.set_value("a.i16", test::int_value(ValueType::i16, -32768));
  w.set_value("a.i64", test::int_value(ValueType::i64, INT64_MIN));
  Value f64;
  f64.type = ValueType::f64;
  f64.f = 1.0 / 3.0;
  w.set_value("a.f64", f64);
  w.set_value("a.bools", number_array(ValueType::boolean, {1, 0, 1}));
  w.set_value("a.u8s", number_array(ValueType::u8, {0, 7, 255}));
  w.set_value("a.i8s", number_array(ValueType::i8, {-128, 0, 127}));
  w.set_value("a.u16s", number_array(ValueType::u16, {0, 65535}));
  w.set_value("a.i16s", number_array(ValueType::i16, {-32768, 32767}));
  w.set_value("a.u32s", number_array(ValueType::u32, {0, 4294967295.0}));
  w.set_value("a.u64s", number_array(ValueType::u64, {0, 9007199254740992.0}));  // 2^53: exact
  w.set_value("a.i64s", number_array(ValueType::i64, {-9007199254740992.0, 5}));
  w.set_value("a.f64s", number_array(ValueType::f64, {1e-300, -2.5}));
  w.set_value("a.empty_i32s", number_array(ValueType::i32, {}));
  // Nested: [[1,2],[],[3]] of i32, [["a"],["b","c"]] of strings, and three levels deep.
  Value sa, sb;
  sa.type = sb.type = ValueType::array;
  sa.elem_type = sb.elem_type = ValueType::string;
  sa.strings = {"a"};
  sb.strings = {"b", "c"};
  w.set_value("a.nested_i32", array_of({number_array(ValueType::i32, {1, 2}), number_array(ValueType::i32, {}),
                                        number_array(ValueType::i32, {3})}));
  w.set_value("a.nested_str", array_of({sa, sb}));
  w.set_value("a.deep", array_of({array_of({number_array(ValueType::f32, {0.5})}), array_of({})}));
  // set_* on an existing key replaces the value in place.
  w.set_i32("a.i32", -7);

  const std::vector<uint8_t> bytes = w.finish();
  auto r = File::parse(bytes);
  REQUIRE(r.ok());
  const File& f = *r;
  CHECK(f.version() == 3);
  CHECK(f.tensors().empty());
  const std::vector<std::string> order = {
      "a.u32",   "a.i32",        "a.u64",        "a.f32",        "a.bool", "a.string", "a.empty", "a.strings",
      "a.f32s",  "a.i32s",       "a.u8",         "a.i8",         "a.u16",  "a.i16",    "a.i64",   "a.f64",
      "a.bools", "a.u8s",        "a.i8s",        "a.u16s",       "a.i16s", "a.u32s",   "a.u64s",  "a.i64s",
      "a.f64s",  "a.empty_i32s", "a.nested_i32", "a.nested_str", "a.deep"};
  REQUIRE(f.metadata().size() == order.size());
  for (size_t k = 0; k < order.size(); ++k) CHECK(f.metadata()[k].first == order[k]);

  CHECK(f.find("a.u32")->type == ValueType::u32);
  CHECK(f.get_int("a.u32") == 4000000000ll);
  CHECK(f.get_int("a.i32") == -7);
  CHECK(f.find("a.u64")->u == 0xFEDCBA9876543210ull);
  CHECK_FALSE(f.get_int("a.u64"));  // does not fit int64
  CHECK(f.get_float("a.f32") == 0.15625);
  CHECK(f.get_bool("a.bool") == true);
  CHECK(f.get_int("a.bool") == 1);
  CHECK(f.get_string("a.string") == std::string("h\xC3\xA9llo\0x", 8));
  CHECK(f.get_string("a.empty") == "");
  const Value* strs = f.find("a.strings");
  REQUIRE(strs->array_size() == 4);
  CHECK(strs->strings[2] == "\xE2\x96\x81the");
  CHECK(strs->strings[3].size() == 300);
  CHECK(f.find("a.f32s")->numbers == std::vector<double>{-1.5, 0.0, double(3.25e-7f), double(1e30f)});
  CHECK(f.find("a.i32s")->numbers == std::vector<double>{INT32_MIN, -1, 0, INT32_MAX});
  CHECK(f.get_int("a.u8") == 255);
  CHECK(f.get_int("a.i8") == -128);
  CHECK(f.get_int("a.u16") == 65535);
  CHECK(f.get_int("a.i16") == -32768);
  CHECK(f.get_int("a.i64") == INT64_MIN);
  CHECK(f.get_float("a.f64") == 1.0 / 3.0);
  CHECK(f.get_float("a.u8") == 255.0);
  CHECK_FALSE(f.get_float("a.string"));
  CHECK(f.find("a.bools")->numbers == std::vector<double>{1, 0, 1});
  CHECK(f.find("a.u64s")->numbers[1] == 9007199254740992.0);
  CHECK(f.find("a.empty_i32s")->array_size() == 0);
  CHECK(f.find("a.empty_i32s")->elem_type == ValueType::i32);
  const Value* nested = f.find("a.nested_i32");
  REQUIRE(nested->array_size() == 3);
  CHECK(nested->items[0].numbers == std::vector<double>{1, 2});
  CHECK(nested->items[1].array_size() == 0);
  CHECK(nested->items[2].numbers == std::vector<double>{3});
  CHECK(f.find("a.nested_str")->items[1].strings == std::vector<std::string>{"b", "c"});
  const Value* deep = f.find("a.deep");
  REQUIRE(deep->array_size() == 2);
  CHECK(deep->items[0].items[0].numbers == std::vector<double>{0.5});
  CHECK(deep->items[1].elem_type == ValueType::array);
  CHECK(deep->array_size() == 2);

  // Writing the parsed values again gives the same bytes.
  Writer w2;
  for (const auto& [k, v] : f.metadata()) w2.set_value(k, v);
  CHECK((w2.finish() == bytes));
}

TEST_CASE("writer: tensors of several types at alignment 32 and 64") {
  for (uint32_t alignment : {32u, 64u}) {
    INFO("alignment " << alignment);
    struct Spec {
      const char* name;
      GgmlType type;
      std::vector<int64_t> ne;
    };
    const std::vector<Spec> specs = {
        {"f32", GgmlType::F32, {5, 3}},     {"f16", GgmlType::F16, {7}},
        {"q8_0", GgmlType::Q8_0, {64, 3}},  {"q4_0", GgmlType::Q4_0, {32, 1, 2}},
        {"q4_k", GgmlType::Q4_K, {256, 2}}, {"q6_k", GgmlType::Q6_K, {512, 1, 1, 2}},
        {"i8", GgmlType::I8, {3, 3, 3}},    {"bf16", GgmlType::BF16, {1}},
    };
    Writer w;
    if (alignment != 32) w.set_alignment(alignment);
    w.set_string("general.architecture", "test");
    std::vector<std::vector<uint8_t>> datas;
    for (size_t i = 0; i < specs.size(); ++i) {
      int64_t rows = 1;
      for (size_t d = 1; d < specs[i].ne.size(); ++d) rows *= specs[i].ne[d];
      datas.push_back(random_bytes(row_size(specs[i].type, specs[i].ne[0]) * rows, 100 + i));
      REQUIRE(w.add_tensor(specs[i].name, specs[i].type, specs[i].ne, datas.back()).ok());
    }
    const std::vector<uint8_t> bytes = w.finish();
    CHECK(bytes.size() % alignment == 0);
    auto r = File::parse(bytes);
    REQUIRE(r.ok());
    CHECK(r->alignment() == alignment);
    CHECK(r->get_int(keys::kAlignment) == (alignment == 32 ? std::nullopt : std::optional<int64_t>(alignment)));
    REQUIRE(r->tensors().size() == specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      const TensorInfo& t = r->tensors()[i];
      INFO(t.name);
      CHECK(t.name == specs[i].name);
      CHECK(t.type == specs[i].type);
      CHECK(t.n_dims == specs[i].ne.size());
      for (size_t d = 0; d < 4; ++d) CHECK(t.ne[d] == (d < specs[i].ne.size() ? specs[i].ne[d] : 1));
      CHECK((t.data - bytes.data()) % alignment == 0);
      REQUIRE(t.nbytes == datas[i].size());
      CHECK(std::memcmp(t.data, datas[i].data(), t.nbytes) == 0);
    }
  }
}

TEST_CASE("writer: add_tensor validates shape and size") {
  Writer w;
  std::vector<uint8_t> d(64 * 4);
  CHECK(w.add_tensor("ok", GgmlType::F32, {64}, d).ok());
  CHECK(w.add_tensor("ok", GgmlType::F32, {64}, d).code() == Code::invalid_argument);     // duplicate
  CHECK(w.add_tensor("short", GgmlType::F32, {65}, d).code() == Code::invalid_argument);  // size
  CHECK(w.add_tensor("q", GgmlType::Q8_0, {48}, d).code() == Code::invalid_argument);     // 48 % 32
  CHECK(w.add_tensor("zero", GgmlType::F32, {64, 0}, d).code() == Code::invalid_argument);
  CHECK(w.add_tensor("neg", GgmlType::F32, {-64}, d).code() == Code::invalid_argument);
  CHECK(w.add_tensor("5d", GgmlType::F32, {64, 1, 1, 1, 1}, d).code() == Code::invalid_argument);
  CHECK(w.add_tensor("0d", GgmlType::F32, {}, d).code() == Code::invalid_argument);
  CHECK(w.add_tensor("bad", static_cast<GgmlType>(99), {64}, d).code() == Code::invalid_argument);
  Status s = w.add_tensor("short2", GgmlType::F32, {16, 5}, d);
  CHECK(s.message().find("256") != std::string::npos);  // what it got
  CHECK(s.message().find("expected 320") != std::string::npos);
  CHECK(s.message().find("x 5 rows") != std::string::npos);
  auto r = File::parse(w.finish());
  REQUIRE(r.ok());
  CHECK(r->tensors().size() == 1);
}

TEST_CASE("writer: a real file copied through the writer is unchanged") {
  for (const char* rel : {"gguf/stories260K.gguf", "gguf/llama-2-tiny-random.gguf", "vocab/ggml-vocab-gpt-2.gguf"}) {
    INFO(rel);
    const auto& src = fixture(rel);
    auto a = File::parse(src);
    REQUIRE(a.ok());
    Writer w;
    copy_into(*a, w);
    const std::vector<uint8_t> out = w.finish();
    auto b = File::parse(out);
    REQUIRE(b.ok());
    check_same_file(*a, *b);
    CHECK(b->alignment() == a->alignment());
    // llama.cpp writes the same layout (kv order, 32-byte alignment, padded tensors): same bytes.
    size_t first_diff = 0;
    while (first_diff < std::min(out.size(), src.size()) && out[first_diff] == src[first_diff]) ++first_diff;
    INFO("sizes " << out.size() << " vs " << src.size() << ", first difference at " << first_diff);
    CHECK(out.size() == src.size());
    CHECK(first_diff == src.size());
  }
}

TEST_CASE("writer: GGUF v2 layout is read the same as v3") {
  Writer w;
  w.set_u32("x", 5);
  std::vector<uint8_t> d(8 * 2);
  REQUIRE(w.add_tensor("t", GgmlType::F16, {8}, d).ok());
  std::vector<uint8_t> bytes = w.finish();
  test::poke<uint32_t>(bytes, 4, 2);
  auto r = File::parse(bytes);
  REQUIRE(r.ok());
  CHECK(r->version() == 2);
  CHECK(r->get_int("x") == 5);
  CHECK(r->tensors().size() == 1);
}

TEST_CASE("writer: write_file and read_file") {
  Writer w;
  w.set_string("general.name", "scratch");
  std::vector<uint8_t> d = random_bytes(4 * 10, 7);
  REQUIRE(w.add_tensor("t", GgmlType::F32, {10}, d).ok());
  const std::string path = test::scratch_dir() + "/chord_gguf_write_test_" +
                           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".gguf";
  REQUIRE(w.write_file(path).ok());
  auto back = read_file(path);
  std::remove(path.c_str());
  REQUIRE(back.ok());
  CHECK((*back == w.finish()));

  Status bad = w.write_file("/nonexistent-dir/x.gguf");
  CHECK(bad.code() == Code::io_error);
  CHECK(bad.message().find("/nonexistent-dir/x.gguf") != std::string::npos);
}
