#!/usr/bin/env bash
# Builds the library and the test suite with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc) into build-asan/ and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null  # Packages (and the normal build, reused by CI).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCERES_VARPRO_SANITIZE=ON \
  -DCERES_VARPRO_BUILD_TOOLS=ON
cmake --build build-asan -j"$(nproc)"
# The install check builds a consumer without sanitizer flags; it is covered
# by the normal run.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -E '^install\.'
