// Agreement with llama.cpp's own quantizer on real data: gguf/tinyllamas-stories-260k-q8_0.gguf
// was quantized by llama.cpp from the same F32 weights as gguf/stories260K.gguf, so quantizing
// those F32 tensors with our Q8_0 reference must give byte-identical blocks.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/quant/quant.h"
#include "tests/cpp/test_util.h"

using namespace chord;

namespace {

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// blk.*.ffn_down.weight in the Q8_0 file is [172, 64]: 172 is not a multiple of 32, so llama.cpp
// (2023) quantized the tensor as one flat run of 11008 values with blocks crossing rows. Our
// reader rightly refuses that shape, so for this test the in-memory copy declares the same bytes
// as one row [11008, 1] (same element count, same 344 blocks). Returns how many were patched.
int flatten_ffn_down(std::vector<uint8_t>& bytes) {
  const std::string suffix = "ffn_down.weight";
  // After the name: n_dims = 2, ne0 = 172, ne1 = 64 (u32, u64, u64, little-endian).
  const uint8_t shape[20] = {2, 0, 0, 0, 172, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0};
  int patched = 0;
  for (size_t i = 0; i + suffix.size() + sizeof(shape) <= bytes.size(); ++i) {
    if (std::memcmp(&bytes[i], suffix.data(), suffix.size()) != 0) continue;
    uint8_t* p = &bytes[i + suffix.size()];
    if (std::memcmp(p, shape, sizeof(shape)) != 0) continue;
    put_u64(p + 4, 172 * 64);
    put_u64(p + 12, 1);
    ++patched;
  }
  return patched;
}

}  // namespace

TEST_CASE("Q8_0 quantizer reproduces llama.cpp's blocks of stories260K byte for byte") {
  auto f32_bytes = gguf::read_file(test::model_path("gguf/stories260K.gguf"));
  auto q8_bytes = gguf::read_file(test::model_path("gguf/tinyllamas-stories-260k-q8_0.gguf"));
  REQUIRE(f32_bytes.ok());
  REQUIRE(q8_bytes.ok());
  CHECK(flatten_ffn_down(q8_bytes.value()) == 5);  // one per layer
  auto f32 = gguf::File::parse(f32_bytes.value());
  auto q8 = gguf::File::parse(q8_bytes.value());
  REQUIRE(f32.ok());
  INFO(q8.status().to_string());
  REQUIRE(q8.ok());

  int compared_q8 = 0, compared_f32 = 0;
  for (const gguf::TensorInfo& tq : q8->tensors()) {
    const gguf::TensorInfo* tf = f32->tensor(tq.name);
    INFO("tensor " << tq.name);
    REQUIRE(tf != nullptr);
    REQUIRE(tf->type == GgmlType::F32);
    REQUIRE(tf->nelements() == tq.nelements());
    std::vector<float> src(static_cast<size_t>(tf->nelements()));
    std::memcpy(src.data(), tf->data, src.size() * sizeof(float));
    if (tq.type == GgmlType::F32) {  // norms stay f32 in both files
      CHECK(std::memcmp(tq.data, tf->data, tf->nbytes) == 0);
      ++compared_f32;
      continue;
    }
    REQUIRE(tq.type == GgmlType::Q8_0);
    // Row by row (row length = ne[0]), as llama.cpp quantizes; for the flattened ffn_down this is
    // the whole tensor as one row.
    std::vector<uint8_t> out(tq.nbytes);
    const int64_t n_per_row = tq.ne[0];
    const uint64_t row_bytes = row_size(GgmlType::Q8_0, n_per_row);
    REQUIRE(row_bytes * static_cast<uint64_t>(tq.nrows()) == tq.nbytes);
    for (int64_t r = 0; r < tq.nrows(); ++r) {
      quant::quantize_row(GgmlType::Q8_0, src.data() + r * n_per_row, out.data() + r * row_bytes, n_per_row);
    }
    size_t first_diff = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] != tq.data[i]) {
        first_diff = i;
        break;
      }
    }
    INFO("first differing byte " << first_diff << " of " << out.size());
    CHECK(first_diff == out.size());
    ++compared_q8;
  }
  CHECK(compared_q8 == 37);  // every Q8_0 tensor, including the five flattened ffn_down
  CHECK(compared_f32 == 11);
}

namespace {

// Minimal GGJT v3 walker (legacy llama.cpp format, tests only): header, hparams, vocab, then
// tensors {n_dims, name_len, type, ne[n_dims], name, pad to 32, data} up to the end of the file.
struct GgjtTensor {
  std::string name;
  uint32_t type;
  int64_t nelements;
  size_t offset;
};

bool read_u32(const std::vector<uint8_t>& b, size_t* off, uint32_t* v) {
  if (*off + 4 > b.size()) return false;
  std::memcpy(v, &b[*off], 4);
  *off += 4;
  return true;
}

std::vector<GgjtTensor> ggjt_tensors(const std::vector<uint8_t>& b) {
  std::vector<GgjtTensor> out;
  size_t off = 0;
  uint32_t magic, version, hp[7];
  if (!read_u32(b, &off, &magic) || magic != 0x67676A74u || !read_u32(b, &off, &version) || version != 3) {
    return out;
  }
  for (uint32_t& h : hp)
    if (!read_u32(b, &off, &h)) return out;
  for (uint32_t i = 0; i < hp[0]; ++i) {  // vocab: length, bytes, f32 score
    uint32_t len;
    if (!read_u32(b, &off, &len) || len > b.size() - off) return {};
    off += len + 4;
  }
  while (off < b.size()) {
    uint32_t n_dims, name_len, type;
    if (!read_u32(b, &off, &n_dims) || !read_u32(b, &off, &name_len) || !read_u32(b, &off, &type) || n_dims < 1 ||
        n_dims > 4) {
      return {};
    }
    int64_t n = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint32_t ne;
      if (!read_u32(b, &off, &ne)) return {};
      n *= ne;
    }
    if (name_len > b.size() - off) return {};
    GgjtTensor t{std::string(reinterpret_cast<const char*>(&b[off]), name_len), type, n, 0};
    off = (off + name_len + 31) & ~size_t{31};
    t.offset = off;
    const uint64_t bytes = row_size(static_cast<GgmlType>(type), n);
    if (bytes == 0 || bytes > b.size() - off) return {};
    off += bytes;
    out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("Q4_0 blocks written by llama.cpp (GGJT v3) are a fixed point of dequantize + quantize") {
  // Q4_0 maps the block's extreme value to q = 0 with d = max / -8; dequantizing gives -8d exactly
  // as the new extreme and every other value (q - 8) d, so requantizing must give the same bytes.
  auto bytes = gguf::read_file(test::model_path("legacy/TinyLLama-v0.ggmlv3.q4_0.bin"));
  REQUIRE(bytes.ok());
  const auto tensors = ggjt_tensors(bytes.value());
  REQUIRE(tensors.size() == 75);  // 3 + 8 layers x 9
  int checked = 0;
  int64_t blocks = 0;
  for (const GgjtTensor& t : tensors) {
    if (t.type != static_cast<uint32_t>(GgmlType::Q4_0)) continue;
    INFO(t.name);
    const uint8_t* src = bytes.value().data() + t.offset;
    std::vector<float> deq(static_cast<size_t>(t.nelements));
    quant::dequantize_row(GgmlType::Q4_0, src, deq.data(), t.nelements);
    std::vector<uint8_t> re(row_size(GgmlType::Q4_0, t.nelements));
    quant::quantize_row(GgmlType::Q4_0, deq.data(), re.data(), t.nelements);
    size_t first_diff = re.size();
    for (size_t i = 0; i < re.size(); ++i) {
      if (re[i] != src[i]) {
        first_diff = i;
        break;
      }
    }
    INFO("first differing byte " << first_diff << " of " << re.size());
    CHECK(first_diff == re.size());
    ++checked;
    blocks += t.nelements / 32;
  }
  CHECK(checked == 58);                                  // tok_embeddings, output, 8 x (wq wk wv wo w1 w2 w3)
  CHECK(blocks == 2 * 64000 + 8 * (4 * 128 + 3 * 512));  // 144384 blocks of 32
}
