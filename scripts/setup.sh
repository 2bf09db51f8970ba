#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (idempotent):
# Debian packages (compilers, Emscripten, Catch2, Chromium) and the npm devDependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(cmake make g++ clang lld libclang-rt-14-dev clang-format emscripten binaryen catch2 chromium python3 python3-jinja2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: ok"
