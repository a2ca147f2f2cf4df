#!/usr/bin/env bash
# Sets up (packages + build) and benchmarks VarPro against stock Ceres on
# every dataset of ../shared/datasets plus the project's generated ones
# (or a subset: scripts/run_benchmarks.sh --datasets=pose3d,bal --reps=1).
# Writes bench/results/runs.csv, bench/RESULTS.md and bench/results/plots/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends python3-matplotlib
fi
exec /usr/bin/python3 bench/run_benchmarks.py "$@"
