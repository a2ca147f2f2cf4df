#!/usr/bin/env bash
# Installs the Debian bookworm packages ceres_varpro needs (skipped when they
# are all present) and builds the project into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake libceres-dev libeigen3-dev libgoogle-glog-dev
          libgflags-dev libgtest-dev libsuitesparse-dev python3)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
cmake --build build -j"$(nproc)"
