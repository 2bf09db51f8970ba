#!/usr/bin/env bash
# Builds the npm package: both wasm flavours (single-thread SIMD chord.*, pthreads SIMD chord-mt.*)
# into js/dist/wasm/, then the TypeScript sources into js/dist/.
# Usage: scripts/build-wasm-package.sh [st] [mt] [ts]     (default: all three)
# Env: CHORD_SRC (source tree, default this repo), CHORD_CMAKE_ARGS (extra cmake -D args),
#      JOBS (default 2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
src=${CHORD_SRC:-$repo}
jobs=${JOBS:-2}
out=$repo/js/dist/wasm
export NODE_PATH=/usr/share/nodejs  # Debian's em++ runs Node helpers that need acorn from here
steps=("$@")
((${#steps[@]})) || steps=(st mt ts)

build_flavour() {  # build_flavour <st|mt>
  local flavour=$1 threads=OFF name=chord
  [ "$flavour" = mt ] && threads=ON && name=chord-mt
  local dir=$repo/build/wasm-pkg-$flavour
  # shellcheck disable=SC2086
  emcmake cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCHORD_TESTS=OFF \
    -DCHORD_THREADS=$threads -DCHORD_SIMD=ON ${CHORD_CMAKE_ARGS:-} >/dev/null
  cmake --build "$dir" --target chord_wasm -j"$jobs"
  mkdir -p "$out"
  local f
  for f in "$name.js" "$name.wasm" "$name.worker.js"; do
    [ -f "$dir/bindings/$f" ] && cp "$dir/bindings/$f" "$out/$f"
  done
  # An ES-module copy of the factory for module Workers and bundlers (no importScripts there).
  local export_name=ChordModule
  [ "$flavour" = mt ] && export_name=ChordMtModule
  { cat "$dir/bindings/$name.js"; printf '\nexport default %s;\n' "$export_name"; } >"$out/$name.mjs"
}

for s in "${steps[@]}"; do
  case "$s" in
    st|mt) build_flavour "$s" ;;
    ts)
      # Everything tsc wrote before (subfolders too: a removed module must not linger in the package).
      mkdir -p "$repo/js/dist"
      find "$repo/js/dist" -path "$repo/js/dist/wasm" -prune -o -type f \( -name '*.js' -o -name '*.d.ts' -o -name '*.map' \) -exec rm -f {} +
      (cd "$repo" && npx --no-install tsc -p js/tsconfig.json)
      ;;
    *) echo "build-wasm-package.sh: unknown step $s" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
# The root package.json says "type": "module"; Emscripten's output (and its pthread worker) is CommonJS.
printf '{ "type": "commonjs" }\n' >"$out/package.json"
