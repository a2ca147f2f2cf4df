#!/usr/bin/env bash
# Sets up (packages + build) and benchmarks VarPro against stock Ceres on
# every dataset of ../shared/datasets plus the project's generated ones
# (or a subset: scripts/run_benchmarks.sh --datasets=pose3d,bal --reps=1).
# Writes bench/results/runs.csv, bench/RESULTS.md and bench/results/plots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install_packages.sh python3-matplotlib
exec /usr/bin/python3 bench/run_benchmarks.py "$@"
