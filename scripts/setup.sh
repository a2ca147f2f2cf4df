#!/usr/bin/env bash
# Installs the Debian bookworm packages ceres_varpro needs (skipped when they
# are all present) and builds the project into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_packages.sh build-essential cmake libceres-dev libeigen3-dev \
  libgoogle-glog-dev libgflags-dev libgtest-dev libsuitesparse-dev libspectra-dev python3

BUILD_TYPE=${BUILD_TYPE:-Release}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
cmake --build build -j"$(nproc)"
