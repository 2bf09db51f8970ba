// Matrix x matrix product of a quantized weight with f32 activations: the one hot loop of the
// forward pass. Activations are converted once to the weight type's activation format
// (TypeOps::act_type), then every weight row is dotted with every token (weights read once per batch).
#pragma once
#include <cstdint>
#include <span>

#include "core/quant/types.h"
#include "kernels/thread_pool.h"

namespace chord::kernels {

// A 2-D weight view into file bytes: `rows` rows of `cols` elements in `type` blocks.
struct Matrix {
  const uint8_t* data = nullptr;
  GgmlType type = GgmlType::F32;
  int64_t cols = 0;  // ne[0]: contiguous length of a row
  int64_t rows = 0;  // ne[1]
  uint64_t row_bytes = 0;
  const uint8_t* row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }
  const float* f32() const { return reinterpret_cast<const float*>(data); }
};

// y[t * y_stride + r] = w.row(r) . x[t * w.cols ...] for t < n_tok, r < w.rows.
// `act` is scratch for the converted activations, at least matmul_act_bytes(w.type, w.cols, n_tok)
// bytes (the caller sizes it once; kernels never allocate).
void matmul(const Matrix& w, const float* x, int64_t n_tok, float* y, int64_t y_stride, std::span<uint8_t> act,
            ThreadPool& pool);
uint64_t matmul_act_bytes(GgmlType wtype, int64_t cols, int64_t n_tok);

// Dequantizes row r of w into out (w.cols floats).
void get_row(const Matrix& w, int64_t r, float* out);

}  // namespace chord::kernels
