#!/usr/bin/env bash
# npm start: set up, build the package if js/dist is missing or older than its sources, then serve
# the web demo on http://127.0.0.1:${PORT:-8080}/ with COOP/COEP (threads); /?coi=0 is the same page
# without cross-origin isolation (single thread). The shared stories260K.gguf is preselected.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

dist=js/dist
steps=()
newer() {  # newer <file> <paths...>: true if any source under paths is newer than file
  local ref=$1; shift
  [ -n "$(find "$@" -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.ts' -o -name 'CMakeLists.txt' \) -newer "$ref" -print -quit 2>/dev/null)" ]
}
cxx_sources=(core kernels runtime bindings CMakeLists.txt)
if [ ! -f $dist/wasm/chord.wasm ] || newer $dist/wasm/chord.wasm "${cxx_sources[@]}"; then steps+=(st); fi
if [ ! -f $dist/wasm/chord-mt.wasm ] || newer $dist/wasm/chord-mt.wasm "${cxx_sources[@]}"; then steps+=(mt); fi
if [ ! -f $dist/wasm/chord-relaxed.wasm ] || newer $dist/wasm/chord-relaxed.wasm "${cxx_sources[@]}"; then steps+=(rst); fi
if [ ! -f $dist/wasm/chord-relaxed-mt.wasm ] || newer $dist/wasm/chord-relaxed-mt.wasm "${cxx_sources[@]}"; then steps+=(rmt); fi
if [ ! -f $dist/wasm/chord-m64.wasm ] || newer $dist/wasm/chord-m64.wasm "${cxx_sources[@]}"; then steps+=(m64); fi
if [ ! -f $dist/browser.js ] || [ ! -f $dist/cache/index.js ] || newer $dist/browser.js js/src js/tsconfig.json; then steps+=(ts); fi
if ((${#steps[@]})); then
  echo "start: building the package (${steps[*]})"
  bash scripts/build-wasm-package.sh "${steps[@]}"
fi

exec node scripts/serve.mjs --port "${PORT:-8080}"
