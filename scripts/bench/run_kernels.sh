#!/usr/bin/env bash
# Builds and runs the kernel benchmark under Node: single-thread SIMD wasm (build dir $1, default
# build/bench-wasm) and, with --mt, a pthread build (build dir build/bench-wasm-mt) at 2 threads.
#   scripts/bench/run_kernels.sh [--mt] [-- bench args: --types Q4_0,Q8_0 --secs 1.5]
set -euo pipefail
cd "$(dirname "$0")/../.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
mt=0
if [[ "${1:-}" == "--mt" ]]; then mt=1; shift; fi
[[ "${1:-}" == "--" ]] && shift
build() {  # dir, extra cmake args...
  local dir=$1; shift
  emcmake cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCHORD_TESTS=OFF "$@" >/dev/null
  cmake --build "$dir" --target chord_kernels -j2 >/dev/null
}
link() {  # dir, out, extra flags...
  local dir=$1 out=$2; shift 2
  em++ -O3 -std=c++20 -msimd128 -DCHORD_SIMD128=1 -I. "$@" scripts/bench/bench_kernels.cpp \
    "$dir/libchord_kernels.a" "$dir/libchord_quant.a" "$dir/libchord_common.a" \
    -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sEXIT_RUNTIME=1 -o "$out"
}
build build/bench-wasm
link build/bench-wasm build/bench-wasm/bench_kernels.js
node --no-experimental-fetch build/bench-wasm/bench_kernels.js --threads 1 "$@"
if [[ $mt == 1 ]]; then
  build build/bench-wasm-mt -DCHORD_THREADS=ON
  link build/bench-wasm-mt build/bench-wasm-mt/bench_kernels.js -pthread -DCHORD_THREADS=1 -sPTHREAD_POOL_SIZE=2
  node --no-experimental-fetch build/bench-wasm-mt/bench_kernels.js --threads 2 "$@"
fi
