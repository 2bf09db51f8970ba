#!/usr/bin/env bash
# Checks formatting: C++ with clang-format (.clang-format), TS/JS with Prettier (.prettierrc.json).
# Usage: scripts/check-format.sh [--fix]
# Env: FORMAT_BASE=<rev>: only files changed since that revision (default: every tracked file).
# Generated tables are excluded. Exits 1 listing the files that differ (with --fix: rewrites them).
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
[ "${1:-}" = --fix ] && fix=1

if [ -n "${FORMAT_BASE:-}" ]; then
  files=$(git diff --name-only --diff-filter=ACMR "$FORMAT_BASE" -- .)
else
  files=$(git ls-files)
fi
exclude='^(core/tokenizer/unicode_data\.cpp|core/quant/iq_grids\.cpp|tests/fuzz/corpus/|tests/fixtures/)'
cpp=$(grep -E '\.(cpp|h)$' <<<"$files" | grep -Ev "$exclude" || true)
ts=$(grep -E '\.(ts|mjs|js)$' <<<"$files" | grep -Ev "$exclude" || true)

bad=()
for f in $cpp; do
  [ -f "$f" ] || continue
  if ((fix)); then clang-format -i "$f"
  elif ! clang-format --dry-run -Werror "$f" 2>/dev/null; then bad+=("$f"); fi
done
if [ -n "$ts" ]; then
  # shellcheck disable=SC2086
  if ((fix)); then npx --no-install prettier --log-level warn --write $ts
  else
    # shellcheck disable=SC2086
    mapfile -t tsbad < <(npx --no-install prettier --list-different $ts || true)
    bad+=("${tsbad[@]}")
  fi
fi
if ((${#bad[@]})); then
  echo "format: ${#bad[@]} file(s) differ from clang-format/Prettier (fix: bash scripts/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format: ok ($(wc -w <<<"$cpp $ts") files checked)"
