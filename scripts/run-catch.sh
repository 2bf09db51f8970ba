#!/usr/bin/env bash
# Runs every Catch2 test executable of a build dir and prints each runner's summary line.
# Usage: scripts/run-catch.sh native|wasm|wasm-mt|wasm-relaxed|wasm-m64   (the last two: Node 24)
set -uo pipefail
cd "$(dirname "$0")/.."
kind=$1
status=0
for exe in build/"$kind"/test_*; do
  case "$exe" in *.wasm | *.worker.js) continue ;; esac
  name=$(basename "$exe" .js)
  if [[ "$kind" == wasm-relaxed || "$kind" == wasm-m64 ]]; then
    [[ "$exe" == *.js ]] || continue
    # shellcheck source=scripts/lib/relaxed-env.sh
    source scripts/lib/relaxed-env.sh
    cmd=("$CHORD_NODE" --stack-size=8192 "$exe")
  elif [[ "$kind" == wasm* ]]; then
    [[ "$exe" == *.js ]] || continue
    cmd=(node --no-experimental-fetch --stack-size=8192 "$exe")
  else
    [ -x "$exe" ] || continue
    cmd=("$exe")
  fi
  log=$(mktemp)
  "${cmd[@]}" --use-colour no >"$log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    status=1
    echo "----- [$kind] $name failed (exit $rc):"
    grep -v '^var Module=' "$log" | tail -n 60
  fi
  summary=$(grep -E "^(All tests passed|test cases:)" "$log" | tail -n 1)
  echo "[$kind] $name: ${summary:-no Catch2 summary (exit $rc)}"
  rm -f "$log"
done
exit $status
