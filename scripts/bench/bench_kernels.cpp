// Kernel benchmark (wasm under Node, or native): matvec GB/s per weight type (weights streamed from
// memory, working set > 64 MB), prefill matmul throughput (64 tokens), and a TinyLlama-1.1B-shaped
// decode/prefill estimate, through kernels::matmul and the op table the build selects.
// Build/run: scripts/bench/run_kernels.sh (see there).
#include <chrono>
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif
#include <strings.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "kernels/matmul.h"
#include "kernels/nn.h"
#include "kernels/ops.h"
#include "kernels/thread_pool.h"

using namespace chord;
using namespace chord::kernels;

namespace {

bool g_cpu_time = false;  // --cpu: process user CPU time (Node only), steadier on a busy machine

double now() {
#ifdef __EMSCRIPTEN__
  if (g_cpu_time) return EM_ASM_DOUBLE({ return process.cpuUsage().user / 1e6; });
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Mat {
  std::vector<uint8_t> bytes;
  Matrix m;
};

Mat make(GgmlType t, int64_t rows, int64_t cols, uint32_t seed) {
  Mat r;
  const uint64_t rb = row_size(t, cols);
  r.bytes.resize(rb * rows);
  std::vector<float> row(cols);
  uint32_t s = seed;
  for (int64_t i = 0; i < rows; ++i) {
    if (i < 64) {  // quantize a few distinct rows, copy them around (quantizing 100 MB is slow)
      for (auto& v : row) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<float>(static_cast<int32_t>(s >> 8) % 2000) / 1000.0f;
      }
      if (quant::has_iq_unpack(t)) {  // no quantizer: valid random blocks
        quant::random_row_iq(t, seed * 1000003ull + static_cast<uint64_t>(i), 1.0f, r.bytes.data() + i * rb, cols);
      } else {
        quant::quantize_row(t, row.data(), r.bytes.data() + i * rb, cols);
      }
    } else {
      std::memcpy(r.bytes.data() + i * rb, r.bytes.data() + (i % 64) * rb, rb);
    }
  }
  r.m.data = r.bytes.data();
  r.m.type = t;
  r.m.rows = rows;
  r.m.cols = cols;
  r.m.row_bytes = rb;
  return r;
}

// Runs fn repeatedly for at least `secs`, returns seconds per call (best of 3 rounds).
template <class F>
double time_it(F&& fn, double secs) {
  fn();  // warm up
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    int n = 0;
    const double t0 = now();
    double t1 = t0;
    while (t1 - t0 < secs / 3) {
      fn();
      ++n;
      t1 = now();
    }
    best = std::min(best, (t1 - t0) / n);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double secs = 1.5;
  std::string types = "F16,Q4_0,Q4_1,Q5_0,Q5_1,Q8_0,Q2_K,Q3_K,Q4_K,Q5_K,Q6_K";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--types") && i + 1 < argc)
      types = argv[++i];
    else if (!std::strcmp(argv[i], "--secs") && i + 1 < argc)
      secs = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--cpu"))
      g_cpu_time = true;
  }
  ThreadPool pool(threads);
  std::printf("threads %d (pool %d)\n", threads, pool.size());
  std::printf("%-6s %10s %14s %16s %18s\n", "type", "matvec GB/s", "matvec Gop/s", "prefill Gop/s",
              "TinyLlama est tok/s");
  std::vector<uint8_t> act;
  // TinyLlama-1.1B: 22 layers of (q 2048x2048, k,v 256x2048, o 2048x2048, gate,up 5632x2048,
  // down 2048x5632) + output 32000x2048 = 1.034e9 multiply-adds per token.
  const double tl_macs = 22.0 * (2048.0 * 2048 * 2 + 256.0 * 2048 * 2 + 5632.0 * 2048 * 3) + 32000.0 * 2048;
  size_t pos = 0;
  while (pos < types.size()) {
    size_t e = types.find(',', pos);
    if (e == std::string::npos) e = types.size();
    const std::string name = types.substr(pos, e - pos);
    pos = e + 1;
    GgmlType t = GgmlType::I8;  // "not found"
    for (uint32_t k = 0; k < 40; ++k) {
      const TypeInfo* ti = type_info(k);
      if (ti && strcasecmp(name.c_str(), ti->name) == 0) t = static_cast<GgmlType>(k);
    }
    if (t == GgmlType::I8 || !ops(t)) {
      std::printf("%-6s unknown or unsupported\n", name.c_str());
      continue;
    }
    // Decode: matvec over matrices whose total exceeds the caches (>= 96 MB).
    const int64_t rows = 5632, cols = 2048;
    const uint64_t mbytes = row_size(t, cols) * rows;
    const int n_mats = static_cast<int>(std::max<uint64_t>(2, (96ull << 20) / mbytes + 1));
    std::vector<Mat> mats;
    for (int i = 0; i < n_mats; ++i) mats.push_back(make(t, rows, cols, 7 + i));
    std::vector<float> x(cols * 64), y(rows * 64);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    int which = 0;
    // Kernel-only matvec (one thread) of each implementation, rounds interleaved so that a busy
    // machine affects them alike: reference vec_dot, SIMD vec_dot, SIMD packed path.
    {
      const TypeOps* impls[2] = {ref_ops(t), ops(t)};
      std::vector<uint8_t> raw(row_size(impls[0]->act_type, cols) + 16), pk;
      uint8_t* rp = raw.data();
      impls[0]->from_float(x.data(), rp, cols);
      if (impls[1]->dot_packed) {
        pk.resize(impls[1]->packed_bytes(cols) + 32);
        uint8_t* pp = pk.data() + (16 - reinterpret_cast<uintptr_t>(pk.data()) % 16) % 16;
        std::memcpy(pp, rp, row_size(impls[0]->act_type, cols));
        impls[1]->pack(pp, cols);
      }
      double best[3] = {1e30, 1e30, 1e30};
      for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < 3; ++k) {
          if (k == 2 && pk.empty()) continue;
          const double tk = time_it(
              [&] {
                const Matrix& m = mats[which].m;
                which = (which + 1) % n_mats;
                if (k == 2) {
                  uint8_t* pp = pk.data() + (16 - reinterpret_cast<uintptr_t>(pk.data()) % 16) % 16;
                  for (int64_t r = 0; r < rows; ++r) impls[1]->dot_packed(cols, m.row(r), pp, 0, 1, &y[r]);
                } else {
                  for (int64_t r = 0; r < rows; ++r) y[r] = impls[k]->vec_dot(cols, m.row(r), rp);
                }
              },
              secs / 9);
          best[k] = std::min(best[k], tk);
        }
      }
      std::printf("%-6s kernel matvec GB/s: ref %.2f  simd %.2f  simd-packed %s\n", name.c_str(),
                  mbytes / best[0] / 1e9, mbytes / best[1] / 1e9,
                  pk.empty() ? "-" : std::to_string(mbytes / best[2] / 1e9).c_str());
    }
    act.resize(matmul_act_bytes(mats[0].m.type, cols, 64));
    const double tv = time_it(
        [&] {
          matmul(mats[which].m, x.data(), 1, y.data(), rows, act, pool);
          which = (which + 1) % n_mats;
        },
        secs);
    const double gbs = static_cast<double>(mbytes) / tv / 1e9;
    const double gops_v = 2.0 * rows * cols / tv / 1e9;
    // Prefill: 64 tokens against one matrix.
    const double tp = time_it([&] { matmul(mats[0].m, x.data(), 64, y.data(), rows, act, pool); }, secs);
    const double gops_p = 2.0 * rows * cols * 64 / tp / 1e9;
    std::printf("%-6s %10.2f %14.2f %16.2f   decode %6.2f  prefill %6.2f\n", name.c_str(), gbs, gops_v, gops_p,
                gops_v * 1e9 / (2 * tl_macs), gops_p * 1e9 / (2 * tl_macs));
    std::fflush(stdout);
  }
  // Row ops at TinyLlama decode shapes (per token: 45 rms_norms of 2048, 22 silu_mul of 5632,
  // 22 x 4 GQA groups of 8 query heads of dim 64 over the context).
  std::vector<float> a(5632), b(5632), q(8 * 64), out(8 * 64), scores(8 * 4096);
  for (size_t i = 0; i < a.size(); ++i) a[i] = b[i] = static_cast<float>(i % 17) / 8.0f - 1.0f;
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(i % 13) / 6.0f - 1.0f;
  std::vector<uint16_t> kv(4096 * 256);
  f32_to_f16(std::vector<float>(kv.size(), 0.01f).data(), kv.data(), static_cast<int64_t>(kv.size()));
  const double t_norm = time_it([&] { rms_norm(a.data(), b.data(), b.data(), 2048, 1e-5f); }, 0.3);
  const double t_silu = time_it([&] { silu_mul(a.data(), b.data(), 5632); }, 0.3);
  const double t_att = time_it(
      [&] {
        attend_group_f16(q.data(), 64, 8, kv.data(), 256, kv.data() + 64, 256, 512, 64, 0.125f, 0.0f, scores.data(),
                         out.data(), 64);
      },
      0.3);
  std::printf("rms_norm(2048) %.2f us, silu_mul(5632) %.2f us, attend_group_f16(8 heads, 512 pos, dim 64) %.2f us\n",
              t_norm * 1e6, t_silu * 1e6, t_att * 1e6);
  std::printf("TinyLlama row ops per decoded token at 512 positions: %.2f ms\n",
              (45 * t_norm + 22 * t_silu + 22 * 4 * t_att) * 1e3);
  return 0;
}
