// The attention KV cache of one context: per layer, K and V rows in f16 (llama.cpp's default) or f32,
// stored and attended through this type so the element type stays inside it. Sliding-window layers
// keep only a ring of recent rows (memory bounded by the window, as llama.cpp's SWA cache).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

namespace chord {

struct KvCacheShape {
  int32_t n_ctx = 0;    // positions 0 .. n_ctx-1
  int32_t n_batch = 0;  // most tokens stored before they are attended (one forward batch)
  int64_t kv_dim = 0;   // n_head_kv * head_dim: elements of one K (or V) row
  int32_t head_dim = 0;
  bool f32 = false;             // f32 rows instead of f16
  std::vector<int32_t> window;  // (n_layer) attention window in positions; 0 = the whole context
};

class KvCache {
 public:
  // Rows one layer stores: n_ctx, or for a window W shorter than the context a ring of
  // R = W + n_batch - 1 slots (a batch's earliest query still sees its W positions after the
  // batch's later tokens are stored) plus W - 1 mirror slots after it, so that every window is
  // one contiguous run of rows: slot s < W - 1 is also written at R + s.
  static int64_t layer_rows(const KvCacheShape& s, int32_t il);
  // Bytes allocate() will take for this shape (for the context's memory check).
  static uint64_t bytes_for(const KvCacheShape& s);

  // Sizes the cache (call after checking bytes_for against the memory budget).
  void allocate(KvCacheShape s);

  // Stores the K and V rows (kv_dim f32 each) of position pos of layer il.
  void store(int32_t il, int32_t pos, const float* k, const float* v);

  // n_q query heads (rows q + h * q_stride) of KV head kvh attend from position pos to the cached
  // positions [lo, hi) of its sequence, within the layer's window (causal: hi = pos + 1; a window
  // needs causal): out + h * out_stride = softmax(scale * q.K, soft-capped at softcap when > 0) V.
  // scores: scratch of n_q * (hi - lo) floats.
  void attend(int32_t il, int32_t pos, int32_t lo, int32_t hi, int32_t kvh, const float* q, int64_t q_stride,
              int32_t n_q, float scale, float softcap, float* scores, float* out, int64_t out_stride) const;

  // Positions a query at pos attends to in layer il.
  int64_t window_span(int32_t il, int32_t pos) const;

  // The longest prefix (<= n) of the cached positions that stays usable after dropping the rest:
  // rings have overwritten rows of positions far behind the newest one, so continuing at n can need
  // rows that are gone; then nothing is kept (0), as llama.cpp re-processes the prompt.
  int32_t keepable(int32_t n) const;

  // Context shift (llama.cpp's): forgets positions n_keep .. n_keep + n_discard - 1 of the n_past
  // cached ones and moves the later rows down by n_discard; rerope(il, k_row) re-rotates each moved
  // K row (kv_dim floats) for its new position. Layers with rings cannot shift (has_rings()).
  template <class F>
  void shift(int32_t n_keep, int32_t n_discard, int32_t n_past, F&& rerope);
  bool has_rings() const;

  uint64_t bytes() const;

 private:
  struct Layer {
    std::vector<uint8_t> k, v;  // (rows, kv_dim) elements of f16 or f32
    int64_t rows = 0;
    int64_t ring = 0;  // R: slots before the mirror; 0 when the layer holds n_ctx rows
    int32_t window = 0;
    std::vector<int32_t> slot_pos;  // (ring) position last stored in each slot, -1 if none
  };
  int64_t slot_of(const Layer& l, int32_t pos) const { return l.ring ? pos % l.ring : pos; }
  void read_k(const Layer& l, int64_t row, float* k) const;
  void write_k(Layer& l, int64_t row, const float* k);

  KvCacheShape shape_;
  std::vector<Layer> layers_;
};

template <class F>
void KvCache::shift(int32_t n_keep, int32_t n_discard, int32_t n_past, F&& rerope) {
  const int64_t kv = shape_.kv_dim, row_bytes = kv * (shape_.f32 ? 4 : 2);
  std::vector<float> k(static_cast<size_t>(kv));
  for (int32_t il = 0; il < static_cast<int32_t>(layers_.size()); ++il) {
    Layer& l = layers_[static_cast<size_t>(il)];
    for (int64_t p = n_keep + n_discard; p < n_past; ++p) {
      read_k(l, p, k.data());
      rerope(il, k.data());
      write_k(l, p - n_discard, k.data());
      std::memmove(l.v.data() + (p - n_discard) * row_bytes, l.v.data() + p * row_bytes,
                   static_cast<size_t>(row_bytes));
    }
  }
}

}  // namespace chord
