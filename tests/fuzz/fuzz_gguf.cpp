// libFuzzer target for the GGUF reader: parse arbitrary bytes, then touch every byte range the
// parser hands out (tensor data views, metadata) so ASan catches any view that escapes the input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/gguf/gguf.h"

namespace {

volatile uint8_t g_sink;

// Reads the first and last byte of every tensor's data and a byte every 4 KiB between.
void touch(const chord::gguf::File& f, const uint8_t* data, size_t size) {
  uint8_t acc = 0;
  for (const chord::gguf::TensorInfo& t : f.tensors()) {
    if (t.data < data || t.nbytes > size || t.data + t.nbytes > data + size) __builtin_trap();
    if (t.nbytes == 0) continue;
    for (uint64_t k = 0; k < t.nbytes; k += 4096) acc ^= t.data[k];
    acc ^= t.data[t.nbytes - 1];
    if (t.nrows() <= 0 || t.nelements() <= 0) __builtin_trap();
  }
  for (const auto& [k, v] : f.metadata()) {
    acc ^= static_cast<uint8_t>(k.size() + v.array_size());
    if (const std::string* s = v.as_string()) acc ^= static_cast<uint8_t>(s->size());
  }
  g_sink = acc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exactly sized heap buffer so reads past the end hit ASan's redzone.
  std::vector<uint8_t> bytes(data, data + size);
  auto r = chord::gguf::File::parse(bytes);
  if (r.ok()) {
    touch(*r, bytes.data(), bytes.size());
    // What parses must also survive the writer and parse again.
    chord::gguf::Writer w;
    for (const auto& [k, v] : r->metadata()) {
      if (k != "general.alignment") w.set_value(k, v);
    }
    w.set_alignment(static_cast<uint32_t>(r->alignment()));
    for (const chord::gguf::TensorInfo& t : r->tensors()) {
      std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
      if (ne.empty()) ne.push_back(1);
      if (!w.add_tensor(t.name, t.type, ne, {t.data, static_cast<size_t>(t.nbytes)}).ok()) __builtin_trap();
    }
    std::vector<uint8_t> out = w.finish();
    auto again = chord::gguf::File::parse(out);
    if (!again.ok() || again->tensors().size() != r->tensors().size()) __builtin_trap();
  } else if (r.status().message().empty()) {
    __builtin_trap();
  }
  return 0;
}
