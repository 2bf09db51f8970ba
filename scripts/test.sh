#!/usr/bin/env bash
# The test command (npm test): set up, run the TS unit tier, build, then run every suite and print
# the runners' summaries: Catch2 natively (ASan+UBSan) and as wasm under Node, the live
# chat-template differential test against Python's jinja2, the TypeScript package tests,
# equivalence with llama.cpp, CLI/server tests, time-boxed fuzzers, Playwright e2e and the npm
# pack test.
# Exits non-zero if any suite fails. FUZZ_SECONDS (default 60) bounds each fuzzer.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/setup.sh || exit 1

failed=()
summary=()
run() {  # run <label> <command...>
  local label=$1 t0=$(date +%s); shift
  echo
  echo "=== $label"
  if "$@"; then summary+=("PASS  $label ($(( $(date +%s) - t0 )) s)")
  else failed+=("$label"); summary+=("FAIL  $label ($(( $(date +%s) - t0 )) s)"); fi
}
# First, in seconds and before any C++ build: formatting and the pure TypeScript modules.
run "format (clang-format + Prettier)" bash scripts/check-format.sh
run "TypeScript unit tier (no wasm)" npm run --silent test:unit

bash scripts/build.sh native wasm wasm-mt wasm-relaxed wasm-m64 native-release || exit 1
bash scripts/build-wasm-package.sh || exit 1
run "Catch2 native (ASan+UBSan)" bash scripts/run-catch.sh native
run "Catch2 wasm (Node)" bash scripts/run-catch.sh wasm
run "Catch2 wasm pthreads (Node)" bash scripts/run-catch.sh wasm-mt
run "Catch2 wasm relaxed SIMD (Node 24)" bash scripts/run-catch.sh wasm-relaxed
run "Catch2 wasm Memory64 (Node 24)" bash scripts/run-catch.sh wasm-m64
run "chat templates vs jinja2 (live)" build/native/test_template "[jinja2]" --use-colour no
run "TypeScript package (node:test)" npm run --silent test:js
run "relaxed-SIMD and Memory64 package (Node 24)" npm run --silent test:relaxed
run "CLI and server (node:test)" npm run --silent test:apps
run "llama.cpp equivalence (node:test)" node --test --test-concurrency=1 tests/js/equivalence.test.mjs tests/js/webgpu-equivalence.test.mjs
run "fuzzers (${FUZZ_SECONDS:-60} s each)" bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
run "Playwright e2e (headless Chromium)" npm run --silent test:e2e
run "npm pack install test" npm run --silent test:pack

echo
echo "=== summary ($(( $(date +%s) - start )) s total)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
