// Quantize activations once (and pack them when the op table has a packed path), then split weight
// rows across threads; each small block of rows is dotted with every token of the batch while it is
// hot in cache, four tokens per kernel call.
#include "kernels/matmul.h"

#include <algorithm>

#include "core/common/status.h"
#include "core/quant/quant.h"
#include "kernels/ops.h"

namespace chord::kernels {

namespace {
// Bytes of one activation row: from_float bytes, extended in place by the packed path when the
// op table has one (rows 16-byte aligned then).
uint64_t act_row_bytes(const TypeOps* op, int64_t cols) {
  return op->dot_packed ? (op->packed_bytes(cols) + 15) & ~uint64_t{15} : row_size(op->act_type, cols);
}
}  // namespace

uint64_t matmul_act_bytes(GgmlType wtype, int64_t cols, int64_t n_tok) {
  return act_row_bytes(ops(wtype), cols) * static_cast<uint64_t>(n_tok) + 16;  // + 16: alignment slack
}

void matmul(const Matrix& w, const float* x, int64_t n_tok, float* y, int64_t y_stride, std::span<uint8_t> act,
            ThreadPool& pool) {
  const TypeOps* op = ops(w.type);
  const bool packed = op->dot_packed != nullptr;
  const uint64_t act_row = act_row_bytes(op, w.cols);
  CHORD_CHECK(act.size() >= act_row * static_cast<uint64_t>(n_tok) + 16);
  uint8_t* a = act.data() + (16 - reinterpret_cast<uintptr_t>(act.data()) % 16) % 16;
  for (int64_t t = 0; t < n_tok; ++t) {
    op->from_float(x + t * w.cols, a + t * act_row, w.cols);
    if (packed) op->pack(a + t * act_row, w.cols);
  }
  const VecDotMultiFn multi = packed ? op->dot_packed : op->vec_dot_multi;

  // Rows in chunks: big enough to amortise scheduling, small enough to balance two threads.
  const int64_t grain = std::max<int64_t>(16, w.rows / (8 * pool.size()));
  pool.parallel_for(w.rows, grain, [&](int64_t r0, int64_t r1, int) {
    // Blocks of rows (<= 64 KB of weights, kept in L1/L2) meet every token tile before the next
    // block is read, so weights stream from memory once per batch.
    constexpr int64_t kTokTile = 4;
    const int64_t row_block = std::clamp<int64_t>(static_cast<int64_t>((64u << 10) / w.row_bytes), 4, 64);
    for (int64_t rb = r0; rb < r1; rb += row_block) {
      const int64_t re = std::min(r1, rb + row_block);
      for (int64_t t0 = 0; t0 < n_tok; t0 += kTokTile) {
        const int64_t t1 = std::min(n_tok, t0 + kTokTile);
        if (multi) {  // the row is unpacked once for the whole tile
          float out[kTokTile];
          const uint8_t* at = a + t0 * act_row;
          for (int64_t r = rb; r < re; ++r) {
            multi(w.cols, w.row(r), at, act_row, static_cast<int>(t1 - t0), out);
            for (int64_t t = t0; t < t1; ++t) y[t * y_stride + r] = out[t - t0];
          }
          continue;
        }
        for (int64_t r = rb; r < re; ++r) {
          const uint8_t* wr = w.row(r);
          for (int64_t t = t0; t < t1; ++t) y[t * y_stride + r] = op->vec_dot(w.cols, wr, a + t * act_row);
        }
      }
    }
  });
}

void get_row(const Matrix& w, int64_t r, float* out) { quant::dequantize_row(w.type, w.row(r), out, w.cols); }

}  // namespace chord::kernels
