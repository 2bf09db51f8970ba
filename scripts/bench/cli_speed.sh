#!/usr/bin/env bash
# Prefill/decode tok/s of the wasm chord-cli under Node (best of N runs; single-thread timings on
# this shared machine vary, so take the best and compare paired runs only).
#   scripts/bench/cli_speed.sh CLI_JS MODEL.gguf [threads=1] [runs=3] [n_predict=64]
# CLI_JS: build/<wasm dir>/chord-cli.js (a CHORD_THREADS=ON build for threads > 1).
# CHORD_CLI_NODE: the Node to run it with (default: node with Debian Emscripten's fetch flag); the
# relaxed-SIMD build (build/wasm-relaxed) needs Node 24: scripts/toolchain/node_modules/.bin/node.
set -euo pipefail
cli=$1 model=$2 threads=${3:-1} runs=${4:-3} n=${5:-64}
prompt=$(printf 'The quick brown fox jumps over the lazy dog and keeps running. %.0s' 1 2 3 4 5 6 7 8)
best_p=0 best_d=0
node_cmd=(node --no-experimental-fetch)
[ -n "${CHORD_CLI_NODE:-}" ] && node_cmd=("$CHORD_CLI_NODE")
for ((i = 0; i < runs; i++)); do
  line=$("${node_cmd[@]}" "$cli" run "$model" -p "$prompt" -n "$n" -t "$threads" --ignore-eos 2>&1 | grep -a '^\[prompt' | tail -1)
  echo "$line"
  p=$(sed -E 's/.*\(([0-9.]+) tok\/s\); generated.*/\1/' <<<"$line")
  d=$(sed -E 's/.*generated.*\(([0-9.]+) tok\/s\).*/\1/' <<<"$line")
  best_p=$(awk -v a="$best_p" -v b="$p" 'BEGIN{print (b>a)?b:a}')
  best_d=$(awk -v a="$best_d" -v b="$d" 'BEGIN{print (b>a)?b:a}')
done
echo "best: prefill $best_p tok/s, decode $best_d tok/s (threads $threads, $(basename "$model"))"
