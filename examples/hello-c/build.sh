#!/usr/bin/env bash
# Builds hello-c.wasm from src/hello.c with clang and wasi-libc.
#   ./build.sh [OUT.wasm]          build (default: hello-c.wasm beside this script)
#   ./build.sh --install [OUT]     install the toolchain first if it is missing
#                                  (Debian/Ubuntu, as root: clang, lld, wasi-libc,
#                                  libclang-rt-14-dev-wasm32)
# Exit status 3 means the toolchain is missing and was not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
install=0
if [ "${1:-}" = "--install" ]; then install=1; shift; fi
out=${1:-$here/hello-c.wasm}
CC=${CC:-clang}

have_toolchain() {
  command -v "$CC" >/dev/null 2>&1 || return 1
  echo 'int main(void){return 0;}' | "$CC" --target=wasm32-wasi -x c - -o /dev/null >/dev/null 2>&1
}

if ! have_toolchain; then
  if [ "$install" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build.sh: installing clang, lld, wasi-libc and the wasm32 compiler runtime with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends clang lld wasi-libc libclang-rt-14-dev-wasm32 >/dev/null
  fi
  if ! have_toolchain; then
    echo "build.sh: no clang able to target wasm32-wasi; install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (Debian), or run ./build.sh --install as root" >&2
    exit 3
  fi
fi

sdk="$here/../../sdk/c/roost"
"$CC" --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror \
  -Wl,--strip-debug -I "$sdk" -o "$out" "$here/src/hello.c" "$sdk/roost.c"
