#!/usr/bin/env bash
# Sets up (packages + build) and benchmarks VarPro against stock Ceres on
# every dataset of ../shared/datasets plus the project's generated ones, and
# on the swap-in family (problems built as Ceres's examples build them), in
# both views (Ceres's default tolerances; time to equal cost at 1e-10), with
# the busy-machine column. A subset: --datasets=swapin, or
# --datasets=pose3d,bal --reps=1 (bench/run_benchmarks.py --help).
# Writes bench/results/runs.csv, bench/RESULTS.md and bench/results/plots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install_packages.sh python3-matplotlib
exec /usr/bin/python3 bench/run_benchmarks.py "$@"
