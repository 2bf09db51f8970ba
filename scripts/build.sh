#!/usr/bin/env bash
# Builds the C++: native Debug with ASan/UBSan (tests, CLI) and Emscripten wasm (tests under Node).
# Usage: scripts/build.sh [native] [native-release] [wasm] [wasm-mt] [wasm-relaxed] [wasm-m64]
#        (default: native wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # Debian's em++ runs Node helpers that need acorn from here
jobs=$(nproc)
targets=("$@")
((${#targets[@]})) || targets=(native wasm)

for t in "${targets[@]}"; do
  case "$t" in
    native)
      cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Debug -DCHORD_SANITIZE=ON >/dev/null
      cmake --build build/native -j"$jobs"
      ;;
    native-release)
      cmake -S . -B build/native-release -DCMAKE_BUILD_TYPE=Release -DCHORD_TESTS=OFF >/dev/null
      cmake --build build/native-release -j"$jobs"
      ;;
    wasm)
      emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
      cmake --build build/wasm -j"$jobs"
      ;;
    wasm-mt)  # pthreads build: the SIMD/thread-pool tests and the CLI the equivalence check runs
      emcmake cmake -S . -B build/wasm-mt -DCMAKE_BUILD_TYPE=Release -DCHORD_THREADS=ON >/dev/null
      cmake --build build/wasm-mt -j"$jobs" --target chord-cli test_simd test_runtime
      ;;
    wasm-relaxed)  # relaxed-SIMD pthreads build (its own toolchain): the kernel tests and the CLI
      (
        # shellcheck source=scripts/lib/relaxed-env.sh
        source scripts/lib/relaxed-env.sh
        "$CHORD_EMCMAKE" cmake -S . -B build/wasm-relaxed -DCMAKE_BUILD_TYPE=Release -DCHORD_THREADS=ON \
          -DCHORD_RELAXED_SIMD=ON >/dev/null
        cmake --build build/wasm-relaxed -j"$jobs" --target chord-cli test_simd
      )
      ;;
    wasm-m64)  # Memory64 (wasm64) pthreads + relaxed-SIMD build: its kernel tests and the package's chord-m64
      (
        # shellcheck source=scripts/lib/relaxed-env.sh
        source scripts/lib/relaxed-env.sh
        "$CHORD_EMCMAKE" cmake -S . -B build/wasm-m64 -DCMAKE_BUILD_TYPE=Release -DCHORD_THREADS=ON \
          -DCHORD_RELAXED_SIMD=ON -DCHORD_MEMORY64=ON >/dev/null
        m64_build build/wasm-m64 -j"$jobs" --target test_simd
      )
      ;;
    *) echo "build.sh: unknown target $t" >&2; exit 2 ;;
  esac
done
