#!/usr/bin/env bash
# Sets up (packages + build), generates the embedded default problem (a
# synthetic 2500-pose 3D pose graph with loop closures, seeded) and solves it
# with VarPro and with stock Ceres from the same start, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p datasets/generated
build/ceres_varpro/ceres_varpro generate --kind=pose_graph_3d --poses=2500 --seed=1 \
  --output=datasets/generated/sphere_synthetic.g2o
build/ceres_varpro/ceres_varpro slam --input=datasets/generated/sphere_synthetic.g2o \
  --solver=both --progress=false --report=brief --function_tolerance=1e-10 "$@"
