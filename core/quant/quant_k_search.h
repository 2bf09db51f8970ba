// Scale searches used by the K-quant reference quantizers (internal to core/quant; declared here
// so tests can trace them on small hand-made inputs). Same names and behaviour as llama.cpp's.
#pragma once
#include <cstdint>

namespace chord::quant::detail {

constexpr float kGroupMaxEps = 1e-15f;  // GROUP_MAX_EPS: below this a group counts as all zero

inline int clamp_int(int v, int lo, int hi) noexcept { return v < lo ? lo : (v > hi ? hi : v); }

// Symmetric quants L in 0..2*nmax-1 (stored +nmax) for n values, weights x^2 (rmse_type 1,
// no importance matrix). Returns the scale: x ~ scale * (L - nmax).
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) noexcept;

// Q3_K's symmetric search (do_rmse = true). L in 0..2*nmax-1 (stored +nmax). Returns the scale.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L) noexcept;

// Asymmetric quants x ~ scale * L - the_min with L in 0..nmax. Returns the scale.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min, uint8_t* Laux,
                       float rmin, float rdelta, int nstep, bool use_mad) noexcept;

}  // namespace chord::quant::detail
