#!/usr/bin/env bash
# Builds the libFuzzer targets of the file readers with clang (+ASan/UBSan),
# generates the seed corpus from the project's own generators, and runs each
# fuzzer for RUNS executions (default 1,000,000). A crash leaves its input in
# build-fuzz/crashes/<reader>/; turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
scripts/install_packages.sh clang libclang-rt-14-dev libomp-14-dev cmake libceres-dev \
  libeigen3-dev libgoogle-glog-dev libgflags-dev libsuitesparse-dev libspectra-dev
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCERES_VARPRO_FUZZ=ON -DCERES_VARPRO_BUILD_TESTS=OFF -DCERES_VARPRO_BUILD_TOOLS=OFF
cmake --build build-fuzz -j"$(nproc)" --target g2o_fuzzer pyfg_fuzzer bal_fuzzer make_seed_corpus
build-fuzz/fuzz/make_seed_corpus build-fuzz/seeds
status=0
for reader in g2o pyfg bal; do
  mkdir -p "build-fuzz/corpus/$reader" "build-fuzz/crashes/$reader"
  echo "== $reader: $RUNS runs"
  if ! build-fuzz/fuzz/${reader}_fuzzer -runs="$RUNS" -max_len=4096 -rss_limit_mb=2048 \
       -artifact_prefix="build-fuzz/crashes/$reader/" \
       "build-fuzz/corpus/$reader" "build-fuzz/seeds/$reader" 2>&1 | tail -n 3; then
    status=1
  fi
done
exit $status
