#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*.cpp) with clang + ASan/UBSan and runs each for N
# seconds, seeded from tests/fuzz/corpus/<target>/ and small pieces of the shared model fixtures.
# Usage: scripts/fuzz.sh [seconds] [target...]    (seconds: default $FUZZ_SECONDS or 60)
# Env: FUZZ_BUILD_DIR (default build/fuzz), CHORD_MODELS_DIR (default: found like the other suites).
# Prints each target's executions and result; exits non-zero if any target crashed, leaked, timed
# out or ran out of memory. Crashing inputs are saved under $FUZZ_BUILD_DIR/crashes/.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

secs=${FUZZ_SECONDS:-60}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
build=${FUZZ_BUILD_DIR:-build/fuzz}
# Fixtures as the other suites find them: WASM_CHORD_MODELS, shared/models beside the checkout, /work/shared/models.
models=${CHORD_MODELS_DIR:-}
if [ -z "$models" ]; then
  for c in "${WASM_CHORD_MODELS:-}" "$root/../shared/models" /work/shared/models; do
    if [ -n "$c" ] && [ -f "$c/MODELS.md" ]; then models=$c; break; fi
  done
fi
export CHORD_MODELS_DIR=$models

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ missing (run scripts/setup.sh)" >&2; exit 2; }

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

# -fsanitize=fuzzer-no-link gives the libraries coverage instrumentation too (the target itself
# gets -fsanitize=fuzzer from CMakeLists.txt); without it libFuzzer only sees the harness's edges.
echo "fuzz.sh: configuring $build"
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCHORD_FUZZ=ON -DCHORD_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug \
  -DCHORD_SANITIZE=ON -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 2; }
echo "fuzz.sh: building ${targets[*]}"
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)" >"$build/build.log" 2>&1 ||
  { tail -n 60 "$build/build.log"; exit 2; }

# Seeds from the fixtures, small pieces only: the vocab test strings, chat templates, and the first
# 64 KiB of the small GGUFs (header and metadata, not megabytes of weights).
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$build/crashes"
python3 - "$models" "$seeds" <<'EOF'
import glob, os, sys
models, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)
texts = []
for p in sorted(glob.glob(os.path.join(models, 'vocab', '*.inp'))):
    with open(p, 'rb') as f:
        for t in f.read().split(b'\n__ggml_vocab_test__\n'):
            if t and t not in texts:
                texts.append(t)
for i, t in enumerate(texts):
    put('fuzz_pretokenize', 'inp%03d' % i, t)
    # fuzz_tokenizer: flag byte (vocab in bits 0-1, parse_special bit 3) then the text.
    for flags in (0, 1, 2, 3, 8 | 1, 8 | 3):
        put('fuzz_tokenizer', 'inp%03d_%02x' % (i, flags), bytes([flags]) + t)
for p in sorted(glob.glob(os.path.join(models, 'chat-templates', '*.jinja'))):
    with open(p, 'rb') as f:
        put('fuzz_template', os.path.basename(p), f.read())
for p in sorted(glob.glob(os.path.join(models, 'gguf', '*.gguf')) + glob.glob(os.path.join(models, 'legacy', '*.gguf'))
                + [os.path.join(models, 'vocab', 'ggml-vocab-bert-bge.gguf')]):
    if os.path.exists(p):
        with open(p, 'rb') as f:
            put('fuzz_gguf', os.path.basename(p) + '.head', f.read(65536))
EOF

status=0
summary=()
for t in "${targets[@]}"; do
  exe=$build/$t
  [ -x "$exe" ] || { echo "fuzz.sh: $exe was not built" >&2; status=1; summary+=("$t: NOT BUILT"); continue; }
  work=$build/corpus/$t  # libFuzzer writes new inputs to the first directory only
  mkdir -p "$work"
  dirs=("$work")
  [ -d "tests/fuzz/corpus/$t" ] && dirs+=("tests/fuzz/corpus/$t")
  [ -d "$seeds/$t" ] && dirs+=("$seeds/$t")
  # Patch-list inputs need room from the start (libFuzzer otherwise grows the length limit slowly).
  extra=()
  case $t in fuzz_model_load | fuzz_sampler) extra=(-len_control=0 -max_len=1024) ;; esac
  log=$build/$t.log
  echo "=== $t: ${secs}s, seeds: ${dirs[*]:1}"
  "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" "${extra[@]}" "${dirs[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  if [ $rc -eq 0 ]; then
    result="ok"
  else
    status=1
    artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | sed 's/Test unit written to //')
    result="CRASH (exit $rc${artifact:+, input saved to $artifact})"
    grep -E "ERROR: |FUZZ_REQUIRE|SUMMARY|runtime error|CHECK failed" "$log" | head -n 8
  fi
  line="$t: ${execs:-0} executions in ${secs}s, $result"
  echo "$line"
  summary+=("$line")
done

echo
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
exit $status
