#!/usr/bin/env bash
# Builds the npm package: both wasm flavours (single-thread SIMD chord.*, pthreads SIMD chord-mt.*),
# the same two with relaxed-SIMD kernels (chord-relaxed.*, chord-relaxed-mt.*: Emscripten 3.1.69 on
# LLVM 19, scripts/lib/relaxed-env.sh) and the Memory64 build (chord-m64.*: wasm64, pthreads,
# relaxed SIMD) into js/dist/wasm/, then the TypeScript sources into js/dist/.
# Usage: scripts/build-wasm-package.sh [st] [mt] [rst] [rmt] [m64] [ts]     (default: all six)
# Env: CHORD_SRC (source tree, default this repo), CHORD_CMAKE_ARGS (extra cmake -D args),
#      JOBS (default 2).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
src=${CHORD_SRC:-$repo}
jobs=${JOBS:-2}
out=$repo/js/dist/wasm
export NODE_PATH=/usr/share/nodejs  # Debian's em++ runs Node helpers that need acorn from here
steps=("$@")
((${#steps[@]})) || steps=(st mt rst rmt m64 ts)

build_flavour() (  # build_flavour <st|mt|rst|rmt|m64>, in a subshell (the relaxed env stays in it)
  local flavour=$1 threads=OFF relaxed=OFF m64=OFF name=chord export_name=Chord emcmake=emcmake build=(cmake --build)
  if [[ $flavour == r* || $flavour == m64 ]]; then
    relaxed=ON name=chord-relaxed export_name=ChordRelaxed
    # shellcheck source=scripts/lib/relaxed-env.sh
    source "$repo/scripts/lib/relaxed-env.sh"
    emcmake=$CHORD_EMCMAKE
  fi
  [[ $flavour == *mt ]] && threads=ON && name=$name-mt && export_name=${export_name}Mt
  if [ "$flavour" = m64 ]; then
    threads=ON m64=ON name=chord-m64 export_name=ChordM64 build=(m64_build)
  fi
  export_name=${export_name}Module
  local dir=$repo/build/wasm-pkg-$flavour tests=OFF
  if [[ $flavour == rmt || $flavour == m64 ]] && [ -z "${CHORD_SRC:-}${CHORD_CMAKE_ARGS:-}" ]; then
    # The libraries of scripts/build.sh wasm-relaxed / wasm-m64 (same configuration plus tests):
    # compiled once.
    dir=$repo/build/wasm-relaxed tests=ON
    [ "$flavour" = m64 ] && dir=$repo/build/wasm-m64
  fi
  # shellcheck disable=SC2086
  "$emcmake" cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCHORD_TESTS=$tests \
    -DCHORD_THREADS=$threads -DCHORD_SIMD=ON -DCHORD_RELAXED_SIMD=$relaxed -DCHORD_MEMORY64=$m64 ${CHORD_CMAKE_ARGS:-} >/dev/null
  "${build[@]}" "$dir" --target chord_wasm -j"$jobs"
  mkdir -p "$out"
  local f
  for f in "$name.js" "$name.wasm" "$name.worker.js"; do
    [ -f "$dir/bindings/$f" ] && cp "$dir/bindings/$f" "$out/$f"
  done
  # An ES-module copy of the factory for module Workers and bundlers (no importScripts there).
  { cat "$dir/bindings/$name.js"; printf '\nexport default %s;\n' "$export_name"; } >"$out/$name.mjs"
)

for s in "${steps[@]}"; do
  case "$s" in
    st|mt|rst|rmt|m64) build_flavour "$s" ;;
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
