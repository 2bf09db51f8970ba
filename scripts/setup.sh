#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine (idempotent):
# Debian packages (compilers, Emscripten, Catch2, Chromium), the npm devDependencies, and the
# relaxed-SIMD toolchain (scripts/lib/relaxed-env.sh): bookworm's LLVM 19, Node 24 and binaryen
# from npm (scripts/toolchain/), and Debian trixie's Emscripten 3.1.69 (architecture all) unpacked
# into .toolchain/ — unless EMSDK names the user's own emsdk, which is then used instead. (The
# Memory64 build's wasm64 system libraries are compiled into that Emscripten's cache by its first
# link: m64_build in relaxed-env.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(cmake make g++ clang lld libclang-rt-14-dev clang-format emscripten binaryen catch2 chromium python3 python3-jinja2
  clang-19 lld-19 llvm-19
  libegl-mesa0 libgl1-mesa-dri libgles2)  # Mesa EGL/GLES + llvmpipe: WebGPU in Node (Dawn's GLES backend) without a GPU
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

# npm ci when node_modules is missing or older than the lock file; never through a symlinked
# node_modules (a worktree sharing another checkout's: npm ci would empty the other one).
if [ ! -L node_modules ] && { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Node 24 + binaryen for the relaxed build and its tests (kept out of the root node_modules/.bin,
# where they would shadow the system node and wasm-opt in npm scripts).
tc=scripts/toolchain
if [ ! -f $tc/node_modules/.package-lock.json ] || [ $tc/package-lock.json -nt $tc/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (scripts/toolchain)"
  npm ci --prefix $tc --no-audit --no-fund --loglevel=error
fi

# Emscripten 3.1.69 from Debian trixie's archive: downloaded by apt with a private source list and
# state under .toolchain/apt (the system's apt configuration is left alone), unpacked, not installed.
em=.toolchain/emscripten-3.1.69
if [ -z "${EMSDK:-}" ] && [ ! -f $em/emcc.py ]; then
  echo "setup: fetching Emscripten 3.1.69 (Debian trixie) into $em"
  apt_dir=$PWD/.toolchain/apt
  rm -rf "$apt_dir" && mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" download -qq emscripten)
  rm -rf "$apt_dir/root" && dpkg-deb -x "$apt_dir"/emscripten_3.1.69*_all.deb "$apt_dir/root"
  rm -rf $em.tmp && mv "$apt_dir/root/usr/share/emscripten" $em.tmp
  rm -rf $em.tmp/test $em.tmp/docs "$apt_dir"
  mv $em.tmp $em
fi
if [ -z "${EMSDK:-}" ]; then
  # Its config: LLVM 19 from bookworm, the npm binaryen; its JS tools find acorn in scripts/toolchain.
  # CACHE named: with FROZEN_CACHE off (the one-time wasm64 library build below) Emscripten would
  # otherwise use ~/.emscripten_cache.
  printf "LLVM_ROOT = '/usr/lib/llvm-19/bin'\nBINARYEN_ROOT = '%s'\nNODE_JS = '%s'\nCACHE = '%s'\nFROZEN_CACHE = True\n" \
    "$PWD/$tc/node_modules/binaryen" "$(command -v node)" "$PWD/$em/cache" >.toolchain/emscripten.config
  printf '{ "type": "commonjs" }\n' >.toolchain/package.json  # its .js files are CommonJS
  ln -sfn "$PWD/$tc/node_modules" $em/node_modules
fi
echo "setup: ok"
