#!/usr/bin/env bash
# The test command (npm test): set up, build, then run every suite and print the runners' summaries.
# Exits non-zero if any suite fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bash scripts/build.sh native wasm || exit 1

failed=()
run() {  # run <label> <command...>
  local label=$1; shift
  echo "=== $label"
  "$@" || failed+=("$label")
}
run "Catch2 native (ASan+UBSan)" bash scripts/run-catch.sh native
run "Catch2 wasm (Node)" bash scripts/run-catch.sh wasm
[ -x scripts/test-extra.sh ] && run "extra suites" bash scripts/test-extra.sh

echo
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
