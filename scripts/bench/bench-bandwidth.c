// Memory-bandwidth probe for the decode ceiling: a freestanding wasm32 module (no libc) that
// streams a large buffer through SIMD128 loads, as a decode step streams the weights once.
// Build: clang --target=wasm32 -O3 -msimd128 -nostdlib -Wl,--no-entry (done by bench.mjs).
#include <stdint.h>
#include <wasm_simd128.h>

// Grows memory by `bytes` (rounded up to 64 KiB pages), fills it, returns its address (0 = failed).
__attribute__((export_name("bw_alloc"))) uint32_t bw_alloc(uint32_t bytes) {
  const uint32_t pages = (bytes + 65535u) / 65536u;
  const int32_t old = __builtin_wasm_memory_grow(0, pages);
  if (old < 0) return 0;
  uint8_t* p = (uint8_t*)((uintptr_t)old * 65536u);
  for (uint32_t i = 0; i < bytes; i += 4) *(uint32_t*)(p + i) = i * 2654435761u;  // touch every page
  return (uint32_t)(uintptr_t)p;
}

// Sums `bytes` (a multiple of 64) from `addr` as u32 lanes; 4 independent accumulators keep the
// loads in flight. Returns the folded sum so the loop cannot be removed.
__attribute__((export_name("bw_sum"))) uint32_t bw_sum(uint32_t addr, uint32_t bytes) {
  const uint8_t* p = (const uint8_t*)(uintptr_t)addr;
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (uint32_t i = 0; i < bytes; i += 64) {
    a0 = wasm_i32x4_add(a0, wasm_v128_load(p + i));
    a1 = wasm_i32x4_add(a1, wasm_v128_load(p + i + 16));
    a2 = wasm_i32x4_add(a2, wasm_v128_load(p + i + 32));
    a3 = wasm_i32x4_add(a3, wasm_v128_load(p + i + 48));
  }
  const v128_t s = wasm_i32x4_add(wasm_i32x4_add(a0, a1), wasm_i32x4_add(a2, a3));
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 1) + wasm_i32x4_extract_lane(s, 2) +
         wasm_i32x4_extract_lane(s, 3);
}
