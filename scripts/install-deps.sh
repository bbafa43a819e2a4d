#!/usr/bin/env bash
# Installs what Keyward needs on Debian 12, idempotently: Debian packages (apt) and, for the interop
# tests only, pinned npm packages. Quiet when everything is present. Safe to run as root repeatedly.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  clang libclang-rt-14-dev llvm
  libsodium-dev libssl-dev libargon2-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  softhsm2 libsofthsm2 opensc libp11-kit-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev
  golang-go golang-golang-x-mod-dev
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm peers for interop tests and benchmarks: every tests/*/package.json, versions pinned by its
# package-lock.json. Reinstalled only when the lock file is newer than the installed tree.
for pkg in "$here"/tests/*/package.json; do
  [ -f "$pkg" ] || continue
  d="$(dirname "$pkg")"
  if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    echo "install-deps: installing npm packages in ${d#$here/}"
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
