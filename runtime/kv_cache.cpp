// KvCache (see kv_cache.h): rows per layer, f16/f32 conversion on store, the attention kernels on
// read, and the sliding-window rings with their mirror slots.
#include "runtime/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/common/status.h"
#include "core/quant/fp16.h"
#include "kernels/nn.h"

namespace chord {

namespace kn = kernels;

namespace {
// R = W + n_batch - 1 ring slots, or 0 when that is no shorter than the context.
int64_t ring_of(const KvCacheShape& s, int32_t il) {
  const int64_t w = s.window[static_cast<size_t>(il)];
  const int64_t r = w + s.n_batch - 1;
  return w > 0 && r + w - 1 < s.n_ctx ? r : 0;
}
}  // namespace

int64_t KvCache::layer_rows(const KvCacheShape& s, int32_t il) {
  const int64_t r = ring_of(s, il);
  return r ? r + s.window[static_cast<size_t>(il)] - 1 : s.n_ctx;
}

uint64_t KvCache::bytes_for(const KvCacheShape& s) {
  uint64_t rows = 0;
  for (int32_t il = 0; il < static_cast<int32_t>(s.window.size()); ++il)
    rows += static_cast<uint64_t>(layer_rows(s, il));
  return rows * static_cast<uint64_t>(s.kv_dim) * (s.f32 ? 4 : 2) * 2;  // K and V
}

void KvCache::allocate(KvCacheShape s) {
  shape_ = std::move(s);
  const uint64_t elem = shape_.f32 ? 4 : 2;
  layers_.resize(shape_.window.size());
  for (int32_t il = 0; il < static_cast<int32_t>(layers_.size()); ++il) {
    Layer& l = layers_[static_cast<size_t>(il)];
    l.rows = layer_rows(shape_, il);
    l.ring = ring_of(shape_, il);
    l.window = shape_.window[static_cast<size_t>(il)];
    const size_t bytes = static_cast<size_t>(l.rows * shape_.kv_dim * elem);
    l.k.assign(bytes, 0);
    l.v.assign(bytes, 0);
    l.slot_pos.assign(static_cast<size_t>(l.ring), -1);
  }
}

void KvCache::store(int32_t il, int32_t pos, const float* k, const float* v) {
  Layer& l = layers_[static_cast<size_t>(il)];
  const int64_t slot = slot_of(l, pos);
  const int64_t kv = shape_.kv_dim;
  auto put = [&](int64_t row) {
    if (shape_.f32) {
      std::memcpy(l.k.data() + row * kv * 4, k, static_cast<size_t>(kv) * 4);
      std::memcpy(l.v.data() + row * kv * 4, v, static_cast<size_t>(kv) * 4);
    } else {
      kn::f32_to_f16(k, reinterpret_cast<uint16_t*>(l.k.data()) + row * kv, kv);
      kn::f32_to_f16(v, reinterpret_cast<uint16_t*>(l.v.data()) + row * kv, kv);
    }
  };
  put(slot);
  if (l.ring) {
    if (slot < l.window - 1) put(l.ring + slot);  // the mirror keeps windows contiguous
    l.slot_pos[static_cast<size_t>(slot)] = pos;
  }
}

int64_t KvCache::window_span(int32_t il, int32_t pos) const {
  const int32_t w = layers_[static_cast<size_t>(il)].window;
  return w > 0 ? std::min<int64_t>(w, pos + 1) : pos + 1;
}

void KvCache::attend(int32_t il, int32_t pos, int32_t lo, int32_t hi, int32_t kvh, const float* q, int64_t q_stride,
                     int32_t n_q, float scale, float softcap, float* scores, float* out, int64_t out_stride) const {
  const Layer& l = layers_[static_cast<size_t>(il)];
  CHORD_CHECK(0 <= lo && lo <= pos && pos < hi && (l.window == 0 || hi == pos + 1));
  const int32_t from = std::max<int32_t>(lo, static_cast<int32_t>(pos + 1 - window_span(il, pos)));
  const int64_t n = hi - from;
  const int64_t first = slot_of(l, from);  // rows first .. first + n - 1 (the mirror keeps windows contiguous)
  const int64_t kv = shape_.kv_dim, hd = shape_.head_dim;
  CHORD_CHECK(first + n <= l.rows);
  if (shape_.f32) {
    const float* k = reinterpret_cast<const float*>(l.k.data()) + first * kv + kvh * hd;
    const float* v = reinterpret_cast<const float*>(l.v.data()) + first * kv + kvh * hd;
    kn::attend_group_f32(q, q_stride, n_q, k, kv, v, kv, n, static_cast<int32_t>(hd), scale, softcap, scores, out,
                         out_stride);
  } else {
    const uint16_t* k = reinterpret_cast<const uint16_t*>(l.k.data()) + first * kv + kvh * hd;
    const uint16_t* v = reinterpret_cast<const uint16_t*>(l.v.data()) + first * kv + kvh * hd;
    kn::attend_group_f16(q, q_stride, n_q, k, kv, v, kv, n, static_cast<int32_t>(hd), scale, softcap, scores, out,
                         out_stride);
  }
}

int32_t KvCache::keepable(int32_t n) const {
  for (const Layer& l : layers_) {
    if (!l.ring || n == 0) continue;
    // A query at position n sees n - W + 1 .. n - 1: each must still be in its slot.
    for (int32_t p = std::max(0, n - l.window + 1); p < n; ++p)
      if (l.slot_pos[static_cast<size_t>(slot_of(l, p))] != p) return 0;
  }
  return n;
}

bool KvCache::has_rings() const {
  return std::any_of(layers_.begin(), layers_.end(), [](const Layer& l) { return l.ring != 0; });
}

void KvCache::read_k(const Layer& l, int64_t row, float* k) const {
  const int64_t kv = shape_.kv_dim;
  if (shape_.f32) {
    std::memcpy(k, l.k.data() + row * kv * 4, static_cast<size_t>(kv) * 4);
  } else {
    const uint16_t* h = reinterpret_cast<const uint16_t*>(l.k.data()) + row * kv;
    for (int64_t i = 0; i < kv; ++i) k[i] = quant::fp16_to_fp32(h[i]);
  }
}

void KvCache::write_k(Layer& l, int64_t row, const float* k) {
  const int64_t kv = shape_.kv_dim;
  if (shape_.f32)
    std::memcpy(l.k.data() + row * kv * 4, k, static_cast<size_t>(kv) * 4);
  else
    kn::f32_to_f16(k, reinterpret_cast<uint16_t*>(l.k.data()) + row * kv, kv);
}

uint64_t KvCache::bytes() const {
  uint64_t b = 0;
  for (const Layer& l : layers_) b += l.k.size() + l.v.size();
  return b;
}

}  // namespace chord
